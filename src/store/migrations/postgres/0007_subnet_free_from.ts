// Where the search for a subnet's lowest free address starts (see the SQLite
// migration of the same number for the rule); NULL means "from the first address".
export const statements = [`ALTER TABLE subnets ADD COLUMN free_from BIGINT`];
