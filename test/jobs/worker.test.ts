import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { enqueueJob, UNKNOWN_KIND_DELAY_MS } from '../../src/jobs/index.ts';
import { claimDueJobs } from '../../src/jobs/claim.ts';
import type { Store } from '../../src/store/open.ts';
import { testDialects } from '../support/db.ts';
import { waitUntil } from '../support/wait.ts';
import { countJobs } from './fixtures/effects.ts';
import {
  settingValue as setting,
  makeWorker as worker,
  manualClock,
  recordingLog,
  withStore,
} from './helpers.ts';

// What happens to one job: when it runs, what commits with it, how it fails.
// Driven by runDue() and a manual clock so every timing is exact.

const jobRow = (store: Store) => store.db.selectFrom('jobs').selectAll().executeTakeFirst();

for (const dialect of testDialects()) {
  describe(`JobWorker jobs (${dialect})`, () => {
    test('due jobs run once in batches and are deleted; future jobs wait', async () => {
      await withStore(dialect, async (store) => {
        const clock = manualClock();
        const t0 = clock.now();
        const seen: { r: string; payload: unknown; attempts: number; max: number }[] = [];
        const w = worker(store, clock, {
          batchSize: 2,
          handlers: {
            'test.run': async (_trx, job) =>
              void seen.push({
                r: job.resourceId,
                payload: job.payload,
                attempts: job.attempts,
                max: job.maxAttempts,
              }),
          },
        });
        for (const r of ['a', 'b', 'c'])
          await enqueueJob(store.db, { kind: 'test.run', resourceId: r, payload: { r }, runAt: t0 });
        await enqueueJob(store.db, {
          kind: 'test.run',
          resourceId: 'later',
          runAt: t0 + 60_000,
          maxAttempts: 9,
        });
        assert.equal(await w.runDue(), 2, 'one batch');
        assert.equal(await w.runDue(), 1);
        assert.equal(await w.runDue(), 0);
        assert.deepEqual(seen.map((s) => s.r).sort(), ['a', 'b', 'c']);
        assert.deepEqual(
          seen.find((s) => s.r === 'b'),
          { r: 'b', payload: { r: 'b' }, attempts: 1, max: 3 },
        );
        assert.equal((await jobRow(store))?.resource_id, 'later');
        clock.advance(59_999);
        assert.equal(await w.runDue(), 0, 'not due yet');
        clock.advance(1);
        assert.equal(await w.runDue(), 1);
        assert.equal(seen.at(-1)?.max, 9);
        assert.equal(await countJobs(store.db), 0);
        assert.equal(await w.runDue(), 0);
        assert.equal(seen.length, 4, 'nothing ran twice');
        await w.close();
      });
    });

    test("a handler's writes commit with its job and roll back with its failure", async () => {
      await withStore(dialect, async (store) => {
        const clock = manualClock();
        let calls = 0;
        const w = worker(store, clock, {
          handlers: {
            'test.write': async (trx, job) => {
              await trx
                .insertInto('settings')
                .values({ key: `effect:${job.resourceId}`, value: `${++calls}` })
                .execute();
              if (calls === 1) throw new Error('first try fails after writing');
            },
          },
        });
        await enqueueJob(store.db, { kind: 'test.write', resourceId: 'r', runAt: clock.now() });
        await w.runDue();
        assert.equal(await setting(store, 'effect:r'), undefined, 'failed attempt left no effect');
        assert.equal((await jobRow(store))?.last_error, 'first try fails after writing');
        clock.advance(60_000);
        await w.runDue();
        assert.equal(await setting(store, 'effect:r'), '2');
        assert.equal(await countJobs(store.db), 0);
        await w.close();
      });
    });

    test('afterCommit callbacks run once the handler committed, never after a rollback', async () => {
      await withStore(dialect, async (store) => {
        const clock = manualClock();
        let calls = 0;
        // What each callback saw outside the transaction when it ran.
        const seen: (string | undefined)[] = [];
        const gaveUp: (string | undefined)[] = [];
        const w = worker(store, clock, {
          maxAttempts: 2,
          handlers: {
            'test.after': async (trx, job) => {
              calls += 1;
              await trx
                .insertInto('settings')
                .values({ key: `after:${calls}`, value: 'x' })
                .execute();
              job.afterCommit(() => void setting(store, `after:${calls}`).then((v) => seen.push(v)));
              if (job.resourceId === 'bad') throw new Error('rolled back');
            },
          },
          onGiveUp: {
            'test.after': async (trx, job) => {
              await trx.insertInto('settings').values({ key: 'gave-up', value: 'y' }).execute();
              job.afterCommit(() => void setting(store, 'gave-up').then((v) => gaveUp.push(v)));
            },
          },
        });
        await enqueueJob(store.db, { kind: 'test.after', resourceId: 'good', runAt: clock.now() });
        await w.runDue();
        await waitUntil(
          async () => seen.length,
          (n) => n === 1,
          'the callback',
        );
        assert.deepEqual(seen, ['x'], 'the commit is visible to the callback');

        await enqueueJob(store.db, { kind: 'test.after', resourceId: 'bad', runAt: clock.now() });
        await w.runDue();
        clock.advance(60_000);
        await w.runDue();
        await waitUntil(
          async () => gaveUp.length,
          (n) => n === 1,
          'the give-up callback',
        );
        assert.deepEqual(gaveUp, ['y']);
        assert.equal(seen.length, 1, 'rolled-back attempts ran no callback');
        await w.close();
      });
    });

    test('failures back off exponentially, then onGiveUp runs once and the job is dropped', async () => {
      await withStore(dialect, async (store) => {
        const clock = manualClock();
        let calls = 0;
        const gaveUp: [number, string][] = [];
        const w = worker(store, clock, {
          backoffBaseMs: 1000,
          handlers: {
            'test.fail': async () => {
              throw new Error(`boom ${++calls}`);
            },
          },
          onGiveUp: {
            'test.fail': async (trx, job, err) => {
              gaveUp.push([job.attempts, (err as Error).message]);
              await trx
                .insertInto('settings')
                .values({ key: `failed:${job.resourceId}`, value: 'yes' })
                .execute();
            },
          },
        });
        await enqueueJob(store.db, { kind: 'test.fail', resourceId: 'r', runAt: clock.now() });
        await w.runDue();
        let row = await jobRow(store);
        assert.deepEqual(
          [row?.attempts, row?.last_error, row?.locked_by, row?.locked_until, row?.run_at],
          [1, 'boom 1', null, null, clock.now() + 500],
        );
        assert.equal(await w.runDue(), 0, 'backing off');
        clock.advance(499);
        assert.equal(await w.runDue(), 0, 'still backing off');
        clock.advance(1);
        assert.equal(await w.runDue(), 1);
        row = await jobRow(store);
        assert.deepEqual([row?.attempts, row?.last_error, row?.run_at], [2, 'boom 2', clock.now() + 1000]);
        clock.advance(1000);
        await w.runDue();
        assert.equal(calls, 3);
        assert.deepEqual(gaveUp, [[3, 'boom 3']]);
        assert.equal(await setting(store, 'failed:r'), 'yes');
        assert.equal(await countJobs(store.db), 0);
        clock.advance(3_600_000);
        assert.equal(await w.runDue(), 0);
        assert.equal(calls, 3);
        await w.close();
      });
    });

    test('a throwing onGiveUp keeps the job and is tried again', async () => {
      await withStore(dialect, async (store) => {
        const clock = manualClock();
        let giveUps = 0;
        const w = worker(store, clock, {
          handlers: { 'test.fail': () => Promise.reject(new Error('boom')) },
          onGiveUp: {
            'test.fail': async () => {
              if (++giveUps === 1) throw new Error('cannot mark failed');
            },
          },
        });
        await enqueueJob(store.db, {
          kind: 'test.fail',
          resourceId: 'r',
          runAt: clock.now(),
          maxAttempts: 1,
        });
        await w.runDue();
        const row = await jobRow(store);
        assert.match(row?.last_error ?? '', /onGiveUp failed: cannot mark failed.*boom/);
        assert.equal(row?.locked_by, null);
        assert.ok((row?.run_at ?? 0) > clock.now());
        clock.advance(60_000);
        await w.runDue();
        assert.equal(giveUps, 2);
        assert.equal(await countJobs(store.db), 0);
        await w.close();
      });
    });

    test('unknown kinds are parked far ahead without spending an attempt', async () => {
      await withStore(dialect, async (store) => {
        const clock = manualClock();
        const log = recordingLog();
        const w = worker(store, clock, { log, handlers: { other: async () => undefined } });
        await enqueueJob(store.db, { kind: 'test.unknown', resourceId: 'r', runAt: clock.now() });
        assert.equal(await w.runDue(), 1);
        const row = await jobRow(store);
        assert.deepEqual(
          [row?.attempts, row?.locked_by, row?.run_at],
          [0, null, clock.now() + UNKNOWN_KIND_DELAY_MS],
        );
        assert.match(row?.last_error ?? '', /no handler for kind test\.unknown/);
        assert.equal(await w.runDue(), 0, 'does not spin');
        assert.ok(log.entries.some((e) => e.level === 'warn' && /no handler/.test(e.msg)));
        await w.close();
      });
    });

    test("a dead claimer's job runs once its lease has expired", async () => {
      await withStore(dialect, async (store) => {
        const clock = manualClock();
        const ran: number[] = [];
        const w = worker(store, clock, {
          handlers: { 'test.run': async (_t, job) => void ran.push(job.attempts) },
        });
        await enqueueJob(store.db, { kind: 'test.run', resourceId: 'r', runAt: clock.now() });
        const now = clock.now();
        assert.equal(
          (await claimDueJobs(store.db, dialect, { workerId: 'dead', now, leaseMs: 5000, limit: 5 })).length,
          1,
        );
        clock.advance(5000);
        assert.equal(await w.runDue(), 0, 'lease still held at its last millisecond');
        clock.advance(1);
        assert.equal(await w.runDue(), 1);
        assert.deepEqual(ran, [2]);
        assert.equal(await countJobs(store.db), 0);
        await w.close();
      });
    });
  });
}
