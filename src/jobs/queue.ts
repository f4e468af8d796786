import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { preparedStatement } from '../store/prepared.ts';

// The producer side of the outbox. These take a Kysely handle rather than a
// store so a caller passes its own transaction: the job then exists if and only
// if the state change that needs it commits.

export interface NewJob {
  kind: string;
  /** The resource the job acts on; cancelJobs() finds jobs by it. */
  resourceId: string;
  /** Any JSON-serialisable value (default `{}`). */
  payload?: unknown;
  /** Earliest time (epoch ms, by the worker's clock) the job may run. */
  runAt: number;
  /** Attempts before giving up; omitted means the worker's configured limit. */
  maxAttempts?: number;
  /** created_at (epoch ms); defaults to Date.now(). Informational only. */
  now?: number;
}

const insertJob = preparedStatement(
  (
    db: Kysely<Database>,
    kind: string,
    resourceId: string,
    payload: string,
    runAt: number,
    maxAttempts: number | null,
    createdAt: number,
  ) =>
    db
      .insertInto('jobs')
      .values({
        kind,
        resource_id: resourceId,
        payload,
        run_at: runAt,
        attempts: 0,
        max_attempts: maxAttempts,
        locked_by: null,
        locked_until: null,
        last_error: null,
        created_at: createdAt,
      })
      .returning('id'),
);

/** The columns of the row enqueueJob writes for `job`; RangeError for a job no worker could run. */
export function jobRowOf(job: NewJob) {
  if (!Number.isFinite(job.runAt)) throw new RangeError(`job runAt must be a finite time, got ${job.runAt}`);
  const max = job.maxAttempts;
  if (max !== undefined && !(Number.isInteger(max) && max >= 1)) {
    throw new RangeError(`job maxAttempts must be a positive integer, got ${max}`);
  }
  return {
    kind: job.kind,
    resource_id: job.resourceId,
    payload: JSON.stringify(job.payload ?? {}),
    run_at: Math.floor(job.runAt),
    max_attempts: max ?? null,
    created_at: Math.floor(job.now ?? Date.now()),
  };
}

/** Writes a job row through `db` (usually a transaction) and returns its id. */
export async function enqueueJob(db: Kysely<Database>, job: NewJob): Promise<number> {
  const r = jobRowOf(job);
  const [row] = await insertJob(db, r.kind, r.resource_id, r.payload, r.run_at, r.max_attempts, r.created_at);
  if (!row) throw new Error('unreachable: an insert answers its row');
  return Number(row.id);
}

/**
 * Deletes a resource's pending jobs (of one kind, or all) and returns how many.
 * Call it in the transaction that makes them obsolete. A job whose handler is
 * running right now holds its row (PostgreSQL row lock / SQLite write lock), so
 * this waits for it and then deletes nothing if it completed — which is why
 * handlers re-check the resource's state instead of trusting they were wanted.
 */
export async function cancelJobs(
  db: Kysely<Database>,
  filter: { kind?: string; resourceId: string },
): Promise<number> {
  let q = db.deleteFrom('jobs').where('resource_id', '=', filter.resourceId);
  if (filter.kind !== undefined) q = q.where('kind', '=', filter.kind);
  const res = await q.executeTakeFirst();
  return Number(res.numDeletedRows);
}

/** Whether a job of `kind` for the resource exists (due, waiting or being run). */
export async function hasPendingJob(
  db: Kysely<Database>,
  filter: { kind: string; resourceId: string },
): Promise<boolean> {
  const row = await db
    .selectFrom('jobs')
    .select('id')
    .where('kind', '=', filter.kind)
    .where('resource_id', '=', filter.resourceId)
    .executeTakeFirst();
  return row !== undefined;
}
