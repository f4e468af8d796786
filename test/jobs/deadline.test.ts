// A handler that never finishes must not hold its transaction (on SQLite: the
// store's only connection) forever. It is abandoned after handlerTimeoutMs, its
// transaction rolls back, the job is retried with backoff, and nothing the
// abandoned handler does afterwards reaches the database.
import assert from 'node:assert/strict';
import { sql, type Transaction } from 'kysely';
import { describe, test } from 'node:test';
import { enqueueJob, JobWorker, type JobHandler } from '../../src/jobs/index.ts';
import { systemClock } from '../../src/context/clock.ts';
import type { Store } from '../../src/store/open.ts';
import type { Database } from '../../src/store/schema.ts';
import { testDialects } from '../support/db.ts';
import { waitUntil } from '../support/wait.ts';
import { startLoggedServer } from '../ops/support.ts';
import { countEffects, ensureEffectsTable, insertEffect } from './fixtures/effects.ts';
import { makeWorker, manualClock, recordingLog, withStore } from './helpers.ts';

const HANDLER_TIMEOUT_MS = 150;

const never = () => new Promise<never>(() => undefined);

const rowOf = (store: Store, resourceId: string) =>
  store.db.selectFrom('jobs').selectAll().where('resource_id', '=', resourceId).executeTakeFirst();

