import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { systemClock } from '../../src/context/clock.ts';
import { enqueueJob } from '../../src/jobs/index.ts';
import { openStore, type Store } from '../../src/store/open.ts';
import { testDialects } from '../support/db.ts';
import { countJobs, ensureEffectsTable, insertEffect, summarizeEffects } from './fixtures/effects.ts';
import {
  settingValue as setting,
  makeWorker as worker,
  recordingLog,
  waitFor,
  withStore,
} from './helpers.ts';

// The worker as a running service: concurrent workers, the poll loop, wake(),
// surviving database errors, and shutdown. Real clock and timers.

for (const dialect of testDialects()) {
  describe(`JobWorker loop (${dialect})`, () => {
    test('two workers on separate connections never run a job twice', async () => {
      await withStore(dialect, async (store, url) => {
        const other = await openStore(url);
        try {
          await ensureEffectsTable(store.db);
          const total = 80;
          for (let i = 0; i < total; i++) {
            await enqueueJob(store.db, { kind: 'test.effect', resourceId: `k${i}`, runAt: 0 });
          }
          const make = (s: Store, name: string) =>
            worker(s, systemClock, {
              workerId: name,
              pollMs: 5,
              batchSize: 4,
              handlers: {
                'test.effect': async (trx, job) => {
                  await insertEffect(trx, job.resourceId, name);
                  // On PostgreSQL, hold the transaction open so the workers
                  // overlap. Not on SQLite: both connections live on this one
                  // thread, and a timer inside a write transaction would leave
                  // the other connection's synchronous busy-wait blocking it.
                  if (dialect === 'postgres') await sleep(3);
                },
              },
            });
          const workers = [make(store, 'w1'), make(other, 'w2')];
          workers.forEach((w) => w.start());
          await waitFor(async () => (await countJobs(store.db)) === 0, 'the queue to drain', 30_000);
          await Promise.all(workers.map((w) => w.close()));
          const s = await summarizeEffects(store.db);
          assert.deepEqual(s.duplicated, []);
          assert.equal(s.total, total);
          assert.equal(s.distinct, total);
          assert.ok(
            (s.byWorker.get('w1') ?? 0) > 0 && (s.byWorker.get('w2') ?? 0) > 0,
            'both workers took part',
          );
        } finally {
          await other.close();
        }
      });
    });

    test('start() polls at once and wake() runs a new job without waiting for pollMs', async () => {
      await withStore(dialect, async (store) => {
        const ran: string[] = [];
        const w = worker(store, systemClock, {
          handlers: { 'test.run': async (_t, j) => void ran.push(j.resourceId) },
        });
        await enqueueJob(store.db, { kind: 'test.run', resourceId: 'first', runAt: 0 });
        w.start();
        await waitFor(() => ran.length === 1, 'the first poll', 5000);
        await enqueueJob(store.db, { kind: 'test.run', resourceId: 'woken', runAt: 0 });
        w.wake();
        await waitFor(() => ran.length === 2, 'the woken poll (pollMs is 60 s)', 5000);
        assert.deepEqual(ran, ['first', 'woken']);
        await w.close();
      });
    });

    test('wake(at) runs a job enqueued for later at its time, not at the next pollMs', async () => {
      await withStore(dialect, async (store) => {
        const ran: { id: string; at: number }[] = [];
        const w = worker(store, systemClock, {
          handlers: { 'test.run': async (_t, j) => void ran.push({ id: j.resourceId, at: Date.now() }) },
        });
        w.start();
        // The first poll (at start) finds nothing; pollMs is 60 s.
        const runAt = Date.now() + 300;
        await enqueueJob(store.db, { kind: 'test.run', resourceId: 'later', runAt });
        w.wake(runAt);
        await waitFor(() => ran.length === 1, 'the job at its run time (pollMs is 60 s)', 5000);
        assert.equal(ran[0]?.id, 'later');
        assert.ok((ran[0]?.at ?? 0) >= runAt, 'not before its run time');
        await w.close();
      });
    });

    test('poll errors are logged once and polling carries on', async () => {
      await withStore(dialect, async (store) => {
        const log = recordingLog();
        const ran: string[] = [];
        const w = worker(store, systemClock, {
          log,
          pollMs: 10,
          handlers: { 'test.run': async (_t, j) => void ran.push(j.resourceId) },
        });
        await sql`ALTER TABLE jobs RENAME TO jobs_away`.execute(store.db);
        w.start();
        await waitFor(() => log.entries.some((e) => e.level === 'error'), 'a logged poll failure', 5000);
        await sleep(60); // several more failing polls
        await sql`ALTER TABLE jobs_away RENAME TO jobs`.execute(store.db);
        await enqueueJob(store.db, { kind: 'test.run', resourceId: 'after', runAt: 0 });
        await waitFor(() => ran.length === 1, 'a job after recovery', 5000);
        await w.close();
        assert.equal(log.entries.filter((e) => e.level === 'error').length, 1, 'one error per outage');
        assert.ok(log.entries.some((e) => e.level === 'info' && /recovered/.test(e.msg)));
      });
    });

    test('close() waits for a running handler, then stops claiming', async () => {
      await withStore(dialect, async (store) => {
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        let started = false;
        const w = worker(store, systemClock, {
          pollMs: 10,
          handlers: {
            'test.slow': async (trx, job) => {
              started = true;
              await gate;
              await trx
                .insertInto('settings')
                .values({ key: `done:${job.resourceId}`, value: '1' })
                .execute();
            },
          },
        });
        await enqueueJob(store.db, { kind: 'test.slow', resourceId: 'r', runAt: 0 });
        w.start();
        await waitFor(() => started, 'the handler to start', 5000);
        let closed = false;
        const closing = w.close().then(() => (closed = true));
        await sleep(100);
        assert.equal(closed, false, 'close() returned while a handler was running');
        release();
        await closing;
        assert.equal(await setting(store, 'done:r'), '1');
        assert.equal(await countJobs(store.db), 0);
        await enqueueJob(store.db, { kind: 'test.slow', resourceId: 'after', runAt: 0 });
        w.start();
        w.wake();
        assert.equal(await w.runDue(), 0, 'a closed worker claims nothing');
        await w.close();
        assert.equal(await countJobs(store.db), 1);
      });
    });
  });
}
