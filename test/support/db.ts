import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

// Tests run on SQLite always and on PostgreSQL whenever VPCEP_TEST_DATABASE_URL
// names a server (CI starts one). Each test database is created fresh and
// dropped afterwards, so tests never see each other's rows.

export type TestDialect = 'sqlite' | 'postgres';

export function testDialects(): TestDialect[] {
  return process.env.VPCEP_TEST_DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'];
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function freshDatabase(dialect: TestDialect): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'vpcep-test-'));
    return {
      url: `sqlite:${join(dir, 'vpcep.db')}`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const admin = process.env.VPCEP_TEST_DATABASE_URL;
  if (!admin) throw new Error('VPCEP_TEST_DATABASE_URL is not set');
  const name = `vpcep_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
