/**
 * The main process's handle on the forwarding processes: it starts the
 * supervisor (when the first listener is wanted), sends it listener changes
 * by difference, adds the workers' counts to this process's EndpointCounters,
 * and restarts the supervisor if it dies, giving it back every listener.
 *
 * Nothing here runs per connection: API load and store re-reads in this
 * process never delay a forwarded byte.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { TRAFFIC_FIELDS, type EndpointCounters } from '../forwarder/counters.ts';
import { compareSpecs } from '../forwarder/types.ts';
import type { ApplyResult, ListenerSpec } from '../forwarder/types.ts';
import type { Forwarding, ForwardingProcessesStatus } from '../forwarding.ts';
import { entryPoint } from './launch.ts';
import {
  SETTINGS_ENV,
  type FromSupervisor,
  type LogLevel,
  type PlaneSettings,
  type SpecDiff,
  type ToSupervisor,
  type WorkerState,
} from './protocol.ts';

export interface PlaneLog {
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  debug?(obj: object, msg?: string): void;
}

export interface ForwardingProcessesOptions {
  workers: number;
  connectTimeoutMs: number;
  counters: EndpointCounters;
  log: PlaneLog;
  /** Whether workers send a debug line per refused or failed connection. */
  debug?: boolean;
  /** How often workers report their counts (default 250 ms). */
  reportMs?: number;
  /**
   * A command the supervisor is started through, with node and its arguments
   * after it (e.g. `ip netns exec NS` to run the data plane in another
   * network namespace): the IPC channel passes through it.
   */
  launcher?: readonly string[];
}

const READY_TIMEOUT_MS = 30_000;
/** Two rounds of worker requests, each bounded by the supervisor at 60 s. */
const APPLY_TIMEOUT_MS = 150_000;
const REFRESH_TIMEOUT_MS = 1000;
const CLOSE_TIMEOUT_MS = 10_000;
const RESTART_FIRST_MS = 100;
const RESTART_MAX_MS = 5000;
const STABLE_MS = 10_000;
/** Where a delta holds the flows a worker accepted (TCP connections, UDP sessions). */
const FLOW_TOTALS = [TRAFFIC_FIELDS.indexOf('totalConnections'), TRAFFIC_FIELDS.indexOf('totalSessions')];

function noResult(specs: Iterable<string>, error: string): ApplyResult {
  return { started: [], stopped: [], updated: [], failed: [...specs].sort().map((key) => ({ key, error })) };
}

interface Waiter {
  resolve(msg: FromSupervisor | undefined): void;
}

/** One run of the supervisor process. */
interface Run {
  child: ChildProcess;
  startedAt: number;
  /** Resolves once it said 'ready' and was given every listener; false if it died first. */
  ready: Promise<boolean>;
  exited: Promise<void>;
  pid: number | undefined;
}

