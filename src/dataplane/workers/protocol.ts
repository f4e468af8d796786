/**
 * The messages of the data plane's processes, over node's IPC channels (JSON):
 *
 *   main process ──(ToSupervisor / FromSupervisor)── supervisor ──(ToWorker / FromWorker)── workers
 *
 * The main process holds the store and the controller and sends listener
 * specs by difference (upserts and removals by key); the supervisor keeps the
 * whole desired set, hands each worker its share and keeps the per-endpoint
 * connection limit across workers (slot leases); workers forward traffic and
 * report what they counted. A TCP listening socket is bound by one worker and
 * passed (as an IPC handle, through the supervisor) to the others, which all
 * accept on it. Every channel is ordered, which the protocol relies on: a
 * worker's counts sent before its answer to an apply arrive before that
 * answer, and a shared socket arrives before the apply that uses it.
 */
import type { TrafficDelta } from '../forwarder/counters.ts';
import type { ApplyResult, ListenerSpec } from '../forwarder/types.ts';

/** What the supervisor and its workers are started with (env VPCEP_DATAPLANE_SETTINGS, JSON). */
export interface PlaneSettings {
  /** Worker processes (at least 1). */
  workers: number;
  connectTimeoutMs: number;
  /** Whether debug lines (one per refused or failed connection) are worth sending. */
  debug: boolean;
  /** How often workers report their counts. */
  reportMs: number;
}

export const SETTINGS_ENV = 'VPCEP_DATAPLANE_SETTINGS';
/** A worker's slot (0 … workers-1), stable across its restarts. */
export const WORKER_ENV = 'VPCEP_DATAPLANE_WORKER';

export type LogLevel = 'warn' | 'info' | 'debug';

export interface LogMessage {
  t: 'log';
  level: LogLevel;
  obj: Record<string, unknown>;
  msg: string;
}

/** A listener-set change by difference: specs to add or replace, keys to drop. */
export interface SpecDiff {
  upserts: ListenerSpec[];
  removals: string[];
}

export type ToSupervisor =
  ({ t: 'apply'; id: number } & SpecDiff) | { t: 'flush'; id: number } | { t: 'close' };

export interface WorkerState {
  index: number;
  pid: number | undefined;
  /** Whether it is running and has taken its listeners. */
  ready: boolean;
  restarts: number;
}

export type FromSupervisor =
  | { t: 'ready'; workers: WorkerState[] }
  | { t: 'applied'; id: number; result: ApplyResult; listeners: number }
  | { t: 'flushed'; id: number }
  | { t: 'traffic'; worker: number; deltas: TrafficDelta[] }
  | { t: 'workers'; workers: WorkerState[] }
  | LogMessage;

export type ToWorker =
  /**
   * `detach`: take the diff, then stop accepting on every listener it removes
   * or changes (their connections stay open); `commit`: take the diff, then
   * apply (reset what was detached, update in place, start what is new).
   */
  | ({ t: 'apply'; id: number; phase: 'detach' | 'commit' } & SpecDiff)
  /** Comes with a listening TCP socket (an IPC handle) to run `key` on, instead of binding one. */
  | { t: 'share'; key: string }
  /** Send back, one `handle` message each, the listening sockets of those of `keys` running here. */
  | { t: 'lend'; id: number; keys: string[] }
  | { t: 'flush'; id: number }
  /** The answer to a `slots` request: n more slots, and how many spare ones to keep. */
  | { t: 'grant'; ep: string; n: number; keep: number }
  /** Give back every spare slot of the endpoint now. */
  | { t: 'reclaim'; ep: string; rid: number }
  | { t: 'close' };

export type FromWorker =
  | { t: 'ready' }
  | { t: 'done'; id: number; result?: ApplyResult }
  /** Comes with the listening socket of `key` (answering `lend` request `id`). */
  | { t: 'handle'; id: number; key: string }
  /** Every handle of `lend` request `id` was sent. */
  | { t: 'lent'; id: number }
  | { t: 'flushed'; id: number }
  | { t: 'traffic'; deltas: TrafficDelta[] }
  /** More slots for the endpoint, whose limit is `max`: at least `want`. */
  | { t: 'slots'; ep: string; max: number; want: number }
  | { t: 'return'; ep: string; n: number }
  | { t: 'reclaimed'; ep: string; rid: number; n: number }
  | LogMessage;

/** A log object made of plain data: errors become their message and code. */
export function plainLogObject(obj: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v instanceof Error) {
      const code = (v as NodeJS.ErrnoException).code;
      out[k] = code === undefined ? { message: v.message } : { message: v.message, code };
    } else out[k] = v;
  }
  return out;
}

/** Reads PlaneSettings from the environment; throws if they are missing or malformed. */
export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): PlaneSettings {
  const raw = env[SETTINGS_ENV];
  if (raw === undefined) throw new Error(`${SETTINGS_ENV} is not set: this file is started by vpcep`);
  const s = JSON.parse(raw) as Partial<PlaneSettings>;
  const positive = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n > 0;
  if (!positive(s.workers) || !positive(s.connectTimeoutMs) || !positive(s.reportMs)) {
    throw new Error(`${SETTINGS_ENV} is malformed`);
  }
  return {
    workers: s.workers,
    connectTimeoutMs: s.connectTimeoutMs,
    debug: s.debug === true,
    reportMs: s.reportMs,
  };
}
