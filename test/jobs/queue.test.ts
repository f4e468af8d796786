import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cancelJobs, enqueueJob } from '../../src/jobs/index.ts';
import { retryDelay } from '../../src/jobs/backoff.ts';
import { claimDueJobs, deleteClaimed, releaseClaimed } from '../../src/jobs/claim.ts';
import { testDialects } from '../support/db.ts';
import { manualClock, withStore } from './helpers.ts';

class Rollback extends Error {}

test('retryDelay doubles from the base, caps, and keeps half of it fixed', () => {
  const at = (r: number) => [1, 2, 3, 4, 5, 6, 40].map((a) => retryDelay(a, 100, 1000, () => r));
  assert.deepEqual(at(0), [50, 100, 200, 400, 500, 500, 500]);
  assert.deepEqual(at(0.999999), [100, 200, 400, 800, 1000, 1000, 1000]);
});

for (const dialect of testDialects()) {
  describe(`job queue (${dialect})`, () => {
    test('enqueueJob commits and rolls back with the caller transaction', async () => {
      await withStore(dialect, async ({ db }) => {
        await assert.rejects(
          db.transaction().execute(async (trx) => {
            await enqueueJob(trx, { kind: 'k', resourceId: 'lost', runAt: 0 });
            throw new Rollback();
          }),
          Rollback,
        );
        const id = await db.transaction().execute((trx) =>
          enqueueJob(trx, {
            kind: 'k',
            resourceId: 'kept',
            payload: { a: [1] },
            runAt: 5,
            maxAttempts: 4,
            now: 3,
          }),
        );
        await enqueueJob(db, { kind: 'k', resourceId: 'default-max', runAt: 5 });
        const rows = await db.selectFrom('jobs').selectAll().orderBy('id').execute();
        assert.deepEqual(
          rows.map((r) => r.resource_id),
          ['kept', 'default-max'],
        );
        assert.equal(Number(rows[0]?.id), id);
        assert.equal(rows[0]?.payload, '{"a":[1]}');
        assert.equal(rows[0]?.max_attempts, 4);
        assert.equal(rows[0]?.created_at, 3);
        assert.equal(rows[0]?.attempts, 0);
        assert.equal(rows[1]?.max_attempts, null);
      });
    });

    test('enqueueJob rejects an invalid runAt or maxAttempts', async () => {
      await withStore(dialect, async ({ db }) => {
        await assert.rejects(enqueueJob(db, { kind: 'k', resourceId: 'r', runAt: NaN }), RangeError);
        await assert.rejects(
          enqueueJob(db, { kind: 'k', resourceId: 'r', runAt: 1, maxAttempts: 0 }),
          RangeError,
        );
        const n = await db.selectFrom('jobs').select('id').execute();
        assert.equal(n.length, 0);
      });
    });

    test('cancelJobs deletes by resource and optional kind, transactionally', async () => {
      await withStore(dialect, async ({ db }) => {
        for (const [kind, resourceId] of [
          ['a', 'r1'],
          ['b', 'r1'],
          ['a', 'r2'],
        ] as const) {
          await enqueueJob(db, { kind, resourceId, runAt: 0 });
        }
        assert.equal(await cancelJobs(db, { resourceId: 'r1', kind: 'a' }), 1);
        await assert.rejects(
          db.transaction().execute(async (trx) => {
            assert.equal(await cancelJobs(trx, { resourceId: 'r2' }), 1);
            throw new Rollback();
          }),
          Rollback,
        );
        assert.equal(await cancelJobs(db, { resourceId: 'r1' }), 1);
        assert.equal(await cancelJobs(db, { resourceId: 'nothing' }), 0);
        const left = await db.selectFrom('jobs').select(['kind', 'resource_id']).execute();
        assert.deepEqual(left, [{ kind: 'a', resource_id: 'r2' }]);
      });
    });

    test('claims respect run_at, live leases and the limit, oldest first', async () => {
      await withStore(dialect, async ({ db }) => {
        const clock = manualClock();
        const t0 = clock.now();
        for (const [r, at] of [
          ['late', t0 - 10],
          ['early', t0 - 20],
          ['future', t0 + 1],
        ] as const) {
          await enqueueJob(db, { kind: 'k', resourceId: r, runAt: at });
        }
        const claim = (workerId: string, limit = 10) =>
          claimDueJobs(db, dialect, { workerId, now: clock.now(), leaseMs: 100, limit });
        const first = await claim('w1', 1);
        assert.deepEqual(
          first.map((j) => [j.resource_id, j.locked_by, j.locked_until, j.attempts]),
          [['early', 'w1', t0 + 100, 1]],
        );
        assert.deepEqual(
          (await claim('w2')).map((j) => j.resource_id),
          ['late'],
        );
        assert.equal((await claim('w3')).length, 0, 'leased and future jobs are not claimable');
        clock.advance(100);
        assert.deepEqual((await claim('w3')).map((j) => j.resource_id).sort(), ['future']);
        clock.advance(1);
        const again = await claim('w3');
        assert.deepEqual(
          again.map((j) => [j.resource_id, j.attempts]),
          [
            ['early', 2],
            ['late', 2],
          ],
        );
      });
    });

    test('a stale claim can neither complete nor release a job taken over', async () => {
      await withStore(dialect, async ({ db }) => {
        const clock = manualClock();
        await enqueueJob(db, { kind: 'k', resourceId: 'r', runAt: clock.now() });
        const claim = (workerId: string) =>
          claimDueJobs(db, dialect, { workerId, now: clock.now(), leaseMs: 50, limit: 1 });
        const [mine] = await claim('w1');
        assert.ok(mine);
        clock.advance(51);
        // Even the same worker re-claiming gets a new token (attempts moved on).
        const [again] = await claim('w1');
        assert.equal(again?.attempts, 2);
        const stale = { id: Number(mine.id), lockedBy: 'w1', attempts: 1 };
        assert.equal(await deleteClaimed(db, stale), false);
        assert.equal(await releaseClaimed(db, stale, { runAt: 0, lastError: 'x' }), false);
        const fresh = { ...stale, attempts: 2 };
        assert.equal(
          await releaseClaimed(db, fresh, { runAt: 7, lastError: 'y', refundAttempt: true }),
          true,
        );
        const row = await db.selectFrom('jobs').selectAll().executeTakeFirstOrThrow();
        assert.deepEqual(
          [row.locked_by, row.locked_until, row.attempts, row.run_at, row.last_error],
          [null, null, 1, 7, 'y'],
        );
        assert.equal(await deleteClaimed(db, fresh), false, 'a released claim is no longer a claim');
      });
    });
  });
}
