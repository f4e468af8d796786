/**
 * A data-plane worker process: a ForwarderSet fed by the supervisor, whose
 * TCP listeners accept on sockets shared with the other workers (bound by one
 * of them and passed around by the supervisor) and whose connection limit is
 * leased from the supervisor. It imports nothing but what forwarding needs,
 * so an idle worker stays small.
 */
import { EndpointCounters } from '../forwarder/counters.ts';
import { ForwarderSet } from '../forwarder/forwarder-set.ts';
import type { ListeningHandle } from '../forwarder/listener.ts';
import type { ForwarderLog, ListenerSpec } from '../forwarder/types.ts';
import {
  plainLogObject,
  type FromWorker,
  type LogLevel,
  type PlaneSettings,
  type ToWorker,
} from './protocol.ts';
import { SlotLeases } from './slot-leases.ts';
import { TrafficReport } from './traffic.ts';

export class Worker {
  readonly #send: (msg: FromWorker) => void;
  readonly #counters = new EndpointCounters();
  readonly #report = new TrafficReport(this.#counters);
  readonly #leases: SlotLeases;
  readonly #set: ForwarderSet;
  /** What the supervisor asked this worker to run, by key. */
  readonly #desired = new Map<string, ListenerSpec>();
  /** Listening sockets the supervisor passed on for the next apply, by key. */
  readonly #shared = new Map<string, ListeningHandle>();
  readonly #timer: NodeJS.Timeout;
  #closing = false;

  readonly #sendHandle: (msg: FromWorker, handle: ListeningHandle) => void;

  constructor(
    settings: PlaneSettings,
    send: (msg: FromWorker) => void,
    sendHandle: (msg: FromWorker, handle: ListeningHandle) => void,
  ) {
    this.#send = send;
    this.#sendHandle = sendHandle;
    this.#leases = new SlotLeases(send);
    this.#set = new ForwarderSet({
      counters: this.#counters,
      slots: this.#leases,
      log: ipcLog(send, settings.debug),
      connectTimeoutMs: settings.connectTimeoutMs,
      takeHandle: (key) => {
        const handle = this.#shared.get(key);
        this.#shared.delete(key);
        return handle;
      },
    });
    this.#timer = setInterval(() => this.#flush(), settings.reportMs);
    this.#timer.unref();
  }

  async handle(msg: ToWorker, handle?: ListeningHandle): Promise<void> {
    switch (msg.t) {
      case 'apply':
        await this.#apply(msg);
        return;
      case 'share':
        if (handle === undefined) return;
        closeHandle(this.#shared.get(msg.key));
        this.#shared.set(msg.key, handle);
        return;
      case 'lend':
        for (const key of msg.keys) {
          const listening = this.#set.listeningHandle(key);
          if (listening !== undefined) this.#sendHandle({ t: 'handle', id: msg.id, key }, listening);
        }
        this.#send({ t: 'lent', id: msg.id });
        return;
      case 'flush':
        this.#flush();
        this.#send({ t: 'flushed', id: msg.id });
        return;
      case 'grant':
        this.#leases.granted(msg.ep, msg.n, msg.keep);
        return;
      case 'reclaim':
        this.#leases.reclaim(msg.ep, msg.rid);
        return;
      case 'close':
        await this.close();
        return;
    }
  }

  /** Resets every connection and reports the last counts. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    clearInterval(this.#timer);
    await this.#set.close();
    this.#flush();
  }

  async #apply(msg: Extract<ToWorker, { t: 'apply' }>): Promise<void> {
    for (const key of msg.removals) this.#desired.delete(key);
    for (const spec of msg.upserts) this.#desired.set(spec.key, spec);
    if (this.#closing) {
      this.#send({ t: 'done', id: msg.id, result: { started: [], stopped: [], updated: [], failed: [] } });
      return;
    }
    const specs = [...this.#desired.values()];
    if (msg.phase === 'detach') {
      await this.#set.detach(specs);
      this.#send({ t: 'done', id: msg.id });
      return;
    }
    const result = await this.#set.apply(specs);
    // Sockets passed on for listeners that did not start (an invalid spec) are not kept.
    for (const handle of this.#shared.values()) closeHandle(handle);
    this.#shared.clear();
    const listening = new Set(specs.map((s) => s.endpointId));
    for (const id of this.#report.endpoints()) if (!listening.has(id)) this.#leases.forget(id);
    // Counts first: the answer then reaches the main process after every count of the
    // connections this apply cut, and an endpoint it forgets stays forgotten.
    this.#flush(listening);
    this.#send({ t: 'done', id: msg.id, result });
  }

  /** Sends what changed since the last report; `listening` also drops endpoints gone from here. */
  #flush(listening?: ReadonlySet<string>): void {
    const deltas = this.#report.take(listening);
    if (deltas.length > 0) this.#send({ t: 'traffic', deltas });
  }
}

function closeHandle(handle: ListeningHandle | undefined): void {
  (handle as { close?: () => void } | undefined)?.close?.();
}

/**
 * Log lines travel to the main process, which writes them with its own logger.
 * Not the info lines of each listener started or stopped: every worker runs
 * every TCP listener, and the controller logs each reconciliation already.
 */
function ipcLog(send: (msg: FromWorker) => void, debug: boolean): ForwarderLog {
  const at =
    (level: LogLevel) =>
    (obj: object, msg = ''): void =>
      send({ t: 'log', level, obj: plainLogObject(obj), msg });
  return debug ? { warn: at('warn'), debug: at('debug') } : { warn: at('warn') };
}
