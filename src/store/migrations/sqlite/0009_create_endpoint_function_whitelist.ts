// Nothing on SQLite: the PostgreSQL migration of the same number corrects the
// create function of its 0008, which SQLite does not have. The number is kept
// so both stores list the same migrations.
export const statements: readonly string[] = [];
