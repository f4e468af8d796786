/**
 * A UDP listener on an endpoint IP and client port. Each client address:port
 * gets a session with its own ephemeral upstream socket, so the backend's
 * replies can be told apart and sent back to the right client. Sessions
 * expire after idleTimeoutMs without a datagram in either direction.
 *
 * UDP has no backpressure: a datagram that cannot be sent is dropped, as the
 * network would. Nothing is queued in user space.
 */
import dgram from 'node:dgram';
import { isIP, isIPv4 } from 'node:net';
import { canonicalIpAddress } from '../proxy-protocol.ts';
import { SourceFilter } from './acl.ts';
import type { EndpointTraffic } from './counters.ts';
import { withTimeout } from './listener.ts';
import type { Listener, ListenerContext } from './listener.ts';
import type { FlowInfo, ListenerSpec } from './types.ts';

interface UdpSession {
  key: string;
  address: string;
  port: number;
  upstream: dgram.Socket;
  timer: NodeJS.Timeout;
  traffic: EndpointTraffic;
  closed: boolean;
}

function socketType(host: string): 'udp4' | 'udp6' {
  return isIP(host) === 6 ? 'udp6' : 'udp4';
}

export class UdpListener implements Listener {
  #spec: ListenerSpec;
  readonly #ctx: ListenerContext;
  readonly #filter: SourceFilter;
  readonly #socket: dgram.Socket;
  readonly #sessions = new Map<string, UdpSession>();
  /** Sources whose session waits for a slot from another process, with their first datagram. */
  readonly #pending = new Map<string, Buffer>();
  /** The backend address as node formats rinfo.address, to recognise replies. */
  readonly #targetAddress: string;
  #port = 0;
  #bound = false;
  #stopping: Promise<void> | undefined;

  constructor(spec: ListenerSpec, ctx: ListenerContext) {
    this.#spec = spec;
    this.#ctx = ctx;
    this.#filter = new SourceFilter(spec.whitelist);
    this.#targetAddress = canonicalIpAddress(spec.targetHost) ?? spec.targetHost;
    this.#socket = dgram.createSocket({ type: socketType(spec.listenHost) });
    this.#socket.on('message', (msg, rinfo) => this.#fromClient(msg, rinfo));
  }

  get spec(): ListenerSpec {
    return this.#spec;
  }

  get port(): number {
    return this.#port;
  }

