import type { Clock } from '../../src/context/clock.ts';
import { JobWorker, type JobLogger, type JobWorkerOptions } from '../../src/jobs/index.ts';
import { openStore, type Store } from '../../src/store/open.ts';
import { freshDatabase, type TestDialect } from '../support/db.ts';
import { waitUntil } from '../support/wait.ts';

/** A clock the test moves by hand, so due/backoff/lease decisions are exact. */
export function manualClock(start = 1_700_000_000_000): Clock & { advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

/** Runs `fn` against a freshly migrated database of `dialect`, then drops it. */
export async function withStore(
  dialect: TestDialect,
  fn: (store: Store, url: string) => Promise<void>,
): Promise<void> {
  const tdb = await freshDatabase(dialect);
  const store = await openStore(tdb.url);
  try {
    await fn(store, tdb.url);
  } finally {
    await store.close();
    await tdb.drop();
  }
}

/** Polls `cond` until true; throws (naming `what`) after `timeoutMs` so no test can hang. */
export async function waitFor(cond: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000) {
  await waitUntil(cond, (ok) => ok, what, timeoutMs, 10);
}

export interface RecordedLog extends JobLogger {
  entries: { level: 'info' | 'warn' | 'error'; msg: string; obj: object }[];
}

export function recordingLog(): RecordedLog {
  const entries: RecordedLog['entries'] = [];
  return {
    entries,
    info: (obj, msg = '') => void entries.push({ level: 'info', msg, obj }),
    warn: (obj, msg = '') => void entries.push({ level: 'warn', msg, obj }),
    error: (obj, msg = '') => void entries.push({ level: 'error', msg, obj }),
  };
}

/** A worker with test defaults: no polling of its own, long lease, pinned jitter. */
export function makeWorker(store: Store, clock: Clock, opts: Partial<JobWorkerOptions> = {}): JobWorker {
  return new JobWorker({
    db: store.db,
    dialect: store.dialect,
    clock,
    pollMs: 60_000,
    leaseMs: 60_000,
    maxAttempts: 3,
    random: () => 0,
    handlers: {},
    ...opts,
  });
}

export const settingValue = async (store: Store, key: string) =>
  (await store.db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst())?.value;
