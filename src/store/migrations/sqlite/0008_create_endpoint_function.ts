// Nothing on SQLite: the PostgreSQL migration of the same number adds a function
// that makes an endpoint create one round trip. SQLite runs in the server's own
// process, where a statement costs no round trip, so its creates keep their
// statements (src/vpcep/endpoints/create.ts). The number is kept so both stores
// list the same migrations.
export const statements: readonly string[] = [];
