export const statements = [
  `CREATE TABLE domains (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL UNIQUE,
     created_at INTEGER NOT NULL)`,
  `CREATE TABLE projects (
     id TEXT PRIMARY KEY,
     domain_id TEXT NOT NULL REFERENCES domains(id),
     name TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     UNIQUE (domain_id, name))`,
  `CREATE TABLE users (
     id TEXT PRIMARY KEY,
     domain_id TEXT NOT NULL REFERENCES domains(id),
     name TEXT NOT NULL,
     password_hash TEXT,
     created_at INTEGER NOT NULL,
     UNIQUE (domain_id, name))`,
  `CREATE TABLE access_keys (
     ak TEXT PRIMARY KEY,
     user_id TEXT NOT NULL REFERENCES users(id),
     sk TEXT NOT NULL,
     created_at INTEGER NOT NULL)`,
  `CREATE TABLE settings (
     key TEXT PRIMARY KEY,
     value TEXT NOT NULL)`,
  `CREATE TABLE jobs (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     kind TEXT NOT NULL,
     resource_id TEXT NOT NULL,
     payload TEXT NOT NULL,
     run_at INTEGER NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     max_attempts INTEGER,
     locked_by TEXT,
     locked_until INTEGER,
     last_error TEXT,
     created_at INTEGER NOT NULL)`,
  `CREATE INDEX jobs_due ON jobs (run_at)`,
  `CREATE INDEX jobs_resource ON jobs (resource_id)`,
];
