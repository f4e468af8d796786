import dgram from 'node:dgram';
import net from 'node:net';
import { answerQuery } from './answer.ts';
import type { DnsZoneTable } from './records.ts';

export interface DnsServerOptions {
  host: string;
  port: number;
  table: DnsZoneTable;
  ttl?: number;
  log?: { warn(obj: object, msg?: string): void };
  /** Close TCP connections idle for this long (ms). Default 10 000. */
  tcpIdleTimeoutMs?: number;
  /** Cap on concurrent TCP connections; extra ones are dropped. Default 256. */
  maxTcpConnections?: number;
  /**
   * Sockets already bound on host:port, by another process in another network
   * namespace (namespaces mode's resolver): served instead of binding.
   */
  sockets?: { udp: dgram.Socket; tcp: net.Server };
}

/**
 * `answered` counts NOERROR responses (positive and NODATA); `errors` counts
 * everything that did not get a normal answer: dropped or malformed messages,
 * FORMERR/NOTIMP responses, and failed sends.
 */
export interface DnsCounters {
  queries: number;
  answered: number;
  nxdomain: number;
  refused: number;
  errors: number;
}

const BIND_ATTEMPTS = 5;
// A client that stops reading must not make us buffer without bound; once this
// much is queued we stop reading from it until the socket drains.
const TCP_WRITE_HIGH_WATER = 256 * 1024;