  start(): Promise<void> {
    const socket = this.#socket;
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      socket.once('error', onError);
      socket.bind({ address: this.#spec.listenHost, port: this.#spec.listenPort, exclusive: true }, () => {
        socket.off('error', onError);
        socket.on('error', (err) => this.#ctx.log?.warn({ key: this.#spec.key, err }, 'UDP listener error'));
        this.#bound = true;
        this.#port = socket.address().port;
        resolve();
      });
    });
  }

  update(spec: ListenerSpec): void {
    this.#spec = spec;
    this.#filter.update(spec.whitelist);
    for (const session of [...this.#sessions.values()]) {
      if (!this.#filter.allows(session.address)) this.#closeSession(session);
    }
  }

  /** Sessions answer through the listening socket: a UDP listener cannot let go of it alone. */
  detach(): Promise<void> {
    return this.stop();
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#shutdown();
    return this.#stopping;
  }

  flows(): FlowInfo[] {
    const { key, endpointId } = this.#spec;
    return [...this.#sessions.values()].map((s) => ({
      key,
      endpointId,
      protocol: 'UDP' as const,
      clientAddress: s.address,
      clientPort: s.port,
      clientBuffered: 0,
      backendBuffered: 0,
    }));
  }

  async #shutdown(): Promise<void> {
    for (const session of [...this.#sessions.values()]) this.#closeSession(session);
    const closed = new Promise<void>((resolve) => {
      try {
        this.#socket.close(() => resolve());
      } catch {
        // Never bound, or already closed.
        resolve();
      }
    });
    await withTimeout(closed, this.#ctx.stopTimeoutMs);
  }

  #fromClient(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.#stopping !== undefined || !this.#bound) return;
    const key = `${rinfo.address}|${rinfo.port}`;
    // Checked per datagram (a cached verdict per source); update() has already
    // closed the sessions of sources a new whitelist refuses.
    if (!this.#filter.allowsCached(rinfo.address)) {
      this.#ctx.counters.record(this.#spec.endpointId).refusedWhitelist++;
      return;
    }
    const session = this.#sessions.get(key);
    if (session !== undefined) this.#forward(session, msg);
    // A source waiting for a slot: datagrams after its first are dropped, as a full queue would.
    else if (!this.#pending.has(key)) this.#openSession(key, rinfo, msg);
  }

  #forward(session: UdpSession, msg: Buffer): void {
    session.timer.refresh();
    session.traffic.bytesClientToBackend += msg.length;
    this.#send(session.upstream, msg, this.#spec.targetPort, this.#spec.targetHost, 'backend');
  }

  #openSession(key: string, rinfo: dgram.RemoteInfo, first: Buffer): void {
    const spec = this.#spec;
    const traffic = this.#ctx.counters.record(spec.endpointId);
    // Defence in depth: a name given to socket.send would be resolved by DNS.
    if (!isIPv4(spec.targetHost)) {
      traffic.backendErrors++;
      this.#ctx.log?.debug?.({ key: spec.key }, 'UDP datagram dropped: backend is not an IPv4 address');
      return;
    }
    const admitted = this.#ctx.slots.acquire(spec.endpointId, spec.maxConnections);
    if (admitted === true) {
      this.#forward(this.#newSession(key, rinfo, traffic), first);
      return;
    }
    if (admitted === false) {
      traffic.refusedLimit++;
      return;
    }
    this.#pending.set(key, first);
    const settle = (ok: boolean): void => {
      this.#pending.delete(key);
      if (!ok) {
        traffic.refusedLimit++;
        return;
      }
      // Stopped, or the whitelist changed, while waiting.
      if (this.#stopping !== undefined || !this.#filter.allows(rinfo.address)) {
        this.#ctx.slots.release(spec.endpointId);
        return;
      }
      this.#forward(this.#newSession(key, rinfo, traffic), first);
    };
    admitted.then(settle, () => settle(false));
  }

  #newSession(key: string, rinfo: dgram.RemoteInfo, traffic: EndpointTraffic): UdpSession {
    const spec = this.#spec;
    const upstream = dgram.createSocket({ type: socketType(spec.targetHost) });
    // Bound before the first send, which would otherwise bind to any address.
    if (spec.sourceHost !== undefined) upstream.bind({ address: spec.sourceHost, port: 0, exclusive: true });
    const session: UdpSession = {
      key,
      address: rinfo.address,
      port: rinfo.port,
      upstream,
      timer: setTimeout(() => this.#closeSession(session), spec.idleTimeoutMs),
      traffic,
      closed: false,
    };
    session.timer.unref();
    upstream.on('error', (err) => {
      this.#ctx.log?.debug?.({ key: spec.key, err }, 'UDP session upstream error');
      this.#closeSession(session);
    });
    upstream.on('message', (reply, from) => this.#fromBackend(session, reply, from));
    this.#sessions.set(key, session);
    traffic.activeSessions++;
    traffic.totalSessions++;
    return session;
  }

  #fromBackend(session: UdpSession, reply: Buffer, from: dgram.RemoteInfo): void {
    if (session.closed) return;
    // The upstream socket is not connected; ignore anything the backend did not send.
    if (from.port !== this.#spec.targetPort || from.address !== this.#targetAddress) return;
    session.timer.refresh();
    session.traffic.bytesBackendToClient += reply.length;
    this.#send(this.#socket, reply, session.port, session.address, 'client');
  }

  /** Fire and forget: a datagram that cannot be sent is dropped, never queued. */
  #send(socket: dgram.Socket, data: Buffer, port: number, host: string, to: 'client' | 'backend'): void {
    const dropped = (err: unknown): void =>
      this.#ctx.log?.debug?.({ key: this.#spec.key, to, err }, 'UDP datagram dropped');
    try {
      socket.send(data, port, host, (err) => {
        if (err) dropped(err);
      });
    } catch (err) {
      dropped(err);
    }
  }

  #closeSession(session: UdpSession): void {
    if (session.closed) return;
    session.closed = true;
    clearTimeout(session.timer);
    this.#sessions.delete(session.key);
    try {
      session.upstream.close();
    } catch {
      // Already closed after an error.
    }
    this.#ctx.slots.release(this.#spec.endpointId);
    session.traffic.activeSessions--;
  }
}
