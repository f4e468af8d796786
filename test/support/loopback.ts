/**
 * Loopback fixtures for exercising forwarders and the data plane: backends,
 * clients, listener specs and bounded waits.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';
import { EndpointCounters } from '../../src/dataplane/forwarder/counters.ts';
import { ForwarderSet, type ForwarderSetOptions } from '../../src/dataplane/forwarder/forwarder-set.ts';
import type { ListenerSpec } from '../../src/dataplane/forwarder/types.ts';

/** Rejects with `what` if `promise` has not settled within `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/** Polls `check` every `everyMs` until it is true; rejects after `ms`. */
export async function waitFor(check: () => boolean, ms: number, what: string, everyMs = 10): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A port that was free on `host` a moment ago (bind to 0, read, close). */
export async function freePort(host: string, protocol: 'TCP' | 'UDP' = 'TCP'): Promise<number> {
  if (protocol === 'UDP') {
    const s = dgram.createSocket(net.isIP(host) === 6 ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(0, host, resolve);
    });
    const { port } = s.address();
    await new Promise<void>((resolve) => s.close(() => resolve()));
    return port;
  }
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const address = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}

export interface TcpBackend {
  host: string;
  port: number;
  /** Sockets currently open on the backend side. */
  sockets: Set<net.Socket>;
  close(): Promise<void>;
}

