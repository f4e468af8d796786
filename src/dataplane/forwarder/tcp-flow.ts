/**
 * One forwarded TCP connection: the accepted client socket (paused until the
 * backend is reached) and the backend socket it is spliced to.
 *
 * - Reads land in the forwarder's own buffers (read-buffers.ts), not in one
 *   Node allocates per read; Node's 'data' path remains only for a client
 *   socket this Node will not let us adopt.
 * - Backpressure: a chunk the other side cannot take at once stops reads from
 *   the side it came from until the other side drains, so each side holds at
 *   most about one high-water mark plus one read chunk in user space.
 * - Half-close: both sockets are allowHalfOpen; the end of one side's read
 *   half ends the other side's write half, and each socket destroys itself
 *   (autoDestroy) once both of its halves are done.
 * - Errors on either side, including a refused backend, reset both sides so
 *   an RST reaches the peer. Idleness and the backend connect timeout are
 *   checked by the listener's sweep (TcpListener), not by a timer per socket.
 *
 * Memory: an idle connection costs two sockets and this object. Every event
 * handler is one module-level function shared by all connections, which
 * finds its flow through a symbol on the socket: no closures per connection.
 */
import net from 'node:net';
import { encodeV2, markerIdTlv, vniTlv } from '../proxy-protocol.ts';
import type { Tlv } from '../proxy-protocol.ts';
import type { EndpointTraffic } from './counters.ts';
import { HOLDS_DEDICATED, KEEP_READING, type ReadBuffers } from './read-buffers.ts';
import type { SourcePorts } from './source-ports.ts';
import type { ForwarderLog, ListenerSpec } from './types.ts';

/** What a flow needs from the listener that accepted it. */
export interface FlowHost {
  /** Its spec: an update in place changes only whitelist and limit, never what a flow uses. */
  readonly spec: ListenerSpec;
  /** The port really bound (differs from spec.listenPort when that is 0). */
  readonly port: number;
  readonly log: ForwarderLog | undefined;
  /** Where the flow's sockets read. */
  readonly readBuffers: ReadBuffers;
  /** Where a backend dial from a named source address gets its port. */
  readonly sourcePorts: SourcePorts;
  /** Called exactly once per flow, when it stops counting as open. */
  flowFinished(flow: TcpFlow): void;
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

const FLOW = Symbol('vpcep.flow');
type FlowSocket = net.Socket & { [FLOW]?: TcpFlow };

function flowOf(socket: net.Socket): TcpFlow | undefined {
  return (socket as FlowSocket)[FLOW];
}

/**
 * The 'error' handler of every accepted socket, from the accept on: errors of
 * a socket that never became a flow (refused, or whose admission is pending)
 * are expected noise.
 */
export function onSocketError(this: net.Socket, err: Error): void {
  flowOf(this)?.abort(this, err);
}

function onClose(this: net.Socket, hadError: boolean): void {
  flowOf(this)?.sideClosed(this, hadError);
}

/**
 * The onread callback of both sockets of every flow (read-buffers.ts): the
 * bytes go to the other socket; false stops reading until its 'drain'.
 */
function onRead(this: net.Socket, nread: number, buf: Buffer): boolean {
  const flow = flowOf(this);
  const peer = flow?.peerOf(this);
  // A finished flow has given its buffers back (#finish): nothing more is passed on.
  if (flow === undefined || peer === undefined || flow.finished) return false;
  if (this === flow.client) flow.traffic.bytesClientToBackend += nread;
  else flow.traffic.bytesBackendToClient += nread;
  flow.lastActive = Date.now();
  const result = flow.readBuffers.passOn(buf, nread, peer);
  flow.holdsDedicated(this, (result & HOLDS_DEDICATED) !== 0);
  return (result & KEEP_READING) !== 0;
}

/** Node's own read path, for a client socket this Node does not let us adopt. */
function onClientData(this: net.Socket, chunk: Buffer): void {
  const flow = flowOf(this);
  if (flow === undefined) return;
  flow.traffic.bytesClientToBackend += chunk.length;
  flow.lastActive = Date.now();
  if (flow.backend?.write(chunk) === false) this.pause();
}

/** The socket took its queued bytes: read again from the side that fills it. */
function onDrain(this: net.Socket): void {
  flowOf(this)?.peerOf(this)?.resume();
}

/** One side will send nothing more: pass its FIN on once what it sent is written. */
function onEnd(this: net.Socket): void {
  const peer = flowOf(this)?.peerOf(this);
  if (peer !== undefined && !peer.destroyed) peer.end();
}

function onBackendConnect(this: net.Socket): void {
  flowOf(this)?.connected();
}

const ESTABLISHED = 1;
const FINISHED = 2;
const CLIENT_DEDICATED = 4;
const BACKEND_DEDICATED = 8;
/** Backend dials made so far, in two bits of the state (see #dial). */
const DIALS_SHIFT = 4;
const DIALS_MASK = 3 << DIALS_SHIFT;
/** A source port in use for this backend: another port may work (source-ports.ts). */
const PORT_TAKEN = new Set(['EADDRINUSE', 'EADDRNOTAVAIL']);

export class TcpFlow {
  readonly client: net.Socket;
  backend: net.Socket | undefined = undefined;
  readonly traffic: EndpointTraffic;
  /** Date.now() of the last byte either way; of the start while the backend connects. */
  lastActive: number;
  readonly #host: FlowHost;
  #state = 0;

