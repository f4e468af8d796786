/**
 * A TCP listener on an endpoint IP and client port. Admission (whitelist,
 * then the endpoint's flow limit) happens on accept; refused connections are
 * reset at once. Accepted ones become TcpFlows.
 */
import net from 'node:net';
import { SourceFilter } from './acl.ts';
import { withTimeout } from './listener.ts';
import type { Listener, ListenerContext } from './listener.ts';
import { resetSocket, TcpFlow } from './tcp-flow.ts';
import type { FlowInfo, ListenerSpec } from './types.ts';

export class TcpListener implements Listener {
  #spec: ListenerSpec;
  readonly #ctx: ListenerContext;
  readonly #filter: SourceFilter;
  readonly #server: net.Server;
  readonly #flows = new Set<TcpFlow>();
  #port = 0;
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

  start(): Promise<void> {
    const server = this.#server;
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      server.once('error', onError);
      server.listen({ host: this.#spec.listenHost, port: this.#spec.listenPort, exclusive: true }, () => {
        server.off('error', onError);
        // e.g. EMFILE on accept: worth a warning, never a crash.
        server.on('error', (err) => this.#ctx.log?.warn({ key: this.#spec.key, err }, 'TCP listener error'));
        const address = server.address();
        this.#port = typeof address === 'object' && address !== null ? address.port : 0;
        resolve();
      });
    });
  }

  update(spec: ListenerSpec): void {
    this.#spec = spec;
    this.#filter.update(spec.whitelist);
    for (const flow of this.#flows) {
      if (!this.#filter.allows(flow.clientAddress)) flow.reset();
    }
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

  async #shutdown(): Promise<void> {
    const server = this.#server;
    // The close callback waits for every accepted socket to close, which the
    // resets below make quick; the timeout only guards against surprises.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const flow of this.#flows) flow.reset();
    await withTimeout(closed, this.#ctx.stopTimeoutMs);
  }

  #accept(client: net.Socket): void {
    const spec = this.#spec;
    // Until TcpFlow takes over, errors on a refused socket are expected noise.
    client.on('error', () => {});
    const traffic = this.#ctx.counters.record(spec.endpointId);
    // No remote address: the client is already gone.
    if (this.#stopping !== undefined || client.remoteAddress === undefined) {
      resetSocket(client);
      return;
    }
    if (!this.#filter.allows(client.remoteAddress)) {
      traffic.refusedWhitelist++;
      this.#ctx.log?.debug?.(
        { key: spec.key, source: client.remoteAddress },
        'connection refused: source not in whitelist',
      );
      resetSocket(client);
      return;
    }
    const release = this.#ctx.slots.tryAcquire(spec.endpointId, spec.maxConnections);
    if (release === null) {
      traffic.refusedLimit++;
      this.#ctx.log?.debug?.({ key: spec.key }, 'connection refused: endpoint connection limit');
      resetSocket(client);
      return;
    }
    traffic.activeConnections++;
    traffic.totalConnections++;
    const flow: TcpFlow = new TcpFlow({
      client,
      spec,
      listenPort: this.#port,
      traffic,
      connectTimeoutMs: this.#ctx.connectTimeoutMs,
      log: this.#ctx.log,
      onFinish: () => {
        release();
        traffic.activeConnections--;
        this.#flows.delete(flow);
      },
    });
    this.#flows.add(flow);
    flow.start();
  }
}