/** A TCP server (allowHalfOpen) running `handle` per connection; echo by default. */
export async function startTcpBackend(
  host: string,
  handle: (socket: net.Socket) => void = (s) => s.pipe(s),
): Promise<TcpBackend> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    handle(socket);
  });
  server.listen(0, host);
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  return {
    host,
    port,
    sockets,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface UdpBackend {
  host: string;
  port: number;
  /** "address:port" of every datagram source seen, in order. */
  sources: string[];
  close(): Promise<void>;
}

/** A UDP server that answers each datagram with `reply(payload)` (echo by default). */
export async function startUdpBackend(
  host: string,
  reply: (payload: Buffer) => Buffer = (p) => p,
  port = 0,
): Promise<UdpBackend> {
  const socket = dgram.createSocket(net.isIP(host) === 6 ? 'udp6' : 'udp4');
  const sources: string[] = [];
  socket.on('message', (msg, rinfo) => {
    sources.push(`${rinfo.address}:${rinfo.port}`);
    socket.send(reply(msg), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, resolve);
  });
  return {
    host,
    port: socket.address().port,
    sources,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** Connects (optionally from `localAddress`) and resolves once connected. */
export async function connectTcp(
  host: string,
  port: number,
  localAddress?: string,
  ms = 2000,
): Promise<net.Socket> {
  const socket = net.connect({ host, port, allowHalfOpen: true, ...(localAddress ? { localAddress } : {}) });
  socket.on('error', () => {});
  await within(once(socket, 'connect'), ms, `connect to ${host}:${port}`);
  return socket;
}

/**
 * Resolves with how a socket ended: the first error code (if any) and how many
 * bytes arrived. A FIN from the peer is answered with our own, so a half-open
 * client closes too.
 */
export function closeOutcome(socket: net.Socket, ms = 3000): Promise<{ code?: string; received: number }> {
  let received = 0;
  let code: string | undefined;
  socket.on('data', (c: Buffer) => {
    received += c.length;
  });
  socket.on('end', () => socket.end());
  socket.on('error', (err: NodeJS.ErrnoException) => {
    code ??= err.code;
  });
  const result = (): { code?: string; received: number } =>
    code === undefined ? { received } : { code, received };
  if (socket.destroyed) return Promise.resolve(result());
  return within(new Promise((resolve) => socket.once('close', () => resolve(result()))), ms, 'socket close');
}

/**
 * A connection attempt whose outcome is awaited whether or not the handshake
 * completes first: a forwarder that refuses a connection resets it right after
 * accepting, which a loopback client may see during or after connect().
 */
export function attempt(
  host: string,
  port: number,
  localAddress?: string,
  ms = 3000,
): Promise<{ code?: string; received: number }> {
  const socket = net.connect({ host, port, allowHalfOpen: true, ...(localAddress ? { localAddress } : {}) });
  return closeOutcome(socket, ms);
}

/** Sends `payload` and reads until `expected` bytes came back. */
export async function roundTrip(socket: net.Socket, payload: Buffer, ms = 2000): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  const done = new Promise<Buffer>((resolve, reject) => {
    const onData = (c: Buffer): void => {
      chunks.push(c);
      length += c.length;
      if (length >= payload.length) {
        socket.off('data', onData);
        resolve(Buffer.concat(chunks));
      }
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error('closed before the echo arrived')));
  });
  socket.write(payload);
  return within(done, ms, 'echo round trip');
}

/** One datagram out, the first datagram back (or null after `ms`). */
export async function udpExchange(
  socket: dgram.Socket,
  payload: Buffer,
  port: number,
  host: string,
  ms = 500,
): Promise<Buffer | null> {
  const reply = new Promise<Buffer | null>((resolve) => {
    const timer = setTimeout(() => {
      socket.off('message', onMessage);
      resolve(null);
    }, ms);
    const onMessage = (msg: Buffer): void => {
      clearTimeout(timer);
      resolve(msg);
    };
    socket.once('message', onMessage);
  });
  socket.send(payload, port, host);
  return reply;
}

/** A TCP spec for endpoint `ep-1` with test-friendly defaults (ephemeral listen port). */
export function tcpSpec(
  listenHost: string,
  target: { host: string; port: number },
  over: Partial<ListenerSpec> = {},
): ListenerSpec {
  return {
    key: 'ep-1:TCP:0',
    endpointId: 'ep-1',
    protocol: 'TCP',
    listenHost,
    listenPort: 0,
    targetHost: target.host,
    targetPort: target.port,
    proxyProtocol: null,
    whitelist: null,
    maxConnections: 100,
    idleTimeoutMs: 10_000,
    ...over,
  };
}

export interface TcpForwarderFixture {
  set: ForwarderSet;
  counters: EndpointCounters;
  backend: TcpBackend;
  /** The port the forwarder listens on. */
  port: number;
}

/**
 * One TCP forwarder (tcpSpec(listenHost, backend, over)) in front of a backend
 * on `backendHost` running `handle` (echo by default), made with `options`;
 * all closed afterwards.
 */
export async function withTcpForwarder(
  hosts: { listenHost: string; backendHost: string },
  fn: (f: TcpForwarderFixture) => Promise<void>,
  over: Partial<ListenerSpec> = {},
  handle?: (s: net.Socket) => void,
  options: Omit<ForwarderSetOptions, 'counters'> = {},
): Promise<void> {
  const counters = new EndpointCounters();
  const set = new ForwarderSet({ ...options, counters });
  const backend = await startTcpBackend(hosts.backendHost, handle);
  try {
    const spec = tcpSpec(hosts.listenHost, backend, over);
    const result = await set.apply([spec]);
    if (result.failed.length > 0) throw new Error(`forwarder failed: ${JSON.stringify(result.failed)}`);
    await fn({ set, counters, backend, port: set.address(spec.key)?.port ?? 0 });
  } finally {
    await set.close();
    await backend.close();
  }
}

/**
 * `spec()` and `withForwarder()` bound to one listen host and one backend
 * host, so a test file states its addresses once.
 */
export function forwarderOn(listenHost: string, backendHost: string) {
  return {
    spec: (backend: { port: number }, over: Partial<ListenerSpec> = {}): ListenerSpec =>
      tcpSpec(listenHost, { host: backendHost, port: backend.port }, over),
    withForwarder: (
      fn: (f: TcpForwarderFixture) => Promise<void>,
      over: Partial<ListenerSpec> = {},
      handle?: (s: net.Socket) => void,
    ): Promise<void> => withTcpForwarder({ listenHost, backendHost }, fn, over, handle),
  };
}
