/**
 * One forwarded TCP connection: the accepted client socket (paused until the
 * backend is reached) and the backend socket it is spliced to.
 *
 * - Backpressure: stream.pipe both ways, so each side holds at most about one
 *   high-water mark plus one read chunk in user space.
 * - Half-close: both sockets are allowHalfOpen; pipe ends the other side's
 *   write half when one side's read half ends, and each socket destroys itself
 *   (autoDestroy) once both of its halves are done.
 * - Errors on either side, including a refused backend, reset both sides so
 *   an RST reaches the peer; an idle timeout destroys both.
 */
import net from 'node:net';
import { encodeV2, markerIdTlv, vniTlv } from '../proxy-protocol.ts';
import type { Tlv } from '../proxy-protocol.ts';
import type { EndpointTraffic } from './counters.ts';
import type { ForwarderLog, ListenerSpec } from './types.ts';

export interface TcpFlowOptions {
  client: net.Socket;
  spec: ListenerSpec;
  /** The port really bound (differs from spec.listenPort when that is 0). */
  listenPort: number;
  traffic: EndpointTraffic;
  connectTimeoutMs: number;
  log: ForwarderLog | undefined;
  /** Called exactly once, when the flow stops counting as open. */
  onFinish: () => void;
}

/** RST when the socket has a TCP handle, plain destroy otherwise. Never throws. */
export function resetSocket(socket: net.Socket): void {
  if (socket.destroyed) return;
  // - connecting: resetAndDestroy would wait for the connection to complete.
  // - write side ended: libuv refuses a reset after shutdown (EINVAL), and on
  //   node 20 the handle is then never closed: a leaked fd and a busy loop.
  //   Our FIN is already out; a plain close is the best we can do.
  if (socket.connecting || socket.writableEnded) {
    socket.destroy();
    return;
  }
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

export class TcpFlow {
  readonly client: net.Socket;
  /** Captured at accept time: node clears them once the socket is closed. */
  readonly clientAddress: string;
  readonly clientPort: number;
  readonly #opts: TcpFlowOptions;
  #backend: net.Socket | undefined;
  #established = false;
  #finished = false;

  constructor(opts: TcpFlowOptions) {
    this.#opts = opts;
    this.client = opts.client;
    this.clientAddress = opts.client.remoteAddress ?? '';
    this.clientPort = opts.client.remotePort ?? 0;
  }

  get clientBuffered(): number {
    return this.client.writableLength;
  }

  get backendBuffered(): number {
    return this.#backend?.writableLength ?? 0;
  }

  start(): void {
    const { client, spec } = this.#opts;
    client.on('error', (err) => this.#abort('client', err));
    client.on('close', (hadError) => this.#sideClosed('client', hadError));
    client.setTimeout(spec.idleTimeoutMs);
    client.on('timeout', () => this.#idle('client'));

    // Defence in depth: the controller only hands out IPv4 literals, and a name
    // given to net.connect would be resolved by DNS to wherever it points.
    if (!net.isIPv4(spec.targetHost)) {
      this.#abort('backend', Object.assign(new Error('backend is not an IPv4 address'), { code: 'EINVAL' }));
      return;
    }
    let backend: net.Socket;
    try {
      backend = net.connect({ host: spec.targetHost, port: spec.targetPort, allowHalfOpen: true });
    } catch (err) {
      this.#abort('backend', err);
      return;
    }
    this.#backend = backend;
    backend.on('error', (err) => this.#abort('backend', err));
    backend.on('close', (hadError) => this.#sideClosed('backend', hadError));
    backend.setTimeout(this.#opts.connectTimeoutMs);
    backend.on('timeout', () => this.#idle('backend'));
    backend.once('connect', () => this.#connected(backend));
  }

  /** Cuts the connection: RST to both peers. The flow stops counting at once. */
  reset(): void {
    resetSocket(this.client);
    if (this.#backend !== undefined) resetSocket(this.#backend);
    this.#finish();
  }

  #connected(backend: net.Socket): void {
    const { client, spec, traffic } = this.#opts;
    if (client.destroyed) {
      backend.destroy();
      return;
    }
    this.#established = true;
    backend.setTimeout(spec.idleTimeoutMs);
    client.setNoDelay(true);
    backend.setNoDelay(true);
    if (spec.proxyProtocol !== null) {
      let header: Buffer;
      try {
        header = this.#proxyHeader(spec);
      } catch (err) {
        this.#abort('client', err);
        return;
      }
      backend.write(header);
    }
    // Adding 'data' listeners switches the sockets to flowing mode, which is
    // why this only happens now: the client was paused since accept.
    client.on('data', (chunk: Buffer) => {
      traffic.bytesClientToBackend += chunk.length;
    });
    backend.on('data', (chunk: Buffer) => {
      traffic.bytesBackendToClient += chunk.length;
    });
    client.pipe(backend);
    backend.pipe(client);
  }

  #proxyHeader(spec: ListenerSpec): Buffer {
    const pp = spec.proxyProtocol;
    if (pp === null) throw new Error('unreachable: no proxyProtocol');
    const tlvs: Tlv[] = [markerIdTlv(pp.markerId)];
    if (pp.vni !== undefined) tlvs.push(vniTlv(pp.vni));
    return encodeV2({
      command: 'PROXY',
      transport: 'STREAM',
      source: { address: this.clientAddress, port: this.clientPort },
      destination: { address: spec.listenHost, port: this.#opts.listenPort },
      tlvs,
    });
  }

  #abort(side: 'client' | 'backend', err: unknown): void {
    if (this.#finished) return;
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    if (side === 'backend' && !this.#established) this.#opts.traffic.backendErrors++;
    this.#opts.log?.debug?.(
      { endpointId: this.#opts.spec.endpointId, key: this.#opts.spec.key, side, code, err },
      'forwarded connection failed',
    );
    this.reset();
  }

  #idle(side: 'client' | 'backend'): void {
    if (this.#finished) return;
    if (side === 'backend' && !this.#established) {
      // Still connecting: this was the connect timeout, not idleness.
      this.#abort('backend', Object.assign(new Error('backend connect timeout'), { code: 'ETIMEDOUT' }));
      return;
    }
    this.#opts.log?.debug?.({ key: this.#opts.spec.key, side }, 'forwarded connection idle');
    this.client.destroy();
    this.#backend?.destroy();
    this.#finish();
  }

  #sideClosed(side: 'client' | 'backend', hadError: boolean): void {
    const other = side === 'client' ? this.#backend : this.client;
    if (other !== undefined && !other.destroyed) {
      if (hadError) {
        resetSocket(other);
      } else if (!this.#established || !other.writableEnded) {
        // A clean close normally happens only after both directions ended,
        // in which case `other` already had end() called and is flushing.
        other.destroy();
      }
    }
    if (this.client.destroyed && (this.#backend?.destroyed ?? true)) this.#finish();
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#opts.onFinish();
  }
}
