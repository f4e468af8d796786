/**
 * A TCP listener on an endpoint IP and client port. Admission (whitelist,
 * then the endpoint's flow limit) happens on accept; refused connections are
 * reset at once. Accepted ones become TcpFlows.
 *
 * One sweep timer per listener with open flows enforces the idle timeout and
 * the backend connect timeout, instead of a timer per socket.
 */
import net from 'node:net';
import { SourceFilter } from './acl.ts';
import type { ReadBuffers } from './read-buffers.ts';
import type { SourcePorts } from './source-ports.ts';
import type { EndpointTraffic } from './counters.ts';
import { withTimeout } from './listener.ts';
import type { Listener, ListenerContext, ListeningHandle } from './listener.ts';
import { onSocketError, resetSocket, TcpFlow, type FlowHost } from './tcp-flow.ts';
import type { FlowInfo, ForwarderLog, ListenerSpec } from './types.ts';

/** The sweep runs this many times per (shortest) timeout, bounded below and above. */
const SWEEPS_PER_TIMEOUT = 10;
const SWEEP_MIN_MS = 20;
const SWEEP_MAX_MS = 1000;

export class TcpListener implements Listener, FlowHost {
  #spec: ListenerSpec;
  readonly #ctx: ListenerContext;
  readonly #filter: SourceFilter;
  readonly #server: net.Server;
  readonly #flows = new Set<TcpFlow>();
  #port = 0;
  #sweep: NodeJS.Timeout | undefined;
  /** Set once the listening socket is being closed (detach or stop). */
  #closed: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;

