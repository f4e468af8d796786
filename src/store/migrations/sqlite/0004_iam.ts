// IAM users, groups, custom policies and grants (docs/iam.md). Stores written
// before this migration hold accounts whose every user could do everything: the
// earliest user of each account becomes its own user, and every user joins the
// account's `admin` group, which holds Tenant Administrator on all projects and
// Security Administrator on the account, so no existing user loses a right.
// The two role ids are the fixed ids of those system roles (src/identity/roles/system-roles.ts).
export const statements = [
  `ALTER TABLE users ADD COLUMN enabled INTEGER NOT NULL DEFAULT 1`,
  `ALTER TABLE users ADD COLUMN is_domain_owner INTEGER NOT NULL DEFAULT 0`,
  `ALTER TABLE users ADD COLUMN description TEXT NOT NULL DEFAULT ''`,
  `ALTER TABLE users ADD COLUMN email TEXT`,
  `ALTER TABLE users ADD COLUMN updated_at INTEGER`,
  `ALTER TABLE users ADD COLUMN password_changed_at INTEGER`,
  `ALTER TABLE access_keys ADD COLUMN status TEXT NOT NULL DEFAULT 'active'`,
  `ALTER TABLE access_keys ADD COLUMN description TEXT NOT NULL DEFAULT ''`,
  `CREATE INDEX access_keys_user ON access_keys (user_id)`,
  `CREATE TABLE iam_groups (
     id TEXT PRIMARY KEY,
     domain_id TEXT NOT NULL REFERENCES domains(id),
     name TEXT NOT NULL,
     description TEXT NOT NULL DEFAULT '',
     created_at INTEGER NOT NULL,
     UNIQUE (domain_id, name))`,
  `CREATE TABLE iam_group_members (
     group_id TEXT NOT NULL REFERENCES iam_groups(id) ON DELETE CASCADE,
     user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
     created_at INTEGER NOT NULL,
     PRIMARY KEY (group_id, user_id))`,
  `CREATE INDEX iam_group_members_user ON iam_group_members (user_id)`,
  `CREATE TABLE iam_policies (
     id TEXT PRIMARY KEY,
     domain_id TEXT NOT NULL REFERENCES domains(id),
     name TEXT NOT NULL UNIQUE,
     display_name TEXT NOT NULL,
     type TEXT NOT NULL,
     description TEXT NOT NULL,
     description_cn TEXT,
     policy TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     UNIQUE (domain_id, display_name))`,
  `CREATE TABLE iam_grants (
     group_id TEXT NOT NULL REFERENCES iam_groups(id) ON DELETE CASCADE,
     role_id TEXT NOT NULL,
     scope TEXT NOT NULL,
     target_id TEXT NOT NULL,
     domain_id TEXT NOT NULL REFERENCES domains(id),
     created_at INTEGER NOT NULL,
     PRIMARY KEY (group_id, role_id, scope, target_id))`,
  `CREATE INDEX iam_grants_role ON iam_grants (role_id)`,
  `CREATE TABLE iam_generation (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     value INTEGER NOT NULL)`,
  `INSERT INTO iam_generation (id, value) VALUES (1, 1)`,
  `UPDATE users SET is_domain_owner = 1 WHERE id IN (
     SELECT (SELECT u.id FROM users u WHERE u.domain_id = d.id ORDER BY u.created_at, u.id LIMIT 1)
     FROM domains d)`,
  `INSERT INTO iam_groups (id, domain_id, name, description, created_at)
     SELECT lower(hex(randomblob(16))), d.id, 'admin', 'Administrators of the account', d.created_at
     FROM domains d`,
  `INSERT INTO iam_group_members (group_id, user_id, created_at)
     SELECT g.id, u.id, u.created_at FROM users u
     JOIN iam_groups g ON g.domain_id = u.domain_id AND g.name = 'admin'`,
  `INSERT INTO iam_grants (group_id, role_id, scope, target_id, domain_id, created_at)
     SELECT g.id, '6b1b0f3c5a0e4e0b9d8f1a2c3e4f5a01', 'inherited', g.domain_id, g.domain_id, g.created_at
     FROM iam_groups g WHERE g.name = 'admin'`,
  `INSERT INTO iam_grants (group_id, role_id, scope, target_id, domain_id, created_at)
     SELECT g.id, '6b1b0f3c5a0e4e0b9d8f1a2c3e4f5a03', 'domain', g.domain_id, g.domain_id, g.created_at
     FROM iam_groups g WHERE g.name = 'admin'`,
];