/** A promise the test resolves by hand. */
function gate(): { opened: Promise<void>; open(): void } {
  let open = () => undefined as void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/**
 * A handler that awaits `first`, then inserts an effect; `outcome` resolves with
 * 'ran', or with the error the insert threw.
 */
function lateInsertJob(first: (trx: Transaction<Database>) => Promise<unknown>) {
  let report: (value: unknown) => void = () => undefined;
  const outcome = new Promise<unknown>((resolve) => (report = resolve));
  const handler: JobHandler = async (trx) => {
    await first(trx).catch(() => undefined);
    try {
      await insertEffect(trx, 'late', 'w');
      report('ran');
    } catch (err) {
      report(err);
    }
  };
  return { handler, outcome };
}

for (const dialect of testDialects()) {
  describe(`job handler deadline (${dialect})`, () => {
    test('a handler that never resolves is abandoned, its job retried with backoff, and the rest of the batch runs', async () => {
      await withStore(dialect, async (store) => {
        await ensureEffectsTable(store.db);
        const clock = manualClock();
        const log = recordingLog();
        const w = makeWorker(store, clock, {
          handlerTimeoutMs: HANDLER_TIMEOUT_MS,
          log,
          handlers: {
            'test.hang': async (trx) => {
              await insertEffect(trx, 'hang', 'w');
              await never();
            },
            'test.ok': async (trx, job) => insertEffect(trx, job.resourceId, 'w'),
          },
        });
        const t0 = clock.now();
        await enqueueJob(store.db, { kind: 'test.hang', resourceId: 'hang', runAt: t0 });
        await enqueueJob(store.db, { kind: 'test.ok', resourceId: 'ok', runAt: t0 });
        assert.equal(await w.runDue(), 2, 'the batch finishes although one handler never does');
        const hung = await rowOf(store, 'hang');
        assert.ok(hung, 'the hung job is kept for a retry');
        assert.equal(hung.attempts, 1);
        assert.equal(hung.locked_by, null);
        assert.match(String(hung.last_error), /did not finish within 150 ms/);
        // random() = 0 in makeWorker: half the 1 s base, as for any failure.
        assert.equal(hung.run_at, t0 + 500);
        assert.equal(await rowOf(store, 'ok'), undefined, 'the other job completed');
        const effects = await sql<{ job_key: string }>`SELECT job_key FROM job_effects`.execute(store.db);
        assert.deepEqual(
          effects.rows.map((r) => r.job_key),
          ['ok'],
          'the hung handler’s write was rolled back',
        );
        assert.ok(log.entries.some((e) => e.level === 'warn' && /will retry/.test(e.msg)));
        // The store is free: a plain query on the same handle answers.
        assert.equal(await countEffects(store.db), 1);
      });
    });

    test('a statement the abandoned handler sends later is refused and never runs', async () => {
      await withStore(dialect, async (store) => {
        await ensureEffectsTable(store.db);
        const late = gate();
        const job = lateInsertJob(() => late.opened);
        const w = makeWorker(store, manualClock(), {
          handlerTimeoutMs: HANDLER_TIMEOUT_MS,
          handlers: { 'test.late': job.handler },
        });
        await enqueueJob(store.db, { kind: 'test.late', resourceId: 'late', runAt: 0 });
        assert.equal(await w.runDue(), 1);
        late.open();
        const result = await job.outcome;
        assert.equal((result as Error).name, 'AbandonedTransaction', String(result));
        assert.equal(await countEffects(store.db), 0);
      });
    });
  });
}

describe(
  'job handler deadline: statements around the rollback (postgres)',
  { skip: !testDialects().includes('postgres') },
  () => {
    test('a statement queued behind a slow one runs inside the transaction, before the rollback', async () => {
      await withStore('postgres', async (store) => {
        await ensureEffectsTable(store.db);
        let settled = () => undefined as void;
        const handlerDone = new Promise<void>((resolve) => (settled = resolve));
        const w = makeWorker(store, manualClock(), {
          handlerTimeoutMs: 100,
          handlers: {
            // Both statements are issued at once: the insert waits on the connection
            // behind the sleep, which outlasts the deadline.
            'test.queued': async (trx) => {
              await Promise.allSettled([
                sql`SELECT pg_sleep(0.5)`.execute(trx),
                insertEffect(trx, 'queued', 'w'),
              ]).finally(settled);
            },
          },
        });
        await enqueueJob(store.db, { kind: 'test.queued', resourceId: 'queued', runAt: 0 });
        assert.equal(await w.runDue(), 1);
        await handlerDone;
        assert.equal(await countEffects(store.db), 0, 'the queued insert was rolled back, not autocommitted');
        assert.match(String((await rowOf(store, 'queued'))?.last_error), /did not finish/);
      });
    });

    test('a statement sent as the slow one returns is refused, although the rollback has not finished', async () => {
      await withStore('postgres', async (store) => {
        await ensureEffectsTable(store.db);
        // The sleep outlasts the deadline; the insert follows the moment it returns,
        // while the worker is still rolling back.
        const job = lateInsertJob((trx) => sql`SELECT pg_sleep(0.5)`.execute(trx));
        const w = makeWorker(store, manualClock(), {
          handlerTimeoutMs: 100,
          handlers: { 'test.next': job.handler },
        });
        await enqueueJob(store.db, { kind: 'test.next', resourceId: 'next', runAt: 0 });
        assert.equal(await w.runDue(), 1);
        const result = await job.outcome;
        assert.equal((result as Error).name, 'AbandonedTransaction', String(result));
        assert.equal(await countEffects(store.db), 0, 'the insert never ran');
      });
    });
  },
);

describe('a hung job handler on SQLite', () => {
  test('leaves the API answering and the other jobs running', async () => {
    // The API alone; the worker below shares its store (one SQLite connection).
    const server = await startLoggedServer('sqlite', { overrides: { roles: ['api'] } });
    const { store } = server.running;
    let entered = 0;
    const worker = new JobWorker({
      // On SQLite the job worker's handle is the API's: one connection.
      db: store.db,
      dialect: store.dialect,
      clock: systemClock,
      pollMs: 20,
      leaseMs: 60_000,
      maxAttempts: 100,
      handlerTimeoutMs: 300,
      handlers: {
        'test.hang': async () => {
          entered++;
          await never();
        },
        'test.ok': async (trx, job) => insertEffect(trx, job.resourceId, 'w'),
      },
    });
    try {
      await ensureEffectsTable(store.db);
      await enqueueJob(store.db, { kind: 'test.hang', resourceId: 'hang', runAt: Date.now() });
      worker.start();
      await waitUntil(
        () => entered,
        (n) => n > 0,
        'the hung handler to start',
      );
      // The handler now holds the connection; the API must get it back.
      const answer = server.consumer.sdk({ method: 'GET', url: '/v1/{project_id}/vpcs' });
      const outcome = await Promise.race([
        answer.then(() => 'answered'),
        new Promise((resolve) => setTimeout(resolve, 10_000, 'no answer within 10 s')).then(String),
      ]);
      assert.equal(outcome, 'answered');
      await enqueueJob(store.db, { kind: 'test.ok', resourceId: 'ok', runAt: Date.now() });
      worker.wake();
      await waitUntil(
        () => countEffects(store.db),
        (n) => n === 1,
        'the other job to run',
      );
      const hung = await rowOf(store, 'hang');
      assert.match(String(hung?.last_error), /did not finish within 300 ms/);
    } finally {
      await worker.close();
      await server.close();
    }
  });
});