  constructor(spec: ListenerSpec, ctx: ListenerContext) {
    this.#spec = spec;
    this.#ctx = ctx;
    this.#filter = new SourceFilter(spec.whitelist);
    // pauseOnConnect: nothing is read from the client before the backend is
    // connected, so a fast client cannot make us buffer in the meantime.
    this.#server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) =>
      this.#accept(socket),
    );
  }

  get spec(): ListenerSpec {
    return this.#spec;
  }

  get port(): number {
    return this.#port;
  }

  get log(): ForwarderLog | undefined {
    return this.#ctx.log;
  }

  get readBuffers(): ReadBuffers {
    return this.#ctx.readBuffers;
  }

  get sourcePorts(): SourcePorts {
    return this.#ctx.sourcePorts;
  }

  start(): Promise<void> {
    const server = this.#server;
    const spec = this.#spec;
    const shared = this.#ctx.takeHandle?.(spec.key);
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      server.once('error', onError);
      const listening = (): void => {
        server.off('error', onError);
        // e.g. EMFILE on accept: worth a warning, never a crash.
        server.on('error', (err) => this.#ctx.log?.warn({ key: spec.key, err }, 'TCP listener error'));
        const address = server.address();
        this.#port = typeof address === 'object' && address !== null ? address.port : 0;
        resolve();
      };
      // A socket another worker bound: every worker accepts on it, the kernel picks one per
      // connection. Otherwise bind one: exclusive, so that an address already listened on
      // (by anyone, another worker included) fails with EADDRINUSE instead of being shared.
      if (shared !== undefined) server.listen(shared, listening);
      else server.listen({ host: spec.listenHost, port: spec.listenPort, exclusive: true }, listening);
    });
  }

  listeningHandle(): ListeningHandle | undefined {
    // The only way to hand a listening socket to another process is its handle.
    const handle = (this.#server as unknown as { _handle?: ListeningHandle | null })._handle;
    return this.#closed === undefined && handle !== null ? handle : undefined;
  }

  update(spec: ListenerSpec): void {
    this.#spec = spec;
    this.#filter.update(spec.whitelist);
    for (const flow of this.#flows) {
      if (!this.#filter.allows(flow.clientAddress)) flow.reset();
    }
  }

  detach(): Promise<void> {
    // close() lets go of the listening socket at once; its callback would wait for every
    // accepted connection to end, which stop() arranges (or bounds).
    this.#closed ??= new Promise<void>((resolve) => this.#server.close(() => resolve()));
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#shutdown();
    return this.#stopping;
  }

  flows(): FlowInfo[] {
    const { key, endpointId } = this.#spec;
    return [...this.#flows].map((f) => ({
      key,
      endpointId,
      protocol: 'TCP' as const,
      clientAddress: f.clientAddress,
      clientPort: f.clientPort,
      clientBuffered: f.clientBuffered,
      backendBuffered: f.backendBuffered,
    }));
  }

  flowFinished(flow: TcpFlow): void {
    if (!this.#flows.delete(flow)) return;
    this.#ctx.slots.release(this.#spec.endpointId);
    flow.traffic.activeConnections--;
    if (this.#flows.size === 0) {
      clearInterval(this.#sweep);
      this.#sweep = undefined;
    }
  }

  async #shutdown(): Promise<void> {
    await this.detach();
    // The listening socket is closed first, so no connection arrives after the resets below.
    for (const flow of this.#flows) flow.reset();
    clearInterval(this.#sweep);
    this.#sweep = undefined;
    await withTimeout(this.#closed ?? Promise.resolve(), this.#ctx.stopTimeoutMs);
  }

  #accept(client: net.Socket): void {
    const spec = this.#spec;
    client.on('error', onSocketError);
    const traffic = this.#ctx.counters.record(spec.endpointId);
    if (this.#closed !== undefined) {
      resetSocket(client);
      return;
    }
    // Without a whitelist the address is not read here (see TcpFlow.clientAddress).
    if (spec.whitelist !== null && !this.#filter.allows(client.remoteAddress)) {
      traffic.refusedWhitelist++;
      this.#ctx.log?.debug?.(
        { key: spec.key, source: client.remoteAddress },
        'connection refused: source not in whitelist',
      );
      resetSocket(client);
      return;
    }
    const admitted = this.#ctx.slots.acquire(spec.endpointId, spec.maxConnections);
    if (admitted === true) this.#admit(client, spec, traffic);
    else if (admitted === false) this.#refuseAtLimit(client, spec, traffic);
    else {
      // The pool must ask another process; the client stays paused meanwhile.
      admitted.then(
        (ok) => (ok ? this.#admitLate(client, traffic) : this.#refuseAtLimit(client, spec, traffic)),
        () => this.#refuseAtLimit(client, spec, traffic),
      );
    }
  }

  #admitLate(client: net.Socket, traffic: EndpointTraffic): void {
    const spec = this.#spec;
    // The listener may have stopped, the whitelist changed or the client left while waiting.
    if (this.#closed !== undefined || client.destroyed || !this.#filter.allows(client.remoteAddress)) {
      this.#ctx.slots.release(spec.endpointId);
      resetSocket(client);
      return;
    }
    this.#admit(client, spec, traffic);
  }

  #refuseAtLimit(client: net.Socket, spec: ListenerSpec, traffic: EndpointTraffic): void {
    traffic.refusedLimit++;
    this.#ctx.log?.debug?.({ key: spec.key }, 'connection refused: endpoint connection limit');
    resetSocket(client);
  }

  #admit(client: net.Socket, spec: ListenerSpec, traffic: EndpointTraffic): void {
    traffic.activeConnections++;
    traffic.totalConnections++;
    const flow = new TcpFlow(client, traffic, this);
    this.#flows.add(flow);
    this.#sweep ??= this.#startSweep();
    flow.start();
  }

  #startSweep(): NodeJS.Timeout {
    const shortest = Math.min(this.#spec.idleTimeoutMs, this.#ctx.connectTimeoutMs);
    const every = Math.min(SWEEP_MAX_MS, Math.max(SWEEP_MIN_MS, Math.floor(shortest / SWEEPS_PER_TIMEOUT)));
    const timer = setInterval(() => {
      const now = Date.now();
      const connectTimeoutMs = this.#ctx.connectTimeoutMs;
      for (const flow of this.#flows) flow.checkTimeouts(now, connectTimeoutMs);
    }, every);
    timer.unref();
    return timer;
  }
}
