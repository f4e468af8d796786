import { sql, type Kysely, type Selectable } from 'kysely';
import type { DialectName } from '../store/open.ts';
import type { Database, JobsTable } from '../store/schema.ts';

export type JobRow = Selectable<JobsTable>;

/**
 * A claim is identified by (locked_by, attempts): every claim increments
 * attempts, so even the same worker re-claiming a job after its lease expired
 * gets a new token. Every write a worker makes about a claimed job is fenced on
 * it, so a worker whose lease was taken over cannot complete or reschedule the
 * job under the new owner's feet.
 */
export interface ClaimToken {
  id: number;
  lockedBy: string;
  attempts: number;
}

export interface ClaimOptions {
  workerId: string;
  now: number;
  leaseMs: number;
  limit: number;
}

/**
 * Atomically claims up to `limit` due jobs: due means run_at has passed and no
 * live lease exists (never claimed, released after a failure, or left behind
 * by a worker that died). One UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING
 * does it. On PostgreSQL the subquery takes FOR UPDATE SKIP LOCKED so
 * concurrent workers split the due set instead of queueing on the same rows;
 * SQLite needs no locking clause because a write statement holds the database's
 * single write lock from its start, which makes the select-and-update atomic.
 */
export async function claimDueJobs(
  db: Kysely<Database>,
  dialect: DialectName,
  opts: ClaimOptions,
): Promise<JobRow[]> {
  const { now, limit } = opts;
  const rows = await db
    .updateTable('jobs')
    .set({
      locked_by: opts.workerId,
      locked_until: now + opts.leaseMs,
      attempts: sql<number>`attempts + 1`,
    })
    .where('id', 'in', (eb) => {
      const due = eb
        .selectFrom('jobs')
        .select('id')
        .where('run_at', '<=', now)
        .where((w) => w.or([w('locked_until', 'is', null), w('locked_until', '<', now)]))
        .orderBy('run_at')
        .orderBy('id')
        .limit(limit);
      return dialect === 'postgres' ? due.forUpdate().skipLocked() : due;
    })
    .returningAll()
    .execute();
  // RETURNING order is unspecified; run the oldest-due first.
  return rows.sort((a, b) => a.run_at - b.run_at || Number(a.id) - Number(b.id));
}

/** Deletes the job if we still hold the claim; true when we did. */
export async function deleteClaimed(db: Kysely<Database>, t: ClaimToken): Promise<boolean> {
  const res = await db
    .deleteFrom('jobs')
    .where('id', '=', t.id)
    .where('locked_by', '=', t.lockedBy)
    .where('attempts', '=', t.attempts)
    .executeTakeFirst();
  return Number(res.numDeletedRows) === 1;
}

/**
 * Releases our claim and schedules the job for `runAt`, recording why. With
 * `refundAttempt` the claim's attempt is handed back (the job never ran here).
 * Returns false when the claim had already been taken over.
 */
export async function releaseClaimed(
  db: Kysely<Database>,
  t: ClaimToken,
  change: { runAt: number; lastError: string; refundAttempt?: boolean },
): Promise<boolean> {
  const res = await db
    .updateTable('jobs')
    .set({
      locked_by: null,
      locked_until: null,
      run_at: Math.floor(change.runAt),
      last_error: change.lastError,
      ...(change.refundAttempt ? { attempts: sql<number>`attempts - 1` } : {}),
    })
    .where('id', '=', t.id)
    .where('locked_by', '=', t.lockedBy)
    .where('attempts', '=', t.attempts)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}
