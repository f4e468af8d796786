import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import type { Clock } from '../context/clock.ts';
import type { DialectName } from '../store/open.ts';
import type { Database } from '../store/schema.ts';
import { retryDelay } from './backoff.ts';
import { claimDueJobs, deleteClaimed, releaseClaimed, type ClaimToken, type JobRow } from './claim.ts';
import { withDeadline } from './deadline.ts';
import type { ClaimedJob, GiveUpHandler, JobHandler, JobLogger } from './types.ts';

const DEFAULT_BATCH_SIZE = 10;
const DEFAULT_BACKOFF_BASE_MS = 1000;
export const DEFAULT_HANDLER_TIMEOUT_MS = 10_000;
/**
 * How long a job of a kind this process has no handler for is parked. During a
 * rolling upgrade an old process may claim a new kind; parking (with the
 * attempt refunded) leaves it for an upgraded process instead of spinning on it
 * or burning its attempts.
 */
export const UNKNOWN_KIND_DELAY_MS = 5 * 60_000;
const MAX_ERROR_CHARS = 2000;

export interface JobWorkerOptions {
  db: Kysely<Database>;
  dialect: DialectName;
  clock: Clock;
  /** Idle delay between polls. A poll that fills a whole batch polls again at once. */
  pollMs: number;
  /** See the lease notes on JobWorker. Also caps the retry backoff. */
  leaseMs: number;
  /** Default attempts for jobs enqueued without their own maxAttempts. */
  maxAttempts: number;
  /**
   * How long a handler (or give-up handler) may run before it is abandoned: its
   * transaction rolls back, its connection is released, and the job is retried
   * with backoff like any failure (default 10 s; see deadline.ts).
   */
  handlerTimeoutMs?: number | undefined;
  /** Unique per process; the default combines host, pid and random bytes. */
  workerId?: string;
  /** Jobs claimed (and run concurrently) per poll. */
  batchSize?: number;
  /** First retry delay; doubles per attempt up to leaseMs. */
  backoffBaseMs?: number;
  /** Jitter source in [0, 1); injectable so tests can pin the backoff. */
  random?: () => number;
  log?: JobLogger;
  handlers: Record<string, JobHandler>;
  /** Per kind: called in the deleting transaction when a job runs out of attempts. */
  onGiveUp?: Record<string, GiveUpHandler>;
}

/** Signals, from inside the handler transaction, that our claim was taken over. */
class LeaseLost extends Error {}

function own<T>(map: Record<string, T> | undefined, key: string): T | undefined {
  return map && Object.hasOwn(map, key) ? map[key] : undefined;
}

function messageOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}…` : text;
}

/**
 * Polls the jobs table and runs due jobs exactly once as far as the database
 * is concerned: each handler runs in a transaction that first deletes its job
 * row, fenced on our claim, and rolls back if the row is no longer ours.
 *
 * Lease: a claim stamps locked_until = now + leaseMs. Because the delete comes
 * first, once a handler's transaction has started the row is held (row lock on
 * PostgreSQL, the write lock on SQLite) and an expired lease cannot lead to a
 * second run; the lease only has to cover the wait between the claim and the
 * start of the transaction (the rest of its batch, on SQLite run one at a time).
 * There is therefore no heartbeat. The lease is also how jobs of a crashed
 * process come back: they are due again once it passes, so a short lease means
 * fast recovery and a long one tolerates slow batches. Keep handlers short: on
 * SQLite a running handler holds the only write lock, which is why a handler
 * past handlerTimeoutMs is abandoned and its transaction rolled back.
 */
export class JobWorker {
  readonly workerId: string;
  readonly #db: Kysely<Database>;
  readonly #dialect: DialectName;
  readonly #clock: Clock;
  readonly #pollMs: number;
  readonly #leaseMs: number;
  readonly #maxAttempts: number;
  readonly #batchSize: number;
  readonly #handlerTimeoutMs: number;
  readonly #backoffBaseMs: number;
  readonly #random: () => number;
  readonly #log: JobLogger | undefined;
  readonly #handlers: Record<string, JobHandler>;
  readonly #onGiveUp: Record<string, GiveUpHandler> | undefined;

  #started = false;
  #closed = false;
  #closing: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** When the scheduled poll fires (clock time), while one is scheduled. */
  #timerDue: number | undefined;
  /** The earliest run time a wake(at) announced that no poll has reached yet. */
  #dueAt: number | undefined;
  #polling = false;
  #wakeRequested = false;
  /** Serialises poll cycles so the loop, wake() and runDue() never overlap. */
  #chain: Promise<unknown> = Promise.resolve();
  #pollFailures = 0;

  constructor(opts: JobWorkerOptions) {
    for (const [name, v] of [
      ['pollMs', opts.pollMs],
      ['leaseMs', opts.leaseMs],
      ['maxAttempts', opts.maxAttempts],
      ['batchSize', opts.batchSize ?? DEFAULT_BATCH_SIZE],
      ['handlerTimeoutMs', opts.handlerTimeoutMs ?? DEFAULT_HANDLER_TIMEOUT_MS],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`JobWorker ${name} must be a positive integer`);
    }
    this.workerId = opts.workerId ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    this.#db = opts.db;
    this.#dialect = opts.dialect;
    this.#clock = opts.clock;
    this.#pollMs = opts.pollMs;
    this.#leaseMs = opts.leaseMs;
    this.#maxAttempts = opts.maxAttempts;
    this.#batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE;
    this.#handlerTimeoutMs = opts.handlerTimeoutMs ?? DEFAULT_HANDLER_TIMEOUT_MS;
    this.#backoffBaseMs = opts.backoffBaseMs ?? DEFAULT_BACKOFF_BASE_MS;
    this.#random = opts.random ?? Math.random;
    this.#log = opts.log;
    this.#handlers = opts.handlers;
    this.#onGiveUp = opts.onGiveUp;
  }

  /** Begins polling, first poll immediately. No-op if started or closed. */
  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    this.#schedule(0);
  }

  /**
   * Polls now instead of at the next tick, or, given the run time `at` of a job
   * enqueued for later, makes sure a poll comes by then (polling now would find
   * nothing due: on PostgreSQL a claim is a round trip on the jobs pool, on
   * SQLite it takes the one connection). Call it after the transaction that
   * enqueued the job has COMMITTED — before that the poll cannot see the row.
   */
  wake(at?: number): void {
    if (!this.#started || this.#closed) return;
    const now = this.#clock.now();
    if (at === undefined || at <= now) {
      if (this.#polling) this.#wakeRequested = true;
      else this.#schedule(0);
      return;
    }
    this.#dueAt = Math.min(this.#dueAt ?? at, at);
    // A poll in progress schedules the next one with #dueAt in mind.
    if (!this.#polling && (this.#timerDue === undefined || this.#timerDue > at)) this.#schedule(at - now);
  }

  /** Whether the worker polls, and whether its last poll reached the store (for /readyz). */
  status(): { running: boolean; pollFailing: boolean } {
    return { running: this.#started && !this.#closed, pollFailing: this.#pollFailures > 0 };
  }

  /** One poll cycle: claims due jobs, runs them, resolves with how many were claimed. */
  runDue(): Promise<number> {
    const cycle = this.#chain.then(() => this.#cycle());
    this.#chain = cycle.catch(() => undefined);
    return cycle;
  }

  /** Stops claiming and resolves once running handlers have finished. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      clearTimeout(this.#timer);
      this.#timer = undefined;
      await this.#chain;
    })();
    return this.#closing;
  }

  #schedule(ms: number): void {
    clearTimeout(this.#timer);
    this.#timerDue = this.#clock.now() + ms;
    // unref: a pending poll must not keep a finished process (or test) alive.
    this.#timer = setTimeout(() => void this.#tick(), ms);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    this.#timer = undefined;
    this.#timerDue = undefined;
    this.#polling = true;
    this.#wakeRequested = false;
    // This poll claims every job due by now, the announced ones among them.
    if (this.#dueAt !== undefined && this.#dueAt <= this.#clock.now()) this.#dueAt = undefined;
    let backlog = false;
    try {
      backlog = (await this.runDue()) >= this.#batchSize;
      if (this.#pollFailures > 0) this.#log?.info({ failures: this.#pollFailures }, 'job polling recovered');
      this.#pollFailures = 0;
    } catch (err) {
      // Database down or similar: say so once per outage, keep polling.
      if (this.#pollFailures++ === 0) this.#log?.error({ err }, 'job poll failed; retrying');
    } finally {
      this.#polling = false;
    }
    if (this.#closed) return;
    const untilDue = this.#dueAt === undefined ? Infinity : Math.max(0, this.#dueAt - this.#clock.now());
    this.#schedule(backlog || this.#wakeRequested ? 0 : Math.min(this.#pollMs, untilDue));
  }

  async #cycle(): Promise<number> {
    if (this.#closed) return 0;
    const rows = await claimDueJobs(this.#db, this.#dialect, {
      workerId: this.workerId,
      now: this.#clock.now(),
      leaseMs: this.#leaseMs,
      limit: this.#batchSize,
    });
    await Promise.all(rows.map((row) => this.#runSafely(row)));
    return rows.length;
  }

  async #runSafely(row: JobRow): Promise<void> {
    const token: ClaimToken = { id: Number(row.id), lockedBy: this.workerId, attempts: row.attempts };
    const ctx = { jobId: token.id, kind: row.kind, resourceId: row.resource_id, attempts: row.attempts };
    try {
      await this.#run(row, token, ctx);
    } catch (err) {
      // Only bookkeeping writes get here (the handler's own errors are handled
      // in #run). Leaving the claim in place is safe: the lease expires and the
      // job is retried.
      this.#log?.error({ ...ctx, err }, 'job bookkeeping failed; job will be retried after its lease');
    }
  }

  async #run(row: JobRow, token: ClaimToken, ctx: object): Promise<void> {
    const handler = own(this.#handlers, row.kind);
    if (!handler) {
      this.#log?.warn(ctx, 'no handler for job kind; parking it');
      await releaseClaimed(this.#db, token, {
        runAt: this.#clock.now() + UNKNOWN_KIND_DELAY_MS,
        lastError: `no handler for kind ${row.kind} on worker ${this.workerId}`,
        refundAttempt: true,
      });
      return;
    }
    let payload: unknown = row.payload;
    let parseError: unknown;
    try {
      payload = JSON.parse(row.payload);
    } catch (err) {
      parseError = err;
    }
    const committed: (() => void)[] = [];
    const job: ClaimedJob = {
      afterCommit: (fn) => committed.push(fn),
      id: token.id,
      kind: row.kind,
      resourceId: row.resource_id,
      payload,
      runAt: row.run_at,
      attempts: row.attempts,
      maxAttempts: row.max_attempts ?? this.#maxAttempts,
      createdAt: row.created_at,
    };
    try {
      if (parseError) throw new Error(`job payload is not valid JSON: ${messageOf(parseError)}`);
      await this.#db.transaction().execute(async (trx) => {
        // Delete first: it fences on our claim and, from here to commit, holds
        // the row so nobody else can claim it even if our lease runs out.
        if (!(await deleteClaimed(trx, token))) throw new LeaseLost();
        await withDeadline(trx, this.#handlerTimeoutMs, (guarded) => handler(guarded, job));
      });
    } catch (err) {
      // What the rolled-back handler asked for must not happen.
      committed.length = 0;
      if (err instanceof LeaseLost) {
        this.#log?.warn(ctx, 'job lease was taken over before it ran; skipped');
        return;
      }
      await this.#failed(job, token, ctx, err, committed);
    }
    this.#runCommitted(committed, ctx);
  }

  #runCommitted(callbacks: (() => void)[], ctx: object): void {
    for (const fn of callbacks.splice(0)) {
      try {
        fn();
      } catch (err) {
        this.#log?.warn({ ...ctx, err }, 'job afterCommit callback failed');
      }
    }
  }

  async #failed(
    job: ClaimedJob,
    token: ClaimToken,
    ctx: object,
    err: unknown,
    committed: (() => void)[],
  ): Promise<void> {
    let lastError = messageOf(err);
    if (job.attempts >= job.maxAttempts) {
      const onGiveUp = own(this.#onGiveUp, job.kind);
      try {
        const gaveUp = await this.#db.transaction().execute(async (trx) => {
          if (!(await deleteClaimed(trx, token))) return false;
          if (onGiveUp)
            await withDeadline(trx, this.#handlerTimeoutMs, (guarded) => onGiveUp(guarded, job, err));
          return true;
        });
        if (gaveUp) this.#log?.error({ ...ctx, err }, 'job failed too many times; gave up');
        return;
      } catch (giveUpErr) {
        committed.length = 0;
        // Keep the job: dropping it would leave its resource stuck mid-transition.
        lastError = messageOf(`onGiveUp failed: ${messageOf(giveUpErr)}; job error: ${lastError}`);
        this.#log?.error({ ...ctx, err: giveUpErr }, 'job onGiveUp failed; will retry');
      }
    } else {
      this.#log?.warn({ ...ctx, err }, 'job failed; will retry');
    }
    const delay = retryDelay(job.attempts, this.#backoffBaseMs, this.#leaseMs, this.#random);
    await releaseClaimed(this.#db, token, { runAt: this.#clock.now() + delay, lastError });
  }
}
