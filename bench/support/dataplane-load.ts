// The load generators of bench/dataplane.ts. Each runs against one host:port
// (the backend itself, a vpcep endpoint or a haproxy frontend) in this process,
// for a warm-up and then a measured window whose edges the caller observes
// through `mark` (CPU samples of the processes involved). Everything is
// bounded: by the window, and by per-connection timeouts.
import { once } from 'node:events';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Source addresses for client sockets, taken in turn. Binding a local address
 * makes the kernel pick the port at bind() time, unique per address and held
 * by TIME_WAIT for 60 s; rotating over many addresses keeps thousands of
 * short connections per second (and repeated runs) clear of port exhaustion.
 */
export class ClientAddresses {
  #i = 0;
  constructor(readonly addresses: readonly string[]) {}
  next(): string {
    const a = this.addresses[this.#i % this.addresses.length]!;
    this.#i += 1;
    return a;
  }
}

export interface Target {
  host: string;
  port: number;
}

export interface Phase {
  warmupMs: number;
  measureMs: number;
  /** Called as the measured window opens and closes. */
  mark(edge: 'start' | 'end'): void;
}

async function connect(t: Target, localAddress: string, ms = 5000): Promise<net.Socket> {
  const s = net.connect({ host: t.host, port: t.port, localAddress, noDelay: true });
  const timer = setTimeout(() => s.destroy(new Error(`connect to ${t.host}:${t.port} timed out`)), ms);
  try {
    await once(s, 'connect');
    return s;
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------- a. bulk throughput

export interface ThroughputResult {
  mbPerS: number;
  errors: number;
}

/**
 * `streams` connections that write as fast as the path takes it. Bytes are
 * counted where they arrive (`received`, the sink's counter), so data still
 * sitting in socket buffers is never counted as throughput.
 */
export async function bulkThroughput(
  t: Target,
  streams: number,
  phase: Phase,
  clients: ClientAddresses,
  received: () => Promise<number>,
): Promise<ThroughputResult> {
  // One 256 KiB buffer written again and again: the client copies nothing in user space.
  const chunk = Buffer.alloc(256 * 1024, 0x61);
  let stopped = false;
  let errors = 0;
  const sockets = await Promise.all(Array.from({ length: streams }, () => connect(t, clients.next())));
  try {
    for (const s of sockets) {
      s.on('error', () => {
        if (!stopped) errors += 1;
      });
      const pump = () => {
        while (!stopped && !s.destroyed && s.write(chunk));
      };
      s.on('drain', pump);
      pump();
    }
    await sleep(phase.warmupMs);
    phase.mark('start');
    const b0 = await received();
    const t0 = performance.now();
    await sleep(phase.measureMs);
    const b1 = await received();
    const t1 = performance.now();
    phase.mark('end');
    return { mbPerS: (b1 - b0) / 1e6 / ((t1 - t0) / 1000), errors };
  } finally {
    stopped = true;
    for (const s of sockets) s.destroy();
  }
}

// ---------------------------------------------------------------- b. connection rate

export interface RateResult {
  perS: number;
  completed: number;
  errors: number;
  firstError?: string;
}

const REQUEST = Buffer.alloc(32, 0x72);

/** connect, send 32 bytes, read the 32-byte echo, end, and wait for the close. */
function oneExchange(t: Target, localAddress: string, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const s = net.connect({ host: t.host, port: t.port, localAddress, noDelay: true });
    let got = 0;
    const timer = setTimeout(() => s.destroy(new Error('exchange timed out')), timeoutMs);
    s.once('connect', () => s.write(REQUEST));
    s.on('data', (c: Buffer) => {
      got += c.length;
      if (got >= REQUEST.length) s.end();
    });
    s.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    // A complete exchange ends with the peer's FIN answering ours: the proxy
    // has torn down both of its sockets' directions by then.
    s.once('close', () => {
      clearTimeout(timer);
      if (got >= REQUEST.length) resolve();
      else reject(new Error(`closed after ${got} of ${REQUEST.length} reply bytes`));
    });
  });
}

export async function connectionRate(
  t: Target,
  concurrency: number,
  phase: Phase,
  clients: ClientAddresses,
): Promise<RateResult> {
  let stopped = false;
  let counting = false;
  let completed = 0;
  let errors = 0;
  let firstError: string | undefined;
  const worker = async () => {
    while (!stopped) {
      try {
        await oneExchange(t, clients.next(), 5000);
        if (counting) completed += 1;
      } catch (err) {
        errors += 1;
        firstError ??= (err as Error).message;
        // Do not spin on a path that refuses everything.
        await sleep(10);
      }
    }
  };
  const workers = Array.from({ length: concurrency }, () => worker());
  try {
    await sleep(phase.warmupMs);
    phase.mark('start');
    counting = true;
    const t0 = performance.now();
    await sleep(phase.measureMs);
    counting = false;
    const n = completed;
    const t1 = performance.now();
    phase.mark('end');
    return { perS: n / ((t1 - t0) / 1000), completed: n, errors, ...(firstError ? { firstError } : {}) };
  } finally {
    stopped = true;
    await Promise.all(workers);
  }
}

// ---------------------------------------------------------------- c. latency

export interface LatencyResult {
  p50: number;
  p99: number;
  count: number;
  errors: number;
}

/** The q-quantile (nearest rank) of sorted values. */
function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/**
 * Sequential 64-byte request/response round trips on one persistent
 * connection; µs per round trip as this process sees it, from the write to the
 * last reply byte. Samples are kept only inside the window (at most `maxSamples`).
 */
export async function roundTripLatency(
  t: Target,
  phase: Phase,
  clients: ClientAddresses,
  maxSamples = 1_000_000,
): Promise<LatencyResult> {
  const message = Buffer.alloc(64, 0x6c);
  const samples = new Float64Array(maxSamples);
  let count = 0;
  let errors = 0;
  let recording = false;
  let stopped = false;
  const s = await connect(t, clients.next());
  const finished = new Promise<void>((resolve) => {
    let got = 0;
    let sentAt = 0n;
    const send = () => {
      got = 0;
      sentAt = process.hrtime.bigint();
      s.write(message);
    };
    s.on('data', (c: Buffer) => {
      got += c.length;
      if (got < message.length) return;
      const us = Number(process.hrtime.bigint() - sentAt) / 1000;
      if (recording && count < maxSamples) samples[count++] = us;
      if (stopped) resolve();
      else send();
    });
    s.on('error', () => {
      errors += 1;
      resolve();
    });
    s.on('close', () => resolve());
    send();
  });
  try {
    await sleep(phase.warmupMs);
    phase.mark('start');
    recording = true;
    await sleep(phase.measureMs);
    recording = false;
    phase.mark('end');
    stopped = true;
    // The round trip in flight ends the loop; 5 s guards against a stuck path.
    await Promise.race([finished, sleep(5000)]);
  } finally {
    s.destroy();
  }
  const sorted = samples.subarray(0, count).sort();
  return { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), count, errors };
}

// ---------------------------------------------------------------- d. idle connections

/** Opens `count` connections, at most `parallel` connecting at once; returns those that connected. */
export async function openIdle(
  t: Target,
  count: number,
  clients: ClientAddresses,
  parallel = 100,
): Promise<{ sockets: net.Socket[]; failed: number; firstError?: string }> {
  const sockets: net.Socket[] = [];
  let failed = 0;
  let firstError: string | undefined;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      try {
        const s = await connect(t, clients.next());
        s.on('error', () => {});
        sockets.push(s);
      } catch (err) {
        failed += 1;
        firstError ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, () => worker()));
  return { sockets, failed, ...(firstError ? { firstError } : {}) };
}

/** Writes one byte on every socket and counts those that echo it back within `ms`. */
export async function echoEach(sockets: readonly net.Socket[], ms = 10_000): Promise<number> {
  const one = Buffer.from('x');
  const answered = sockets.map(
    (s) =>
      new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), ms);
        s.once('data', () => {
          clearTimeout(timer);
          resolve(true);
        });
        s.once('close', () => {
          clearTimeout(timer);
          resolve(false);
        });
        s.write(one);
      }),
  );
  return (await Promise.all(answered)).filter(Boolean).length;
}
