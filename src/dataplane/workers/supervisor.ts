/**
 * The data plane's supervisor process. It keeps the desired listeners the
 * main process sends, hands each worker its share, keeps the connection
 * limit across workers, passes counts and log lines on, and restarts a worker
 * that dies, giving it back its listeners.
 *
 * A TCP listening socket is bound once, by one worker, and passed on to the
 * others (node IPC handles), which then all accept on it: the kernel gives
 * each connection to one of them and nothing passes through this process.
 * This process keeps no copy of those sockets, so when a listener goes, the
 * last worker to close it really closes it (nobody else still holds it open,
 * queueing connections that nobody accepts).
 *
 * A change is applied in two rounds: when listeners go or change, every
 * worker first stops accepting on them (detach), and only then are their
 * connections reset and new listeners started (commit). One worker commits
 * first, binding new sockets; the others then get those sockets and commit.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { TRAFFIC_FIELDS, type TrafficDelta } from '../forwarder/counters.ts';
import type { ListeningHandle } from '../forwarder/listener.ts';
import type { ApplyResult, ListenerSpec } from '../forwarder/types.ts';
import { entryPoint } from './launch.ts';
import { diffShare, planListeners, udpOwner, workerShare, type Plan } from './listener-plan.ts';
import {
  plainLogObject,
  WORKER_ENV,
  type FromSupervisor,
  type FromWorker,
  type PlaneSettings,
  type SpecDiff,
  type ToSupervisor,
  type ToWorker,
  type WorkerState,
} from './protocol.ts';
import { SlotBroker } from './slot-broker.ts';

/** A worker that has not answered a request by then is killed (and restarted). */
const REQUEST_TIMEOUT_MS = 60_000;
const RESTART_FIRST_MS = 100;
const RESTART_MAX_MS = 5000;
/** A worker that lived this long restarts after the first delay again. */
const STABLE_MS = 10_000;
const CLOSE_TIMEOUT_MS = 5000;
const SYNC_RETRY_FIRST_MS = 1000;
const ACTIVE_CONNECTIONS = TRAFFIC_FIELDS.indexOf('activeConnections');
const ACTIVE_SESSIONS = TRAFFIC_FIELDS.indexOf('activeSessions');

interface Slot {
  index: number;
  proc: ChildProcess | undefined;
  /** The process runs and answers. */
  up: boolean;
  /** It also holds its share of the current listeners. */
  ready: boolean;
  restarts: number;
  backoffMs: number;
  startedAt: number;
  timer: NodeJS.Timeout | undefined;
  /** What it was last sent: its share, by key. */
  sent: Map<string, ListenerSpec>;
  /** Keys it runs (listening, or for TCP with a socket it can lend). */
  running: Set<string>;
  /** Answers awaited from it, by request id (undefined: it exited first). */
  pending: Map<number, (answer: FromWorker | undefined) => void>;
  /** Sockets it sent for a `lend` request, by request id. */
  lent: Map<number, Map<string, ListeningHandle>>;
  /** Its open flows per endpoint ([connections, sessions]), given back when it exits. */
  active: Map<string, [number, number]>;
}

interface Work {
  slot: Slot;
  share: Map<string, ListenerSpec>;
  diff: SpecDiff & { replaces: boolean };
}

type WorkerRequest =
  ({ t: 'apply'; phase: 'detach' | 'commit' } & SpecDiff) | { t: 'lend'; keys: string[] } | { t: 'flush' };

function closeHandle(handle: ListeningHandle): void {
  (handle as { close?: () => void }).close?.();
}

export class Supervisor {
  readonly #send: (msg: FromSupervisor) => void;
  readonly #slots: Slot[];
  readonly #broker: SlotBroker;
  readonly #entry = entryPoint('worker-main');
  readonly #desired = new Map<string, ListenerSpec>();
  #plan: Plan = { runnable: new Map(), conflicts: [] };
  #queue: Promise<unknown> = Promise.resolve();
  #nextId = 0;
  #closing = false;

