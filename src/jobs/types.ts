import type { Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';

/** A job as its handler sees it: claimed by this worker, payload already parsed. */
export interface ClaimedJob {
  readonly id: number;
  readonly kind: string;
  readonly resourceId: string;
  /** The value given to enqueueJob, parsed back from JSON; handlers validate it. */
  readonly payload: unknown;
  readonly runAt: number;
  /** 1 on the first run: the claim counts the attempt before the handler starts. */
  readonly attempts: number;
  /** The job's own limit, or the worker's when the job was enqueued without one. */
  readonly maxAttempts: number;
  /**
   * Runs `fn` once the transaction the handler (or give-up handler) runs in has
   * committed, and never if it rolls back: for telling others about a change
   * only when they can see it. Errors thrown by `fn` are logged, not retried.
   */
  afterCommit(fn: () => void): void;
  readonly createdAt: number;
}

/**
 * Runs a job inside `trx`, the same transaction that deletes the job row, so the
 * handler's writes and the job's completion commit (or roll back) together.
 * Throwing rolls both back and schedules a retry. Handlers must still be
 * idempotent — check the resource's current state — because work outside the
 * database (or a future change of handler) is not covered by that transaction.
 * Use `trx` for every query: on SQLite the store has one connection, so
 * awaiting the outer Kysely handle from inside the transaction never returns.
 */
export type JobHandler = (trx: Transaction<Database>, job: ClaimedJob) => Promise<void>;

/**
 * Called once a job has failed max_attempts times, in the transaction that
 * deletes it (e.g. to mark the resource `failed`). If it throws, the job is kept
 * and retried later rather than dropped with the resource stuck.
 */
export type GiveUpHandler = (trx: Transaction<Database>, job: ClaimedJob, error: unknown) => Promise<void>;

/** The pino-shaped subset the worker logs through. */
export interface JobLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
