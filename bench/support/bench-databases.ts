// Where the vpcep children of a bench keep their data: temporary SQLite files,
// or fresh databases on a PostgreSQL server, all removed by cleanup().
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** Where each vpcep child keeps its data; everything is removed by cleanup(). */
export interface Databases {
  label: string;
  dialect: 'sqlite' | 'postgres';
  /** A fresh, empty database for `name`. */
  fresh(name: string): Promise<string>;
  cleanup(): Promise<void>;
}

export function sqliteDatabases(): Databases {
  const dir = mkdtempSync(join(tmpdir(), 'vpcep-bench-'));
  return {
    label: 'SQLite (temporary files)',
    dialect: 'sqlite',
    fresh: async (name) => `sqlite:${join(dir, `${name}.db`)}`,
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function postgresDatabases(admin: string): Databases {
  const prefix = `vpcep_bench_${randomBytes(4).toString('hex')}`;
  const created: string[] = [];
  const withAdmin = async (fn: (c: pg.Client) => Promise<void>) => {
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    try {
      await fn(client);
    } finally {
      await client.end();
    }
  };
  return {
    label: `PostgreSQL ${admin.replace(/\/\/[^@/]*@/, '//…@')} (fresh ${prefix}_* databases)`,
    dialect: 'postgres',
    async fresh(name) {
      const db = `${prefix}_${name}`;
      await withAdmin(async (c) => {
        await c.query(`CREATE DATABASE ${db}`);
      });
      created.push(db);
      const url = new URL(admin);
      url.pathname = `/${db}`;
      return url.toString();
    },
    async cleanup() {
      if (created.length === 0) return;
      await withAdmin(async (c) => {
        for (const db of created.splice(0)) await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      });
    },
  };
}
