// The backend of bench/dataplane.ts, in a process of its own so that the load
// generator, the backend and the proxy are three processes (as on real hosts,
// minus the network), each with its own event loop and its own CPU reading.
//
//   node --import tsx bench/support/dataplane-backend.ts --host 127.20.0.10
//
// Two TCP servers on --host, on ephemeral ports:
//   sink  reads and discards everything (bulk throughput), counting bytes;
//   echo  writes back whatever arrives (connection rate, latency, idle RSS);
//   echo2 the same, for the second service of figure (e).
// The first stdout line is {"pid","sinkPort","echoPort","echo2Port"} as JSON. Each "stats"
// line on stdin is answered by one stdout line {"sinkBytes","sinkSockets","echoSockets"}:
// the parent reads throughput at the receiving end and checks that idle
// connections really reach the backend. It exits on SIGTERM/SIGINT or when
// stdin closes, so it never outlives the bench.
import { once } from 'node:events';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { exitWithParent } from './child-lifetime.ts';

export interface BackendReady {
  pid: number;
  sinkPort: number;
  echoPort: number;
  echo2Port: number;
}

export interface BackendStats {
  sinkBytes: number;
  sinkSockets: number;
  echoSockets: number;
}

async function listen(host: string, onSocket: (s: net.Socket) => void): Promise<net.Server> {
  // allowHalfOpen: a client's FIN is answered once our side is done, like the echo test backends.
  const server = net.createServer({ allowHalfOpen: true }, onSocket);
  // A large backlog so bursts of connects (2,000 idle ones) are never dropped by the listen queue.
  server.listen({ host, port: 0, backlog: 4096 });
  await once(server, 'listening');
  return server;
}

function portOf(server: net.Server): number {
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no TCP address');
  return address.port;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { host: { type: 'string' } } });
  const host = values.host ?? '127.20.0.10';
  let sinkBytes = 0;
  const sinkSockets = new Set<net.Socket>();
  const echoSockets = new Set<net.Socket>();

  const sink = await listen(host, (s) => {
    sinkSockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sinkSockets.delete(s));
    s.on('data', (chunk: Buffer) => {
      sinkBytes += chunk.length;
    });
    s.on('end', () => s.end());
  });

  const onEcho = (s: net.Socket) => {
    echoSockets.add(s);
    s.setNoDelay(true);
    s.on('error', () => {});
    s.on('close', () => echoSockets.delete(s));
    // A plain handler instead of s.pipe(s): less per-message work in the
    // backend, which shares the 2 CPUs with the client and the proxy.
    s.on('data', (chunk: Buffer) => {
      if (!s.write(chunk)) {
        s.pause();
        s.once('drain', () => s.resume());
      }
    });
    s.on('end', () => s.end());
  };
  const echo = await listen(host, onEcho);
  // A second echo port: a provider's services may not share a backend port, and (e) needs its own service.
  const echo2 = await listen(host, onEcho);

  exitWithParent('dataplane-backend', async () => {
    for (const s of [...sinkSockets, ...echoSockets]) s.destroy();
    await Promise.all(
      [sink, echo, echo2].map((srv) => new Promise<void>((resolve) => srv.close(() => resolve()))),
    );
  });

  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() !== 'stats') return;
    const stats: BackendStats = { sinkBytes, sinkSockets: sinkSockets.size, echoSockets: echoSockets.size };
    process.stdout.write(`${JSON.stringify(stats)}\n`);
  });

  const ready: BackendReady = {
    pid: process.pid,
    sinkPort: portOf(sink),
    echoPort: portOf(echo),
    echo2Port: portOf(echo2),
  };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
}

main().catch((err: unknown) => {
  console.error('dataplane-backend:', err);
  process.exit(1);
});
