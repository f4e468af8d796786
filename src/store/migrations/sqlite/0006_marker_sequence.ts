// Nothing on SQLite: its one writer at a time makes the marker counter row no
// bottleneck (PostgreSQL moves to a sequence in its 0006). The empty step keeps
// both dialects' migration lists numbered alike.
export const statements: readonly string[] = [];
