/**
 * The set of running listeners, reconciled to what the controller asks for.
 * All operations are serialized, so an apply() never interleaves with another
 * apply(), a stopEndpoint() or close().
 */
import type { EndpointCounters } from './counters.ts';
import { EndpointSlots, type SlotPool } from './slots.ts';
import { TcpListener } from './tcp-listener.ts';
import { readBuffers, type ReadBuffers } from './read-buffers.ts';
import { sourcePorts, type SourcePorts } from './source-ports.ts';
import type { Listener, ListenerContext, ListeningHandle } from './listener.ts';
import { cloneSpec, compareSpecs, specProblem } from './types.ts';
import type { ApplyResult, FlowInfo, ForwarderLog, ForwarderProtocol, ListenerSpec } from './types.ts';
import { UdpListener } from './udp-listener.ts';

export interface ForwarderSetOptions {
  counters: EndpointCounters;
  /** Where the per-endpoint flow limit is kept; default: this process alone. */
  slots?: SlotPool;
  log?: ForwarderLog;
  /** How long a backend TCP connect may take before the client is reset. Default 10 000 ms. */
  connectTimeoutMs?: number;
  /** Upper bound on waiting for sockets to close when a listener stops. Default 2 000 ms. */
  stopTimeoutMs?: number;
  /** Listening sockets bound elsewhere, by key (see ListenerContext.takeHandle). */
  takeHandle?: (key: string) => ListeningHandle | undefined;
  /** Where TCP flows read; default: the process's own (read-buffers.ts). */
  readBuffers?: ReadBuffers;
  /** Source ports of backend dials from a named address; default: the process's (source-ports.ts). */
  sourcePorts?: SourcePorts;
}

export interface ListenerInfo {
  key: string;
  endpointId: string;
  protocol: ForwarderProtocol;
  host: string;
  port: number;
}

interface Diff {
  failed: ApplyResult['failed'];
  /** Valid specs by key (copies; running listeners' own spec when unchanged). */
  wanted: Map<string, ListenerSpec>;
  /** The caller's objects of the specs that were compared (see apply()). */
  inputs: Map<string, ListenerSpec>;
  /** What becomes of each running listener. */
  verdicts: Map<string, 'remove' | 'restart' | 'update' | 'same'>;
}

function describe(err: unknown): { error: string; code?: string } {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const error = err instanceof Error ? err.message : String(err);
  return code === undefined ? { error } : { error, code };
}

