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
import type { ListeningHandle } from '../forwarder/listener.ts';
import type { ApplyResult, ListenerSpec } from '../forwarder/types.ts';
import { applyOutcome } from './apply-outcome.ts';
import { entryPoint } from './launch.ts';
import { planListeners, type Plan } from './listener-plan.ts';
import {
  plainLogObject,
  WORKER_ENV,
  type FromSupervisor,
  type FromWorker,
  type PlaneSettings,
  type SpecDiff,
  type ToSupervisor,
} from './protocol.ts';
import { ShareDistribution } from './share-distribution.ts';
import { SlotBroker } from './slot-broker.ts';
import { closeHandle, countFlows, dropFlows, newSlot, workerStates, type Slot } from './supervised-worker.ts';
import { WorkerChannel } from './worker-channel.ts';

const RESTART_FIRST_MS = 100;
const RESTART_MAX_MS = 5000;
/** A worker that lived this long restarts after the first delay again. */
const STABLE_MS = 10_000;
const CLOSE_TIMEOUT_MS = 5000;
const SYNC_RETRY_FIRST_MS = 1000;

export class Supervisor {
  readonly #send: (msg: FromSupervisor) => void;
  readonly #slots: Slot[];
  readonly #broker: SlotBroker;
  readonly #channel = new WorkerChannel((level, obj, msg) => this.#log(level, obj, msg));
  readonly #shares: ShareDistribution;
  readonly #entry = entryPoint('worker-main');
  readonly #desired = new Map<string, ListenerSpec>();
  #plan: Plan = { runnable: new Map(), conflicts: [] };
  #queue: Promise<unknown> = Promise.resolve();
  #closing = false;

  constructor(settings: PlaneSettings, send: (msg: FromSupervisor) => void) {
    this.#send = send;
    this.#slots = Array.from({ length: settings.workers }, (_, index) => newSlot(index, RESTART_FIRST_MS));
    this.#shares = new ShareDistribution(this.#slots, this.#channel);
    this.#broker = new SlotBroker(settings.workers, (worker, msg) =>
      this.#channel.post(this.#slots[worker], msg),
    );
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
    this.#send({ t: 'ready', workers: workerStates(this.#slots) });
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
        if (!this.#channel.post(slot, { t: 'close' })) proc.kill('SIGKILL');
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
    const results = await this.#shares.distribute(
      this.#slots.filter((s) => s.ready),
      this.#plan.runnable,
    );
    return applyOutcome(this.#plan, results, this.#slots);
  }

  async #flush(): Promise<void> {
    await Promise.all(this.#slots.filter((s) => s.up).map((s) => this.#channel.request(s, { t: 'flush' })));
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
      const results = await this.#shares.distribute([slot], this.#plan.runnable);
      slot.ready = slot.proc === proc && slot.up;
      this.#send({ t: 'workers', workers: workerStates(this.#slots) });
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
        this.#channel.answer(slot, msg.id, msg);
        return;
      case 'handle': {
        if (handle === undefined) return;
        const lent = slot.lent.get(msg.id);
        if (lent === undefined) closeHandle(handle);
        else lent.set(msg.key, handle);
        return;
      }
      case 'traffic':
        countFlows(slot, msg.deltas);
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

  #exited(slot: Slot, proc: ChildProcess, code: number | null, signal: string | null): void {
    if (slot.proc !== proc) return;
    slot.proc = undefined;
    slot.up = false;
    slot.ready = false;
    slot.sent = new Map();
    slot.running = new Set();
    for (const id of [...slot.pending.keys()]) this.#channel.answer(slot, id, undefined);
    for (const handles of slot.lent.values()) for (const h of handles.values()) closeHandle(h);
    slot.lent.clear();
    this.#broker.workerGone(slot.index);
    // Its connections died with it.
    const gone = dropFlows(slot);
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
    this.#send({ t: 'workers', workers: workerStates(this.#slots) });
    slot.timer = setTimeout(() => void this.#fork(slot), delay);
  }

  #log(level: 'warn' | 'info', obj: Record<string, unknown>, msg: string): void {
    this.#send({ t: 'log', level, obj: plainLogObject(obj), msg });
  }
}
