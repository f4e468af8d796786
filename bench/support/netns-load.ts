// The load generator of bench/support/netns-comparison.ts, in a process of its own
// so that in namespaces mode it can run as a consumer's instance (`vpcep exec`).
//
//   node --import tsx bench/support/netns-load.ts --host IP --sink-port N --echo-port N \
//        --client IP [--seconds 3] [--streams 4] [--concurrency 32]
//
// Waits until the endpoint answers, then runs bulk TCP (to the sink) and new
// connections/s (to the echo). Prints {"mark":"bulk","edge":"start"|"end"} as
// the bulk window opens and closes (the parent reads the bytes the backend
// received at those moments), and a last line {"rate":…,"bulkErrors":…}.
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { bulkThroughput, ClientAddresses, connectionRate, type Phase } from './dataplane-load.ts';

const { values } = parseArgs({
  options: {
    host: { type: 'string' },
    'sink-port': { type: 'string' },
    'echo-port': { type: 'string' },
    client: { type: 'string' },
    seconds: { type: 'string', default: '3' },
    streams: { type: 'string', default: '4' },
    concurrency: { type: 'string', default: '32' },
  },
});
const host = values.host ?? '';
const sink = { host, port: Number(values['sink-port']) };
const echo = { host, port: Number(values['echo-port']) };
const clients = new ClientAddresses([values.client ?? '']);
const measureMs = Number(values.seconds) * 1000;

const print = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');
const phase = (name: string): Phase => ({
  warmupMs: 1000,
  measureMs,
  mark: (edge) => print({ mark: name, edge }),
});

async function answers(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ ...echo, localAddress: values.client });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

const deadline = Date.now() + 30_000;
while (!(await answers())) {
  if (Date.now() > deadline) throw new Error(`${echo.host}:${echo.port} does not answer`);
  await sleep(100);
}
const bulk = await bulkThroughput(sink, Number(values.streams), phase('bulk'), clients, () =>
  Promise.resolve(0),
);
await sleep(500);
const rate = await connectionRate(echo, Number(values.concurrency), phase('rate'), clients);
print({ rate: rate.perS, rateErrors: rate.errors, bulkErrors: bulk.errors });
process.exit(0);