export class ForwardingProcesses implements Forwarding {
  readonly #opts: ForwardingProcessesOptions;
  readonly #settings: PlaneSettings;
  #run: Run | undefined;
  /** What the supervisor was last given (or will be, once it runs): its desired listeners. */
  #sent = new Map<string, ListenerSpec>();
  readonly #waiters = new Map<number, Waiter>();
  #nextId = 0;
  #listeners = 0;
  /** The last apply left every listener running, and the processes have not changed since. */
  #settled = false;
  #workers: WorkerState[] = [];
  readonly #flows = new Map<number, number>();
  #restarts = 0;
  #backoffMs = RESTART_FIRST_MS;
  #restartTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(opts: ForwardingProcessesOptions) {
    this.#opts = opts;
    this.#settings = {
      workers: Math.max(1, opts.workers),
      connectTimeoutMs: opts.connectTimeoutMs,
      debug: opts.debug === true,
      reportMs: opts.reportMs ?? 250,
    };
  }

  async apply(specs: readonly ListenerSpec[]): Promise<ApplyResult> {
    if (this.#closed) throw new Error('the data plane is closed');
    const keys = specs.map((s) => s.key);
    // No process until there is something to forward: a node without endpoints stays small.
    if (this.#run === undefined && this.#restartTimer === undefined) {
      if (specs.length === 0) return noResult([], '');
      this.#start();
    }
    const run = this.#run;
    if (run === undefined || !(await within(run.ready, READY_TIMEOUT_MS, false)) || this.#run !== run) {
      // It will get them once it runs again.
      this.#sent = this.#desiredFrom(specs);
      return noResult(keys, 'the data-plane processes are restarting');
    }
    const diff = this.#diffTo(specs);
    // Nothing changed and nothing failed last time (a failure is retried by an apply like
    // this one): the processes already run exactly this.
    if (diff.upserts.length === 0 && diff.removals.length === 0 && this.#settled) return noResult([], '');
    const answer = await this.#ask({ t: 'apply', ...diff }, APPLY_TIMEOUT_MS);
    this.#settled = false;
    if (answer?.t !== 'applied') return noResult(keys, 'the data-plane processes did not answer');
    this.#listeners = answer.listeners;
    this.#settled = answer.result.failed.length === 0 && this.#run === run;
    return answer.result;
  }

  listenerCount(): number {
    return this.#run === undefined ? 0 : this.#listeners;
  }

  async refresh(): Promise<void> {
    const run = this.#run;
    if (run === undefined || !(await within(run.ready, REFRESH_TIMEOUT_MS, false))) return;
    await this.#ask({ t: 'flush' }, REFRESH_TIMEOUT_MS);
  }

  processes(): ForwardingProcessesStatus {
    return {
      supervisorPid: this.#run?.pid,
      supervisorRestarts: this.#restarts,
      workers: this.#workers.map((w) => ({ ...w })),
      flows: new Map(this.#flows),
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#restartTimer);
    const run = this.#run;
    if (run === undefined) return;
    this.#post(run, { t: 'close' });
    const timer = setTimeout(() => run.child.kill('SIGKILL'), CLOSE_TIMEOUT_MS);
    await run.exited;
    clearTimeout(timer);
  }

  #desiredFrom(specs: readonly ListenerSpec[]): Map<string, ListenerSpec> {
    return new Map(specs.map((s) => [s.key, s]));
  }

  /** The change from what the supervisor has to `specs`, which it then has. */
  #diffTo(specs: readonly ListenerSpec[]): SpecDiff {
    const next = this.#desiredFrom(specs);
    const upserts: ListenerSpec[] = [];
    for (const [key, spec] of next) {
      const had = this.#sent.get(key);
      // A full re-read builds new objects for unchanged endpoints: only real changes travel.
      if (had === undefined || (had !== spec && compareSpecs(had, spec) !== 'same')) upserts.push(spec);
      else if (had !== spec) next.set(key, had);
    }
    const removals = [...this.#sent.keys()].filter((key) => !next.has(key));
    this.#sent = next;
    return { upserts, removals };
  }

  #ask(msg: { t: 'apply'; upserts: ListenerSpec[]; removals: string[] } | { t: 'flush' }, ms: number) {
    const run = this.#run;
    const id = ++this.#nextId;
    const answer = new Promise<FromSupervisor | undefined>((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(id);
        resolve(undefined);
      }, ms);
      this.#waiters.set(id, {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
    if (run === undefined || !this.#post(run, { ...msg, id })) this.#answer(id, undefined);
    return answer;
  }

  #answer(id: number, msg: FromSupervisor | undefined): void {
    const waiter = this.#waiters.get(id);
    this.#waiters.delete(id);
    waiter?.resolve(msg);
  }

  #post(run: Run, msg: ToSupervisor): boolean {
    if (!run.child.connected) return false;
    run.child.send(msg, (err) => {
      if (err) this.#opts.log.warn({ err }, 'could not reach the data-plane supervisor');
    });
    return true;
  }

  #start(): void {
    this.#restartTimer = undefined;
    const { file, execArgv } = entryPoint('supervisor-main');
    const node = [process.execPath, ...execArgv, file];
    const [command = process.execPath, ...args] = [...(this.#opts.launcher ?? []), ...node];
    const child = spawn(command, args, {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, [SETTINGS_ENV]: JSON.stringify(this.#settings) },
      serialization: 'json',
    });
    let markReady: (ok: boolean) => void = () => {};
    const ready = new Promise<boolean>((resolve) => (markReady = resolve));
    let markExited: () => void = () => {};
    const exited = new Promise<void>((resolve) => (markExited = resolve));
    const run: Run = { child, startedAt: Date.now(), ready, exited, pid: child.pid };
    this.#run = run;
    child.on('message', (msg: FromSupervisor) => {
      // Late words of a supervisor already replaced would count its traffic twice.
      if (this.#run !== run) return;
      if (msg.t === 'ready') {
        this.#workers = msg.workers;
        // Everything it should run, first: a restarted supervisor starts from nothing.
        const all = [...this.#sent.values()];
        if (all.length > 0) {
          void this.#ask({ t: 'apply', upserts: all, removals: [] }, APPLY_TIMEOUT_MS).then((answer) => {
            if (answer?.t === 'applied') this.#listeners = answer.listeners;
          });
        }
        markReady(true);
        return;
      }
      this.#fromSupervisor(msg);
    });
    let gone = false;
    const onGone = (why: object) => {
      if (gone) return;
      gone = true;
      markReady(false);
      markExited();
      this.#exited(run, why);
    };
    child.on('error', (err) => onGone({ err }));
    child.on('exit', (code, signal) => onGone({ code, signal }));
  }

  #fromSupervisor(msg: FromSupervisor): void {
    switch (msg.t) {
      case 'applied':
      case 'flushed':
        this.#answer(msg.id, msg);
        return;
      case 'traffic':
        for (const delta of msg.deltas) {
          this.#opts.counters.add(delta);
          const flows = FLOW_TOTALS.reduce((n, i) => n + (delta[1][i] ?? 0), 0);
          if (flows > 0) this.#flows.set(msg.worker, (this.#flows.get(msg.worker) ?? 0) + flows);
        }
        return;
      case 'workers':
        this.#workers = msg.workers;
        return;
      case 'log':
        this.#log(msg.level, msg.obj, msg.msg);
        return;
      case 'ready':
        return;
    }
  }

  #log(level: LogLevel, obj: Record<string, unknown>, msg: string): void {
    const log = this.#opts.log;
    if (level === 'debug') log.debug?.(obj, msg);
    else log[level](obj, msg);
  }

  #exited(run: Run, why: object): void {
    if (this.#run !== run) return;
    this.#run = undefined;
    this.#listeners = 0;
    this.#settled = false;
    this.#workers = [];
    for (const id of [...this.#waiters.keys()]) this.#answer(id, undefined);
    // Its workers, and their connections, went with it.
    this.#opts.counters.clearActive();
    if (this.#closed) return;
    this.#restarts += 1;
    if (Date.now() - run.startedAt >= STABLE_MS) this.#backoffMs = RESTART_FIRST_MS;
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, RESTART_MAX_MS);
    this.#opts.log.warn({ ...why, restartInMs: delay }, 'data-plane supervisor exited; restarting it');
    this.#restartTimer = setTimeout(() => this.#start(), delay);
    this.#restartTimer.unref();
  }
}

/** `promise`, or `fallback` after `ms`. */
function within<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(fallback), ms);
    void promise.then((v) => {
      clearTimeout(timer);
      resolve(v);
    });
  });
}
