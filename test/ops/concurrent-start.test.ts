// Several nodes started at once on one fresh PostgreSQL database with the same
// configuration: every one starts, and each configured account, project, user,
// key, VPC and public service exists once (seeding reads, then inserts; without
// a lock two nodes both find a row missing and the second insert fails).
import assert from 'node:assert/strict';
import { sql, type Kysely } from 'kysely';
import { describe, test } from 'node:test';
import { defaultConfig } from '../../src/config/defaults.ts';
import type { Config } from '../../src/config/schema.ts';
import { startServer, type Running } from '../../src/main.ts';
import type { Database } from '../../src/store/schema.ts';
import { freshDatabase, testDialects } from '../support/db.ts';
import { testConfig } from '../support/server.ts';
import { NETWORKS } from '../vpcep/endpoints.support.ts';

const NODES = 8;

/** Starts NODES servers at once and returns them, failing with every start error. */
async function startTogether(config: Config): Promise<Running[]> {
  const results = await Promise.allSettled(Array.from({ length: NODES }, () => startServer(config)));
  const running = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
  if (failed.length > 0) {
    await Promise.all(running.map((r) => r.close()));
    assert.fail(`${failed.length} of ${NODES} nodes failed to start: ${failed.join(' | ')}`);
  }
  return running;
}

async function count(db: Kysely<Database>, query: string): Promise<number> {
  const r = await sql<{ n: number | string }>`${sql.raw(query)}`.execute(db);
  return Number(r.rows[0]?.n);
}

/** Starts NODES servers with `configOf(url)` at once on a fresh database, runs `check`, cleans up. */
async function withNodes(configOf: (url: string) => Config, check: (nodes: Running[]) => Promise<void>) {
  const database = await freshDatabase('postgres');
  try {
    const nodes = await startTogether(configOf(database.url));
    try {
      await check(nodes);
    } finally {
      await Promise.all(nodes.map((n) => n.close()));
    }
  } finally {
    await database.drop();
  }
}

describe(
  'nodes starting together on one PostgreSQL database',
  { skip: !testDialects().includes('postgres') },
  () => {
    test(`${NODES} nodes with the same accounts all start and seed each row once`, async () => {
      const configOf = (url: string) =>
        testConfig(url, { accountExtras: NETWORKS, overrides: { roles: ['api'] } });
      await withNodes(configOf, async (nodes) => {
        const db = nodes[0]!.store.db;
        assert.equal(await count(db, 'SELECT COUNT(*) AS n FROM domains'), 2);
        assert.equal(await count(db, "SELECT COUNT(*) AS n FROM domains WHERE name = 'provider'"), 1);
        assert.equal(await count(db, 'SELECT COUNT(*) AS n FROM projects'), 2);
        assert.equal(await count(db, 'SELECT COUNT(*) AS n FROM users'), 2);
        assert.equal(await count(db, 'SELECT COUNT(*) AS n FROM access_keys'), 2);
        assert.equal(await count(db, 'SELECT COUNT(*) AS n FROM vpcs'), 3);
        assert.equal(await count(db, 'SELECT COUNT(*) AS n FROM subnets'), 3);
        assert.equal(await count(db, 'SELECT COUNT(*) AS n FROM ports'), 1);
        assert.equal(
          await count(db, 'SELECT COUNT(*) AS n FROM endpoint_services WHERE is_public = 1'),
          defaultConfig().public_services.length,
        );
        assert.equal(await count(db, "SELECT COUNT(*) AS n FROM settings WHERE key = 'token_secret'"), 1);
      });
    });

    test(`${NODES} nodes on an empty store create one demo account between them`, async () => {
      await withNodes(
        (url) => testConfig(url, { overrides: { roles: ['api'], accounts: [] } }),
        async (nodes) => {
          assert.equal(nodes.filter((n) => n.demo !== undefined).length, 1, 'one node announces it');
          const db = nodes[0]!.store.db;
          assert.equal(await count(db, 'SELECT COUNT(*) AS n FROM domains'), 1);
          assert.equal(await count(db, 'SELECT COUNT(*) AS n FROM access_keys'), 1);
        },
      );
    });
  },
);