  constructor(settings: PlaneSettings, send: (msg: FromSupervisor) => void) {
    this.#send = send;
    this.#slots = Array.from({ length: settings.workers }, (_, index) => ({
      index,
      proc: undefined,
      up: false,
      ready: false,
      restarts: 0,
      backoffMs: RESTART_FIRST_MS,
      startedAt: 0,
      timer: undefined,
      sent: new Map(),
      running: new Set(),
      pending: new Map(),
      lent: new Map(),
      active: new Map(),
    }));
    this.#broker = new SlotBroker(settings.workers, (worker, msg) => this.#post(this.#slots[worker], msg));
  }

  /**
   * Starts every worker; resolves once the first holds its share (or all have
   * died, to be restarted). The others get their share as they come up, as a
   * restarted worker does: the first listener then waits for one worker's
   * start, not for the slowest of them on a busy machine.
   */
  async start(): Promise<void> {
    const forks = this.#slots.map((slot) => this.#fork(slot));
    await new Promise<void>((resolve) => {
      let left = forks.length;
      for (const fork of forks) {
        void fork.then(() => {
          left -= 1;
          if (left === 0 || this.#slots.some((s) => s.ready)) resolve();
        });
      }
    });
    this.#send({ t: 'ready', workers: this.#states() });
  }

  handle(msg: ToSupervisor): void {
    switch (msg.t) {
      case 'apply': {
        const { id, upserts, removals } = msg;
        void this.#serialize(async () => {
          try {
            const { result, listeners } = await this.#apply({ upserts, removals });
            this.#send({ t: 'applied', id, result, listeners });
          } catch (err) {
            // A bug here must not leave the main process waiting: every key is reported.
            const error = `data-plane supervisor: ${err instanceof Error ? err.message : String(err)}`;
            const failed = [...this.#desired.keys()].sort().map((key) => ({ key, error }));
            this.#send({
              t: 'applied',
              id,
              result: { started: [], stopped: [], updated: [], failed },
              listeners: 0,
            });
          }
        });
        return;
      }
      case 'flush':
        void this.#flush().then(() => this.#send({ t: 'flushed', id: msg.id }));
        return;
      case 'close':
        void this.close().then(() => process.exit(0));
        return;
    }
  }

  /** Resets every connection, stops every worker, and waits for them to exit. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    for (const slot of this.#slots) clearTimeout(slot.timer);
    await Promise.all(
      this.#slots.map(async (slot) => {
        const proc = slot.proc;
        if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
        if (!this.#post(slot, { t: 'close' })) proc.kill('SIGKILL');
        const timer = setTimeout(() => proc.kill('SIGKILL'), CLOSE_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  /** The main process is gone: nothing may keep forwarding for it. */
  abandon(): never {
    for (const slot of this.#slots) slot.proc?.kill('SIGKILL');
    process.exit(0);
  }

  #serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #apply(change: SpecDiff): Promise<{ result: ApplyResult; listeners: number }> {
    for (const key of change.removals) this.#desired.delete(key);
    for (const spec of change.upserts) this.#desired.set(spec.key, spec);
    this.#plan = planListeners(this.#desired);
    const failed = new Map<string, ApplyResult['failed'][number]>();
    for (const c of this.#plan.conflicts) failed.set(c.key, c);
    const results = await this.#distribute(this.#slots.filter((s) => s.ready));
    const started = new Set<string>();
    const stopped = new Set<string>();
    const updated = new Set<string>();
    for (const r of results) {
      r.started.forEach((k) => started.add(k));
      r.stopped.forEach((k) => stopped.add(k));
      r.updated.forEach((k) => updated.add(k));
      for (const f of r.failed) if (!failed.has(f.key)) failed.set(f.key, f);
    }
    // What no running worker holds: UDP listeners of a worker that is restarting, or
    // everything while none runs.
    const anyReady = this.#slots.some((s) => s.ready);
    for (const [key, spec] of this.#plan.runnable) {
      if (failed.has(key)) continue;
      const owner = udpOwner(spec, this.#slots.length);
      if (!anyReady) failed.set(key, { key, error: 'no data-plane worker is running' });
      else if (owner !== undefined && this.#slots[owner]?.ready !== true) {
        failed.set(key, { key, error: `data-plane worker ${owner} is restarting` });
      }
    }
    const sorted = (set: Set<string>) => [...set].sort();
    const result: ApplyResult = {
      started: sorted(started),
      stopped: sorted(stopped),
      updated: sorted(updated),
      failed: [...failed.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
    };
    let listeners = 0;
    for (const key of this.#plan.runnable.keys()) if (!failed.has(key)) listeners++;
    return { result, listeners };
  }

  /** Brings `slots` to their share of the plan (see the module comment). */
  async #distribute(slots: readonly Slot[]): Promise<ApplyResult[]> {
    const work: Work[] = slots.map((slot) => {
      const share = workerShare(this.#plan.runnable, slot.index, this.#slots.length);
      return { slot, share, diff: diffShare(slot.sent, share) };
    });
    const detach = work.some((w) => w.diff.replaces);
    if (detach) {
      await Promise.all(
        work.map(({ slot, share, diff }) => {
          slot.sent = share;
          for (const key of diff.removals) slot.running.delete(key);
          for (const spec of diff.upserts) slot.running.delete(spec.key);
          return this.#request(slot, {
            t: 'apply',
            phase: 'detach',
            upserts: diff.upserts,
            removals: diff.removals,
          });
        }),
      );
    }
    // A TCP socket no worker holds yet is bound by the first worker alone; the others get it
    // from there. Without such sockets every worker commits at once.
    const unbound = work.some(({ share }) =>
      [...share.values()].some(
        (spec) => spec.protocol === 'TCP' && !this.#slots.some((s) => s.ready && s.running.has(spec.key)),
      ),
    );
    const [first, ...rest] = unbound ? work : [];
    const results = first === undefined ? [] : [await this.#commit(first, detach)];
    results.push(...(await Promise.all((unbound ? rest : work).map((w) => this.#commit(w, detach)))));
    return results.filter((r): r is ApplyResult => r !== undefined);
  }

  async #commit({ slot, share, diff }: Work, detached: boolean): Promise<ApplyResult | undefined> {
    slot.sent = share;
    await this.#lendTo(slot, share);
    const body: SpecDiff = detached
      ? { upserts: [], removals: [] }
      : { upserts: diff.upserts, removals: diff.removals };
    const answer = await this.#request(slot, { t: 'apply', phase: 'commit', ...body });
    if (answer?.t !== 'done' || answer.result === undefined) return undefined;
    const failed = new Set(answer.result.failed.map((f) => f.key));
    slot.running = new Set([...share.keys()].filter((key) => !failed.has(key)));
    return answer.result;
  }

  /** Passes `slot` the listening sockets of the TCP listeners it lacks that another worker runs. */
  async #lendTo(slot: Slot, share: ReadonlyMap<string, ListenerSpec>): Promise<void> {
    const byHolder = new Map<Slot, string[]>();
    for (const [key, spec] of share) {
      if (spec.protocol !== 'TCP' || slot.running.has(key)) continue;
      const holder = this.#slots.find((s) => s !== slot && s.ready && s.running.has(key));
      if (holder === undefined) continue;
      byHolder.set(holder, [...(byHolder.get(holder) ?? []), key]);
    }
    await Promise.all(
      [...byHolder].map(async ([holder, keys]) => {
        const handles = await this.#borrow(holder, keys);
        for (const [key, handle] of handles) {
          // This process keeps no copy once the worker has it.
          if (!this.#post(slot, { t: 'share', key }, handle, () => closeHandle(handle))) closeHandle(handle);
        }
      }),
    );
  }

  async #borrow(holder: Slot, keys: string[]): Promise<Map<string, ListeningHandle>> {
    let id = 0;
    const answered = this.#request(holder, { t: 'lend', keys }, (requestId) => {
      id = requestId;
      holder.lent.set(id, new Map());
    });
    await answered;
    const handles = holder.lent.get(id) ?? new Map<string, ListeningHandle>();
    holder.lent.delete(id);
    return handles;
  }

  async #flush(): Promise<void> {
    await Promise.all(this.#slots.filter((s) => s.up).map((s) => this.#request(s, { t: 'flush' })));
  }

  #request(slot: Slot, msg: WorkerRequest, before?: (id: number) => void): Promise<FromWorker | undefined> {
    const id = ++this.#nextId;
    before?.(id);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#log(
          'warn',
          { worker: slot.index, request: msg.t },
          'data-plane worker does not answer; killing it',
        );
        slot.proc?.kill('SIGKILL');
      }, REQUEST_TIMEOUT_MS);
      slot.pending.set(id, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      if (!this.#post(slot, { ...msg, id })) this.#answer(slot, id, undefined);
    });
  }

  #answer(slot: Slot, id: number, answer: FromWorker | undefined): void {
    const done = slot.pending.get(id);
    slot.pending.delete(id);
    done?.(answer);
  }

  #post(slot: Slot | undefined, msg: ToWorker, handle?: ListeningHandle, sent?: () => void): boolean {
    const proc = slot?.proc;
    if (proc === undefined || !proc.connected) return false;
    const done = (err: Error | null): void => {
      if (err) this.#log('warn', { worker: slot?.index, err }, 'could not reach a data-plane worker');
      sent?.();
    };
    // The handle is a listening socket, which node's IPC passes as its own kind of handle.
    if (handle !== undefined) proc.send(msg, handle as Parameters<ChildProcess['send']>[1], done);
    else proc.send(msg, done);
    return true;
  }

  #fork(slot: Slot): Promise<void> {
    slot.timer = undefined;
    if (this.#closing) return Promise.resolve();
    const proc = fork(this.#entry.file, [], {
      execArgv: this.#entry.execArgv,
      env: { ...process.env, [WORKER_ENV]: String(slot.index) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json',
    });
    slot.proc = proc;
    slot.startedAt = Date.now();
    return new Promise((resolve) => {
      let settled = false;
      const settle = () => {
        if (!settled) resolve();
        settled = true;
      };
      proc.on('message', (msg: FromWorker, handle?: ListeningHandle) => {
        // A message of a process this slot no longer runs (delivered after its exit was
        // handled) would lease slots or count traffic for a worker that is gone.
        if (slot.proc !== proc) return;
        if (msg.t === 'ready') {
          slot.up = true;
          // Its share goes out in turn with every other change.
          void this.#sync(slot, proc, SYNC_RETRY_FIRST_MS).finally(settle);
          return;
        }
        this.#fromWorker(slot, msg, handle);
      });
      proc.on('error', (err) =>
        this.#log('warn', { worker: slot.index, err }, 'data-plane worker process error'),
      );
      proc.on('exit', (code, signal) => {
        settle();
        this.#exited(slot, proc, code, signal);
      });
    });
  }

  /**
   * Gives a (re)started worker its share. Listeners it could not start are
   * retried here, at growing intervals: nothing in the main process knows the
   * worker restarted.
   */
  #sync(slot: Slot, proc: ChildProcess, retryMs: number): Promise<void> {
    return this.#serialize(async () => {
      if (slot.proc !== proc || this.#closing) return;
      const results = await this.#distribute([slot]);
      slot.ready = slot.proc === proc && slot.up;
      this.#send({ t: 'workers', workers: this.#states() });
      const failed = results.flatMap((r) => r.failed);
      if (failed.length === 0 || !slot.ready) return;
      this.#log(
        'warn',
        { worker: slot.index, failed, retryInMs: retryMs },
        'data-plane worker could not start listeners',
      );
      slot.timer = setTimeout(
        () => void this.#sync(slot, proc, Math.min(retryMs * 2, RESTART_MAX_MS)),
        retryMs,
      );
    });
  }

  #fromWorker(slot: Slot, msg: FromWorker, handle: ListeningHandle | undefined): void {
    switch (msg.t) {
      case 'done':
      case 'flushed':
      case 'lent':
        this.#answer(slot, msg.id, msg);
        return;
      case 'handle': {
        if (handle === undefined) return;
        const lent = slot.lent.get(msg.id);
        if (lent === undefined) closeHandle(handle);
        else lent.set(msg.key, handle);
        return;
      }
      case 'traffic':
        this.#count(slot, msg.deltas);
        this.#send({ t: 'traffic', worker: slot.index, deltas: msg.deltas });
        return;
      case 'slots':
        this.#broker.request(slot.index, msg.ep, msg.max, msg.want);
        return;
      case 'return':
        this.#broker.returned(slot.index, msg.ep, msg.n);
        return;
      case 'reclaimed':
        this.#broker.reclaimed(slot.index, msg.ep, msg.n);
        return;
      case 'log':
        this.#send({ ...msg, obj: { ...msg.obj, worker: slot.index } });
        return;
      case 'ready':
        return;
    }
  }

  /** Keeps each worker's open flows, to take them off the totals if it dies. */
  #count(slot: Slot, deltas: readonly TrafficDelta[]): void {
    for (const [ep, values] of deltas) {
      const connections = values[ACTIVE_CONNECTIONS] ?? 0;
      const sessions = values[ACTIVE_SESSIONS] ?? 0;
      if (connections === 0 && sessions === 0) continue;
      const now = slot.active.get(ep) ?? [0, 0];
      now[0] += connections;
      now[1] += sessions;
      if (now[0] === 0 && now[1] === 0) slot.active.delete(ep);
      else slot.active.set(ep, now);
    }
  }

  #exited(slot: Slot, proc: ChildProcess, code: number | null, signal: string | null): void {
    if (slot.proc !== proc) return;
    slot.proc = undefined;
    slot.up = false;
    slot.ready = false;
    slot.sent = new Map();
    slot.running = new Set();
    for (const id of [...slot.pending.keys()]) this.#answer(slot, id, undefined);
    for (const handles of slot.lent.values()) for (const h of handles.values()) closeHandle(h);
    slot.lent.clear();
    this.#broker.workerGone(slot.index);
    // Its connections died with it.
    const gone: TrafficDelta[] = [...slot.active].map(([ep, [c, s]]) => {
      const values = TRAFFIC_FIELDS.map(() => 0);
      values[ACTIVE_CONNECTIONS] = -c;
      values[ACTIVE_SESSIONS] = -s;
      return [ep, values];
    });
    slot.active.clear();
    if (gone.length > 0) this.#send({ t: 'traffic', worker: slot.index, deltas: gone });
    if (this.#closing) return;
    slot.restarts += 1;
    if (Date.now() - slot.startedAt >= STABLE_MS) slot.backoffMs = RESTART_FIRST_MS;
    const delay = slot.backoffMs;
    slot.backoffMs = Math.min(slot.backoffMs * 2, RESTART_MAX_MS);
    this.#log(
      'warn',
      { worker: slot.index, code, signal, restartInMs: delay },
      'data-plane worker exited; restarting it',
    );
    this.#send({ t: 'workers', workers: this.#states() });
    slot.timer = setTimeout(() => void this.#fork(slot), delay);
  }

  #states(): WorkerState[] {
    return this.#slots.map((s) => ({
      index: s.index,
      pid: s.proc?.pid,
      ready: s.ready,
      restarts: s.restarts,
    }));
  }

  #log(level: 'warn' | 'info', obj: Record<string, unknown>, msg: string): void {
    this.#send({ t: 'log', level, obj: plainLogObject(obj), msg });
  }
}
