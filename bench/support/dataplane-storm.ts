// The API storm of bench/dataplane.ts: a client in a process of its own that
// asks the vpcep API for large lists as fast as `--concurrency` keep-alive
// connections allow, reading and discarding every body.
//
//   VPCEP_BENCH_TOKEN=… node --import tsx bench/support/dataplane-storm.ts \
//     --url http://127.0.0.1:PORT --path '/v1/<project>/vpc-endpoints?limit=1000' --concurrency 4 \
//     [--nice 19]
//
// --nice N runs every thread of this process at that nice value before the
// first request: the storm's client stands in for API clients on other
// machines, so on a shared bench machine it should take only CPU that the
// proxy, the backend and the latency client leave (docs/dataplane.md has the
// figure both ways). Raising one's own nice value needs no privilege; a
// thread already above N keeps its value.
//
// Prints "storm ready" once the first response arrived. Each "stats" line on
// stdin is answered by {"requests","bytes","errors"}. Exits when stdin closes.
import { readdirSync } from 'node:fs';
import http from 'node:http';
import { getPriority, setPriority } from 'node:os';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { exitWithParent } from './child-lifetime.ts';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    path: { type: 'string' },
    concurrency: { type: 'string' },
    nice: { type: 'string' },
  },
});
const base = new URL(values.url ?? 'http://127.0.0.1:8080');
const path = values.path ?? '/';
const concurrency = Number(values.concurrency ?? 4);
const token = process.env.VPCEP_BENCH_TOKEN ?? '';
const nice = Number(values.nice ?? 0);

/**
 * On Linux a nice value belongs to a thread, and node's helper threads (V8's
 * platform workers) exist before this line runs: each is set by its id. Threads
 * made later by the main thread inherit its value.
 */
function lowerEveryThread(value: number): void {
  // Never below what a thread has: that would need a privilege (CAP_SYS_NICE).
  for (const tid of readdirSync('/proc/self/task').map(Number)) {
    try {
      setPriority(tid, Math.max(value, getPriority(tid)));
    } catch {
      // The thread ended since the directory was read.
    }
  }
}

if (nice > 0) lowerEveryThread(nice);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

let requests = 0;
let bytes = 0;
let errors = 0;
let stopped = false;
let announced = false;

function once(): Promise<void> {
  return new Promise((resolve) => {
    const req = http.get(
      { host: base.hostname, port: base.port, path, agent, headers: { 'x-auth-token': token } },
      (res) => {
        res.on('data', (c: Buffer) => {
          bytes += c.length;
        });
        res.on('end', () => {
          if (res.statusCode === 200) requests += 1;
          else errors += 1;
          if (!announced) {
            announced = true;
            process.stdout.write('storm ready\n');
          }
          resolve();
        });
        res.on('error', () => {
          errors += 1;
          resolve();
        });
      },
    );
    req.on('error', () => {
      errors += 1;
      // Do not spin on a server that refuses everything.
      setTimeout(resolve, 10);
    });
  });
}

async function loop(): Promise<void> {
  while (!stopped) await once();
}

exitWithParent('dataplane-storm', async () => {
  stopped = true;
  agent.destroy();
});
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'stats') process.stdout.write(`${JSON.stringify({ requests, bytes, errors })}\n`);
});
for (let i = 0; i < concurrency; i++) void loop();
