// PostgreSQL limits: every pooled connection runs with statement_timeout and
// lock_timeout, the API pool has the configured size, and the job worker has a
// pool of its own, so jobs waiting on locked rows never take the connections
// the API needs.
import assert from 'node:assert/strict';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { describe, test } from 'node:test';
import type { Database } from '../../src/store/schema.ts';
import { freshDatabase, testDialects } from '../support/db.ts';
import { sdkError } from '../support/sdk.ts';
import { waitUntil } from '../support/wait.ts';
import { NETWORKS, networkOf } from '../vpcep/endpoints.support.ts';
import { startLoggedServer } from './support.ts';

const skip = !testDialects().includes('postgres');

async function show(db: Kysely<Database>, setting: 'statement_timeout' | 'lock_timeout'): Promise<string> {
  const r = await sql<Record<string, string>>`SHOW ${sql.raw(setting)}`.execute(db);
  return String(r.rows[0]?.[setting]);
}

/** Backends of `database` in state `active` running `like`, seen from another connection. */
async function activeLike(admin: pg.Client, database: string, like: string): Promise<number> {
  const r = await admin.query<{ n: string }>(
    `SELECT COUNT(*) AS n FROM pg_stat_activity
      WHERE datname = $1 AND state = 'active' AND query LIKE $2 AND pid <> pg_backend_pid()`,
    [database, like],
  );
  return Number(r.rows[0]?.n);
}

async function adminClient(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

describe('PostgreSQL pools and timeouts', { skip }, () => {
  test('the defaults: 30 s statement timeout, 10 s lock timeout, on the API and the jobs pool', async () => {
    const server = await startLoggedServer('postgres', { overrides: { roles: ['api'] } });
    try {
      const { store } = server.running;
      for (const db of [store.db, store.jobsDb]) {
        assert.equal(await show(db, 'statement_timeout'), '30s');
        assert.equal(await show(db, 'lock_timeout'), '10s');
      }
    } finally {
      await server.close();
    }
  });

  test('configured limits hold: a long statement is cancelled, and at most pool_size statements run at once', async () => {
    const server = await startLoggedServer('postgres', {
      overrides: {
        roles: ['api'],
        postgres: { pool_size: 3, jobs_pool_size: 1, statement_timeout_ms: 700, lock_timeout_ms: 300 },
      },
    });
    const dbName = new URL(server.config.database).pathname.slice(1);
    const admin = await adminClient(server.config.database);
    try {
      const { store } = server.running;
      assert.equal(await show(store.db, 'statement_timeout'), '700ms');
      assert.equal(await show(store.jobsDb, 'lock_timeout'), '300ms');
      await assert.rejects(sql`SELECT pg_sleep(5)`.execute(store.db), { code: '57014' });

      const sleeps = Array.from({ length: 8 }, () => sql`SELECT pg_sleep(0.2) AS slept`.execute(store.db));
      let most = 0;
      const done = Promise.all(sleeps);
      let finished = false;
      void done.finally(() => (finished = true));
      while (!finished) {
        most = Math.max(most, await activeLike(admin, dbName, '%pg_sleep(0.2)%'));
      }
      await done;
      assert.equal(most, 3, 'three at a time: the pool size');
    } finally {
      await admin.end();
      await server.close();
    }
  });

  test('a write that waits past lock_timeout is 503 VPCEP.0503, not a 500, and a retry succeeds', async () => {
    const server = await startLoggedServer('postgres', {
      accountExtras: NETWORKS,
      overrides: {
        roles: ['api'],
        postgres: { pool_size: 10, jobs_pool_size: 2, statement_timeout_ms: 30_000, lock_timeout_ms: 300 },
      },
    });
    const locker = await adminClient(server.database.url);
    try {
      const net = await networkOf(server.consumer, 'vpc-c');
      const rename = (name: string) =>
        server.consumer.sdk({
          method: 'PUT',
          url: '/v1/{project_id}/vpcs/{vpc_id}',
          pathParams: { vpc_id: net.vpcId },
          data: { vpc: { name } },
        });
      // Another session holds the VPC's row lock, as a long transaction of another node would.
      await locker.query('BEGIN');
      await locker.query('SELECT id FROM vpcs WHERE id = $1 FOR UPDATE', [net.vpcId]);
      const err = await sdkError(rename('renamed-while-locked'));
      assert.equal(err.httpStatusCode, 503);
      assert.equal(err.errorCode, 'VPCEP.0503');
      assert.match(err.errorMsg ?? '', /busy/);
      assert.ok(err.requestId, 'the error carries the request id');
      assert.doesNotMatch(
        err.errorMsg ?? '',
        /lock|timeout|canceling/i,
        "the driver's text stays in the log",
      );
      await locker.query('ROLLBACK');
      const after = await rename('renamed');
      assert.equal((after.vpc as { name?: string } | undefined)?.name, 'renamed');
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
      await server.close();
    }
  });

  test('jobs blocked on locked rows leave the API of the same node answering', async () => {
    const database = await freshDatabase('postgres');
    const dbName = new URL(database.url).pathname.slice(1);
    // Node A (API only) creates endpoints whose create jobs nobody runs yet.
    const a = await startLoggedServer('postgres', {
      database,
      accountExtras: NETWORKS,
      overrides: { roles: ['api'] },
    });
    let b: Awaited<ReturnType<typeof startLoggedServer>> | undefined;
    const locker = await adminClient(database.url);
    const watcher = await adminClient(database.url);
    try {
      const net = await networkOf(a.consumer, 'vpc-c');
      // An interface service: each endpoint takes an address of the subnet (a gateway one, a route).
      const service = a.config.public_services.find((p) => p.service_type === 'interface');
      assert.ok(service?.id);
      // More than a job batch (10), more than the default API pool (10).
      for (let i = 0; i < 12; i++) {
        await a.consumer.sdk({
          method: 'POST',
          url: '/v1/{project_id}/vpc-endpoints',
          data: { endpoint_service_id: service.id, vpc_id: net.vpcId, subnet_id: net.subnetId },
        });
      }
      // Every create job will wait on its endpoint's row.
      await locker.query('BEGIN');
      const locked = await locker.query("SELECT id FROM endpoints WHERE status = 'creating' FOR UPDATE");
      assert.equal(locked.rowCount, 12);

      // Node B runs the API and the jobs, with the default pools.
      b = await startLoggedServer('postgres', { database, overrides: { roles: ['api', 'jobs'] } });
      const waiting = () =>
        watcher
          .query<{ n: string }>(
            `SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'`,
            [dbName],
          )
          .then((r) => Number(r.rows[0]?.n));
      await waitUntil(waiting, (n) => n >= 2, "node B's jobs to block on the locked rows");

      const answer = b.consumer.sdk({ method: 'GET', url: '/v1/{project_id}/vpc-endpoints' });
      const outcome = await Promise.race([
        answer.then(() => 'answered'),
        new Promise((resolve) => setTimeout(resolve, 10_000, 'no answer while the jobs were blocked')),
      ]);
      assert.equal(outcome, 'answered');
      assert.ok((await waiting()) >= 2, 'the jobs were still blocked when the API answered');

      await locker.query('ROLLBACK');
      await answer;
      const accepted = () =>
        watcher
          .query<{ n: string }>("SELECT COUNT(*) AS n FROM endpoints WHERE status = 'accepted'")
          .then((r) => Number(r.rows[0]?.n));
      await waitUntil(accepted, (n) => n === 12, 'the jobs to finish once the rows are free', 30_000);
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
      await watcher.end();
      await b?.close();
      await a.close();
      await database.drop();
    }
  });
});