export class ForwarderSet {
  readonly #ctx: ListenerContext;
  readonly #running = new Map<string, Listener>();
  /** The spec object each running listener was last applied from (see apply()). */
  readonly #inputs = new Map<string, ListenerSpec>();
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(opts: ForwarderSetOptions) {
    this.#ctx = {
      counters: opts.counters,
      slots: opts.slots ?? new EndpointSlots(),
      log: opts.log,
      connectTimeoutMs: opts.connectTimeoutMs ?? 10_000,
      stopTimeoutMs: opts.stopTimeoutMs ?? 2_000,
      readBuffers: opts.readBuffers ?? readBuffers,
      sourcePorts: opts.sourcePorts ?? sourcePorts,
      ...(opts.takeHandle ? { takeHandle: opts.takeHandle } : {}),
    };
  }

  /**
   * Reconciles the running listeners to exactly `specs`: starts missing ones,
   * stops ones not listed (resetting their connections), restarts changed
   * ones, and updates in place those whose only changes are whitelist and/or
   * maxConnections. An invalid spec, a duplicate key or a bind failure is
   * reported in `failed`; such a key is left not listening, and a later
   * apply() tries again.
   *
   * Specs are treated as immutable: passing the very object a listener was
   * last applied from skips its validation and comparison, which keeps a
   * reconcile of many unchanged listeners cheap. Pass a new object to change one.
   */
  apply(specs: readonly ListenerSpec[]): Promise<ApplyResult> {
    return this.#serialize(() => this.#apply(specs));
  }

  /**
   * The first half of apply(specs), for processes that share listening
   * sockets: every listener that apply(specs) would stop or restart stops
   * taking new flows (TCP: closes its listening socket) but keeps its open
   * ones. Once every process sharing the addresses has done this, apply()
   * resets those flows: a client whose connection was cut then finds nothing
   * listening, as with a single process.
   */
  detach(specs: readonly ListenerSpec[]): Promise<void> {
    return this.#serialize(() => this.#detach(specs));
  }

  /**
   * Stops every listener of the endpoint and cuts its open connections (RST)
   * and UDP sessions. The listeners are forgotten: a later apply() that still
   * lists them starts them again.
   */
  stopEndpoint(endpointId: string): Promise<void> {
    return this.#serialize(async () => {
      const keys = [...this.#running].filter(([, l]) => l.spec.endpointId === endpointId).map(([k]) => k);
      await this.#stop(keys);
    });
  }

  /** Stops everything; later calls to apply() reject. */
  close(): Promise<void> {
    return this.#serialize(async () => {
      this.#closed = true;
      await this.#stop([...this.#running.keys()]);
    });
  }

  /** The listening socket of a running TCP listener, to share with another process. */
  listeningHandle(key: string): ListeningHandle | undefined {
    return this.#running.get(key)?.listeningHandle?.();
  }

  /** The address a listener is bound to (useful when listenPort was 0). */
  address(key: string): { host: string; port: number } | undefined {
    const l = this.#running.get(key);
    return l === undefined ? undefined : { host: l.spec.listenHost, port: l.port };
  }

  listeners(): ListenerInfo[] {
    return [...this.#running.values()].map((l) => ({
      key: l.spec.key,
      endpointId: l.spec.endpointId,
      protocol: l.spec.protocol,
      host: l.spec.listenHost,
      port: l.port,
    }));
  }

  /** Open flows with their user-space buffer sizes: for debugging, tests and benchmarks. */
  flows(endpointId?: string): FlowInfo[] {
    const all = [...this.#running.values()].flatMap((l) => l.flows());
    return endpointId === undefined ? all : all.filter((f) => f.endpointId === endpointId);
  }

  #serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** What apply(specs) would do, without doing any of it. */
  #diff(specs: readonly ListenerSpec[]): Diff {
    const failed: ApplyResult['failed'] = [];
    const keyOf = (raw: ListenerSpec): string =>
      typeof raw?.key === 'string' ? raw.key : String((raw as Partial<ListenerSpec> | null)?.key);
    const seen = new Map<string, number>();
    for (const raw of specs) seen.set(keyOf(raw), (seen.get(keyOf(raw)) ?? 0) + 1);
    const wanted = new Map<string, ListenerSpec>();
    for (const [key, count] of seen) {
      if (count > 1) failed.push({ key, error: `duplicate listener key (${count} specs)` });
    }
    const unchanged = new Set<string>();
    const inputs = new Map<string, ListenerSpec>();
    for (const raw of specs) {
      const key = keyOf(raw);
      if ((seen.get(key) ?? 0) > 1) continue;
      const running = this.#running.get(key);
      if (running !== undefined && this.#inputs.get(key) === raw) {
        wanted.set(key, running.spec);
        unchanged.add(key);
        continue;
      }
      const problem = specProblem(raw);
      if (problem === null) {
        wanted.set(key, cloneSpec(raw));
        inputs.set(key, raw);
      } else failed.push({ key, error: problem });
    }
    const verdicts = new Map<string, 'remove' | 'restart' | 'update' | 'same'>();
    for (const [key, listener] of this.#running) {
      const spec = wanted.get(key);
      verdicts.set(
        key,
        spec === undefined ? 'remove' : unchanged.has(key) ? 'same' : compareSpecs(listener.spec, spec),
      );
    }
    return { failed, wanted, inputs, verdicts };
  }

  async #detach(specs: readonly ListenerSpec[]): Promise<void> {
    if (this.#closed) throw new Error('ForwarderSet is closed');
    const { verdicts } = this.#diff(specs);
    await Promise.all(
      [...verdicts]
        .filter(([, verdict]) => verdict === 'remove' || verdict === 'restart')
        .map(async ([key]) => this.#running.get(key)?.detach()),
    );
  }

  async #apply(specs: readonly ListenerSpec[]): Promise<ApplyResult> {
    if (this.#closed) throw new Error('ForwarderSet is closed');
    const { failed, wanted, inputs, verdicts } = this.#diff(specs);
    const result: ApplyResult = { started: [], stopped: [], updated: [], failed };
    const toStop = new Set<string>();
    const toStart: ListenerSpec[] = [];
    for (const [key, verdict] of verdicts) {
      const spec = wanted.get(key);
      if (verdict === 'remove' || verdict === 'restart') toStop.add(key);
      if (verdict === 'update' && spec !== undefined) {
        this.#running.get(key)?.update(spec);
        result.updated.push(key);
      }
      const input = inputs.get(key);
      if (input !== undefined && verdict !== 'remove' && verdict !== 'restart') this.#inputs.set(key, input);
    }
    for (const [key, spec] of wanted) {
      const running = this.#running.get(key);
      if (running === undefined || toStop.has(key)) toStart.push(spec);
    }

    // Stop first: a restarted listener usually needs its own address back.
    await this.#stop([...toStop]);
    result.stopped.push(...toStop);
    await Promise.all(
      toStart.map(async (spec) => {
        const failure = await this.#start(spec, inputs.get(spec.key));
        if (failure === null) result.started.push(spec.key);
        else result.failed.push({ key: spec.key, ...failure });
      }),
    );
    for (const list of [result.started, result.stopped, result.updated]) list.sort();
    result.failed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return result;
  }

  async #start(spec: ListenerSpec, input?: ListenerSpec): Promise<{ error: string; code?: string } | null> {
    let listener: Listener;
    try {
      listener =
        spec.protocol === 'TCP' ? new TcpListener(spec, this.#ctx) : new UdpListener(spec, this.#ctx);
    } catch (err) {
      return describe(err);
    }
    try {
      await listener.start();
    } catch (err) {
      const failure = describe(err);
      // Debug only: the caller gets the failure in apply()'s result and decides how loudly to report it.
      this.#ctx.log?.debug?.({ key: spec.key, ...failure }, 'forwarder listener failed to start');
      await listener.stop();
      return failure;
    }
    this.#running.set(spec.key, listener);
    if (input !== undefined) this.#inputs.set(spec.key, input);
    this.#ctx.log?.info?.(
      { key: spec.key, endpointId: spec.endpointId, host: spec.listenHost, port: listener.port },
      'forwarder listener started',
    );
    return null;
  }

  async #stop(keys: readonly string[]): Promise<void> {
    await Promise.all(
      keys.map(async (key) => {
        const listener = this.#running.get(key);
        if (listener === undefined) return;
        this.#running.delete(key);
        this.#inputs.delete(key);
        await listener.stop();
        this.#ctx.log?.info?.({ key, endpointId: listener.spec.endpointId }, 'forwarder listener stopped');
      }),
    );
  }
}