  constructor(client: net.Socket, traffic: EndpointTraffic, host: FlowHost) {
    this.client = client;
    this.traffic = traffic;
    this.#host = host;
    this.lastActive = Date.now();
  }

  get spec(): ListenerSpec {
    return this.#host.spec;
  }

  get readBuffers(): ReadBuffers {
    return this.#host.readBuffers;
  }

  /**
   * Asked of the socket when needed (node then keeps it): a listener without
   * whitelist or PROXY header never needs it, and an idle connection is
   * smaller without its copy.
   */
  get clientAddress(): string {
    return this.client.remoteAddress ?? '';
  }

  get clientPort(): number {
    return this.client.remotePort ?? 0;
  }

  get established(): boolean {
    return (this.#state & ESTABLISHED) !== 0;
  }

  get clientBuffered(): number {
    return this.client.writableLength;
  }

  get backendBuffered(): number {
    return this.backend?.writableLength ?? 0;
  }

  /** The client socket must already carry onSocketError as its 'error' listener. */
  start(): void {
    const { client, spec } = this;
    (client as FlowSocket)[FLOW] = this;
    client.on('close', onClose);

    // Defence in depth: the controller only hands out IPv4 literals, and a name
    // given to net.connect would be resolved by DNS to wherever it points.
    if (!net.isIPv4(spec.targetHost)) {
      this.abort(undefined, Object.assign(new Error('backend is not an IPv4 address'), { code: 'EINVAL' }));
      return;
    }
    this.#dial();
  }

  /** Opens the backend socket; from a named source port when the spec names a source address. */
  #dial(): void {
    const spec = this.spec;
    this.#state += 1 << DIALS_SHIFT;
    let backend: net.Socket;
    try {
      backend = net.connect({
        host: spec.targetHost,
        port: spec.targetPort,
        allowHalfOpen: true,
        noDelay: true,
        onread: this.readBuffers.connectOption(onRead),
        ...(spec.sourceHost === undefined
          ? {}
          : { localAddress: spec.sourceHost, localPort: this.#host.sourcePorts.next() }),
      });
    } catch (err) {
      this.abort(undefined, err);
      return;
    }
    (backend as FlowSocket)[FLOW] = this;
    this.backend = backend;
    backend.on('error', onSocketError);
    backend.on('close', onClose);
    backend.once('connect', onBackendConnect);
  }

  /** The other socket of the flow (undefined while there is no backend socket). */
  peerOf(socket: net.Socket): net.Socket | undefined {
    return socket === this.client ? this.backend : this.client;
  }

  /** Cuts the connection: RST to both peers. The flow stops counting at once. */
  reset(): void {
    resetSocket(this.client);
    if (this.backend !== undefined) resetSocket(this.backend);
    this.#finish();
  }

  /** Called by the listener's sweep; `now` is Date.now(). */
  checkTimeouts(now: number, connectTimeoutMs: number): void {
    if ((this.#state & FINISHED) !== 0) return;
    if (!this.established) {
      if (now - this.lastActive >= connectTimeoutMs) {
        this.abort(this.backend, Object.assign(new Error('backend connect timeout'), { code: 'ETIMEDOUT' }));
      }
      return;
    }
    if (now - this.lastActive < this.spec.idleTimeoutMs) return;
    this.#host.log?.debug?.({ key: this.spec.key }, 'forwarded connection idle');
    this.client.destroy();
    this.backend?.destroy();
    this.#finish();
  }

  connected(): void {
    const { client, spec } = this;
    const backend = this.backend;
    if (backend === undefined) return;
    if (client.destroyed) {
      backend.destroy();
      return;
    }
    this.#state |= ESTABLISHED;
    this.lastActive = Date.now();
    client.setNoDelay(true);
    if (spec.proxyProtocol !== null) {
      let header: Buffer;
      try {
        header = this.#proxyHeader(spec);
      } catch (err) {
        this.abort(client, err);
        return;
      }
      backend.write(header);
    }
    if (!this.readBuffers.adopt(client, onRead)) client.on('data', onClientData);
    client.on('end', onEnd);
    client.on('drain', onDrain);
    backend.on('end', onEnd);
    backend.on('drain', onDrain);
    // The client was paused since accept (pauseOnConnect): nothing was read
    // before there was somewhere to put it.
    client.resume();
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
      destination: { address: spec.listenHost, port: this.#host.port },
      tlvs,
    });
  }

  /** An error on `socket` (undefined: the backend could not even be created). */
  abort(socket: net.Socket | undefined, err: unknown): void {
    if ((this.#state & FINISHED) !== 0) return;
    const side = socket === this.client ? 'client' : 'backend';
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    if (
      socket !== undefined &&
      socket === this.backend &&
      !this.established &&
      this.spec.sourceHost !== undefined &&
      code !== undefined &&
      PORT_TAKEN.has(code) &&
      (this.#state & DIALS_MASK) < DIALS_MASK
    ) {
      // That source port is taken for this backend: the old socket leaves the flow
      // (its close must not reset the client) and the next port is tried.
      (socket as FlowSocket)[FLOW] = undefined;
      socket.destroy();
      this.#dial();
      return;
    }
    if (side === 'backend' && !this.established) this.traffic.backendErrors++;
    this.#host.log?.debug?.(
      { endpointId: this.spec.endpointId, key: this.spec.key, side, code, err },
      'forwarded connection failed',
    );
    this.reset();
  }

  sideClosed(socket: net.Socket, hadError: boolean): void {
    const other = this.peerOf(socket);
    if (other !== undefined && !other.destroyed) {
      if (hadError) {
        resetSocket(other);
      } else if (!this.established || !other.writableEnded) {
        // A clean close normally happens only after both directions ended,
        // in which case `other` already had end() called and is flushing.
        other.destroy();
      }
    }
    if (this.client.destroyed && (this.backend?.destroyed ?? true)) this.#finish();
  }

  /** Records whether `socket`'s next read lands in a dedicated buffer (read-buffers.ts). */
  holdsDedicated(socket: net.Socket, holds: boolean): void {
    const bit = socket === this.client ? CLIENT_DEDICATED : BACKEND_DEDICATED;
    if (holds) this.#state |= bit;
    else this.#state &= ~bit;
  }

  get finished(): boolean {
    return (this.#state & FINISHED) !== 0;
  }

  #finish(): void {
    if ((this.#state & FINISHED) !== 0) return;
    this.#state |= FINISHED;
    const held =
      ((this.#state & CLIENT_DEDICATED) !== 0 ? 1 : 0) + ((this.#state & BACKEND_DEDICATED) !== 0 ? 1 : 0);
    if (held !== 0) this.readBuffers.release(held);
    this.#state &= ~(CLIENT_DEDICATED | BACKEND_DEDICATED);
    this.#host.flowFinished(this);
  }
}