/** Authoritative DNS server (UDP + TCP on one port) for a DnsZoneTable. */
export class DnsServer {
  readonly #opts: DnsServerOptions;
  readonly #counters: DnsCounters = { queries: 0, answered: 0, nxdomain: 0, refused: 0, errors: 0 };
  readonly #conns = new Set<net.Socket>();
  #udp: dgram.Socket | undefined;
  #tcp: net.Server | undefined;
  #port = 0;
  #starting: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  constructor(opts: DnsServerOptions) {
    // Checked here because a bad TTL would otherwise surface per query, as an
    // encoding failure that answerQuery reports to clients as FORMERR.
    if (opts.ttl !== undefined && !(Number.isInteger(opts.ttl) && opts.ttl >= 0 && opts.ttl <= 0x7fffffff)) {
      throw new RangeError(`invalid DNS ttl: ${opts.ttl}`);
    }
    this.#opts = opts;
  }

  /** Snapshot; a fresh object so callers cannot tamper with the live counts. */
  get counters(): DnsCounters {
    return { ...this.#counters };
  }

  address(): { host: string; port: number } {
    if (this.#udp === undefined) throw new Error('DnsServer is not started');
    return { host: this.#opts.host, port: this.#port };
  }

  start(): Promise<void> {
    if (this.#closing) return Promise.reject(new Error('DnsServer is closed'));
    this.#starting ??= this.#bindBoth();
    return this.#starting;
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #bindBoth(): Promise<void> {
    const given = this.#opts.sockets;
    if (given !== undefined) {
      this.#serveUdp(given.udp);
      this.#serveTcp(given.tcp);
      this.#udp = given.udp;
      this.#tcp = given.tcp;
      this.#port = given.udp.address().port;
      return;
    }
    // With an ephemeral port, UDP picks it and TCP must follow; another process
    // may already hold that TCP port, so start over with a fresh UDP port.
    const attempts = this.#opts.port === 0 ? BIND_ATTEMPTS : 1;
    for (let attempt = 1; ; attempt++) {
      const udp = await this.#bindUdp(this.#opts.port);
      const port = udp.address().port;
      try {
        this.#tcp = await this.#listenTcp(port);
        this.#udp = udp;
        this.#port = port;
        return;
      } catch (err) {
        await new Promise<void>((resolve) => udp.close(() => resolve()));
        const inUse = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
        if (!inUse || attempt >= attempts) throw err;
      }
    }
  }

  #bindUdp(port: number): Promise<dgram.Socket> {
    const type = net.isIPv6(this.#opts.host) ? 'udp6' : 'udp4';
    const sock = dgram.createSocket({ type });
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        sock.close();
        reject(err);
      };
      sock.once('error', onError);
      sock.bind({ port, address: this.#opts.host }, () => {
        sock.off('error', onError);
        this.#serveUdp(sock);
        resolve(sock);
      });
    });
  }

  #serveUdp(sock: dgram.Socket): void {
    // Runtime errors (e.g. ICMP-triggered send failures) must not become
    // uncaught 'error' events that would take down the whole process.
    sock.on('error', (e) => this.#warn(e, 'dns udp socket error'));
    sock.on('message', (msg, rinfo) => this.#onDatagram(sock, msg, rinfo));
  }

  #listenTcp(port: number): Promise<net.Server> {
    const server = net.createServer();
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host: this.#opts.host }, () => {
        server.off('error', reject);
        this.#serveTcp(server);
        resolve(server);
      });
    });
  }

  #serveTcp(server: net.Server): void {
    server.maxConnections = this.#opts.maxTcpConnections ?? 256;
    server.on('connection', (conn: net.Socket) => this.#onConnection(conn));
    server.on('error', (e) => this.#warn(e, 'dns tcp server error'));
  }

  #onDatagram(sock: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const resp = this.#handle(msg, 'udp');
    // Port 0 cannot be replied to; sending would only raise an error.
    if (resp === undefined || rinfo.port === 0 || this.#closing) return;
    sock.send(resp, rinfo.port, rinfo.address, (err) => {
      if (err) {
        this.#counters.errors++;
        this.#warn(err, 'dns udp send failed');
      }
    });
  }

  #onConnection(conn: net.Socket): void {
    if (this.#closing) {
      conn.destroy();
      return;
    }
    this.#conns.add(conn);
    conn.setNoDelay(true);
    conn.setTimeout(this.#opts.tcpIdleTimeoutMs ?? 10_000, () => conn.destroy());
    // Resets and the like are the client's business; just drop the connection.
    conn.on('error', () => conn.destroy());
    conn.on('close', () => this.#conns.delete(conn));
    conn.on('drain', () => conn.resume());

    let pending: Buffer = Buffer.alloc(0);
    conn.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      // The 2-byte length prefix bounds a message at 65535 bytes, so `pending`
      // never holds more than one partial message plus one chunk.
      while (pending.length >= 2) {
        const len = pending.readUInt16BE(0);
        if (pending.length < 2 + len) break;
        const msg = pending.subarray(2, 2 + len);
        pending = pending.subarray(2 + len);
        const resp = this.#handle(msg, 'tcp');
        if (resp === undefined) {
          // No reply is possible, and the client would otherwise wait for its
          // own timeout; closing tells it at once.
          conn.destroy();
          return;
        }
        const framed = Buffer.allocUnsafe(2 + resp.length);
        framed.writeUInt16BE(resp.length, 0);
        resp.copy(framed, 2);
        conn.write(framed);
      }
      if (conn.writableLength > TCP_WRITE_HIGH_WATER) conn.pause();
    });
  }

  /** Shared by both transports: counts, answers, and never lets an exception escape. */
  #handle(msg: Buffer, transport: 'udp' | 'tcp'): Buffer | undefined {
    this.#counters.queries++;
    let resp: Buffer | undefined;
    try {
      resp = answerQuery(msg, this.#opts.table, { transport, ttl: this.#opts.ttl });
    } catch (err) {
      // answerQuery is written not to throw; this guards against a bug there
      // turning one bad packet into a crashed data plane.
      this.#warn(err, 'dns answerQuery threw');
    }
    const rcode = resp !== undefined ? resp.readUInt8(3) & 0x0f : -1;
    if (rcode === 0) this.#counters.answered++;
    else if (rcode === 3) this.#counters.nxdomain++;
    else if (rcode === 5) this.#counters.refused++;
    else this.#counters.errors++;
    return resp;
  }

  async #shutdown(): Promise<void> {
    // Let an in-flight start() settle so we close whatever it managed to bind.
    await this.#starting?.catch(() => undefined);
    for (const conn of this.#conns) conn.destroy();
    this.#conns.clear();
    const udp = this.#udp;
    const tcp = this.#tcp;
    await Promise.all([
      udp && new Promise<void>((resolve) => udp.close(() => resolve())),
      tcp && new Promise<void>((resolve) => tcp.close(() => resolve())),
    ]);
  }

  #warn(err: unknown, msg: string): void {
    this.#opts.log?.warn({ err }, msg);
  }
}
