// What vpcep's data plane costs, in one run on loopback, for three paths to the
// same backend: (1) direct client→backend, (2) through a vpcep endpoint, (3)
// through haproxy `mode tcp` (nbthread 1, and nbthread 2 as an extra row):
//
//   a. bulk TCP throughput, MB/s (10^6 B) received by a discarding backend
//      from a few parallel streams;
//   b. new connections/s: connect, send 32 B, read the echo, close, at a
//      fixed concurrency;
//   c. p50/p99 of 64-byte request/response round trips on one persistent
//      connection, absolute and added to the direct path;
//   d. RSS of the vpcep server (and of haproxy) holding N idle connections
//      through one endpoint, checked open end to end by the backend's count;
//   e. time from the API answering a connection accept to the endpoint's
//      listener accepting connections (the service promises < 500 ms).
//
// Usage:
//   node --import tsx bench/dataplane.ts [--seconds 3] [--quick] [--streams 4]
//        [--concurrency 32] [--idle 2000] [--samples 5] [--no-haproxy2]
//
//   --seconds N      measured seconds per figure and path (default 3; --quick: 1)
//   --quick          smoke run: 1 s phases, shorter warm-ups, 3 accept samples
//   --streams N      parallel streams for (a) (default 4)
//   --concurrency N  connections in flight for (b) (default 32)
//   --idle N         idle connections for (d) (default 2000)
//   --samples N      accepts timed for (e) (default 5)
//   --no-haproxy2    skip the haproxy nbthread 2 row
//
// Processes: this one is the client (load generator); the backend runs in
// bench/support/dataplane-backend.ts; the proxy is `vpcep serve --config …`
// (the real CLI, SQLite in a temp dir; node gets --expose-gc and preloads
// bench/support/dataplane-gc-hook.ts, which only acts on SIGUSR2 so that (d)
// can read RSS after full GCs) or /usr/sbin/haproxy. All three share
// the machine's CPUs, so each figure is printed with the CPU each process used
// in its window (/proc utime+stime) and the bound that suggests. Nothing is
// asserted on timings; a path that fails to carry traffic (errors, idle
// connections not all open) makes the exit code 1. Every child stops when
// this process ends, however it ends; a deadline ends a stuck run.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { haproxyPath, haproxyVersion } from '../test/support/haproxy.ts';
import { killChildrenNow, startBackend, startVpcep, stopChildren } from './support/dataplane-children.ts';
import { startHaproxyPaths, type HaproxyPaths } from './support/dataplane-haproxy.ts';
import { ClientAddresses } from './support/dataplane-load.ts';
import { idlePhase, measureFigure, type PathDef } from './support/dataplane-phases.ts';
import { machineSample, machineUse } from './support/dataplane-proc.ts';
import {
  cpuTable,
  figuresTable,
  idleTable,
  ratioLines,
  type IdleResult,
  type PathResults,
} from './support/dataplane-report.ts';
import { fmtInt, fmtLoad, positiveInt } from './support/report.ts';
import {
  acceptToListen,
  connectApi,
  createEndpointAt,
  createTcpService,
  waitForwarding,
  writeConfig,
} from './support/dataplane-setup.ts';

const BACKEND_IP = '127.20.0.10';
const ENDPOINT_IP = '127.30.0.150';
/** Endpoints for (e): 127.30.0.151 and up. */
const ACCEPT_IP_BASE = 151;
const HAPROXY_BINDS = { 1: '127.0.0.80', 2: '127.0.0.81' } as const;
const EP_SINK_PORT = 9001;
const EP_ECHO_PORT = 9002;
const ACCEPT_PORT = 9003;
/** Clients bind 127.30.0.10–49: inside the consumer subnet, outside every address used above. */
const clients = new ClientAddresses(Array.from({ length: 40 }, (_, i) => `127.30.0.${10 + i}`));

function readOptions() {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string' },
      quick: { type: 'boolean' },
      streams: { type: 'string' },
      concurrency: { type: 'string' },
      idle: { type: 'string' },
      samples: { type: 'string' },
      'no-haproxy2': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(
      'usage: node --import tsx bench/dataplane.ts [--seconds N] [--quick] [--streams N] ' +
        '[--concurrency N] [--idle N] [--samples N] [--no-haproxy2]',
    );
    process.exit(0);
  }
  const quick = values.quick === true;
  return {
    quick,
    seconds: positiveInt('seconds', values.seconds, quick ? 1 : 3, 60),
    warmupMs: quick ? 200 : 500,
    streams: positiveInt('streams', values.streams, 4, 64),
    concurrency: positiveInt('concurrency', values.concurrency, 32, 512),
    idle: positiveInt('idle', values.idle, 2000, 8000),
    samples: positiveInt('samples', values.samples, quick ? 3 : 5, 20),
    haproxy2: values['no-haproxy2'] !== true,
  };
}
async function main(): Promise<void> {
  const opts = readOptions();
  const haproxyBin = haproxyPath();
  if (haproxyBin === undefined) throw new Error('haproxy not found (apt-get install haproxy)');
  const dir = mkdtempSync(join(tmpdir(), 'vpcep-bench-dataplane-'));
  const haproxies: HaproxyPaths[] = [];
  // Synchronous last resort for any way out (process.exit from the deadline or a
  // signal, an uncaught error): haproxy registers its own equivalent.
  process.once('exit', () => {
    killChildrenNow();
    for (const h of haproxies) {
      try {
        process.kill(h.running.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      // stop() would remove haproxy's temp dir, but cannot run here (it is async).
      rmSync(dirname(h.running.configPath), { recursive: true, force: true });
    }
    rmSync(dir, { recursive: true, force: true });
  });
  const budgetS = 150 + 4 * 3 * (opts.seconds + 8);
  setTimeout(() => {
    console.error(`bench: still running after ${budgetS} s, killing everything`);
    process.exit(1);
  }, budgetS * 1000).unref();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      console.error(`\n${sig}: stopping`);
      process.exit(130);
    });
  }

  const failures: string[] = [];
  try {
    const backend = await startBackend(BACKEND_IP);
    const vpcep = await startVpcep(writeConfig(dir, Math.max(5000, opts.idle + 1000)));
    const api = await connectApi(vpcep.url);
    const mainService = await createTcpService(
      api,
      [
        { client_port: EP_SINK_PORT, server_port: backend.sinkPort },
        { client_port: EP_ECHO_PORT, server_port: backend.echoPort },
      ],
      false,
    );
    const ep = await createEndpointAt(api, mainService, ENDPOINT_IP);
    if (ep.status !== 'accepted') throw new Error(`endpoint ${ep.id} is ${ep.status}, expected accepted`);
    await waitForwarding(ENDPOINT_IP, EP_ECHO_PORT, clients.next());
    const backendRef = { host: BACKEND_IP, sink: backend.sinkPort, echo: backend.echoPort };
    for (const n of opts.haproxy2 ? ([1, 2] as const) : ([1] as const)) {
      const h = await startHaproxyPaths(n, HAPROXY_BINDS[n], backendRef);
      haproxies.push(h);
      await waitForwarding(h.bind, h.echoPort, clients.next());
    }

    const paths: PathDef[] = [
      {
        key: 'direct',
        label: 'direct',
        sink: { host: BACKEND_IP, port: backend.sinkPort },
        echo: { host: BACKEND_IP, port: backend.echoPort },
      },
      {
        key: 'vpcep',
        label: 'vpcep',
        sink: { host: ENDPOINT_IP, port: EP_SINK_PORT },
        echo: { host: ENDPOINT_IP, port: EP_ECHO_PORT },
        proxyPid: vpcep.pid,
      },
      ...haproxies.map((h, i): PathDef => ({
        key: i === 0 ? 'haproxy1' : 'haproxy2',
        label: `haproxy nbthread=${i + 1}`,
        sink: { host: h.bind, port: h.sinkPort },
        echo: { host: h.bind, port: h.echoPort },
        proxyPid: h.running.pid,
      })),
    ];

    console.log(
      `node ${process.version}, ${availableParallelism()} CPU (${cpus()[0]?.model.trim() ?? '?'}), ` +
        `load average ${fmtLoad()}`,
    );
    console.log(`${haproxyVersion(haproxyBin)}`);
    console.log(
      `vpcep pid ${vpcep.pid} (one Node thread forwards; --expose-gc + SIGUSR2 GC hook for d), ` +
        `backend pid ${backend.pid}, client pid ${process.pid}; ` +
        `haproxy ${haproxies.map((h, i) => `nbthread=${i + 1} pid ${h.running.pid}`).join(', ')}`,
    );
    console.log(
      'haproxy runs nbthread=1 to match vpcep’s single forwarding thread; nbthread=2 is an extra row ' +
        '(on 2 CPUs its second thread competes with client and backend).',
    );
    console.log(
      `endpoint ${ENDPOINT_IP}:${EP_SINK_PORT}/${EP_ECHO_PORT} tcp_proxy=close; backend ${BACKEND_IP}:` +
        `${backend.sinkPort} (sink) / ${backend.echoPort} (echo); ${opts.seconds} s measured per figure and ` +
        `path after ${opts.warmupMs} ms warm-up`,
    );

    // Anything else running on the machine skews every figure: say how busy it is before we start.
    const m0 = machineSample();
    await sleep(1000);
    const idleBusy = machineUse(m0, machineSample());
    console.log(
      `machine busy before the run: ${idleBusy.busy.toFixed(0)}% of ${availableParallelism() * 100}%` +
        (idleBusy.busy >= 10 ? ' — other processes are running; figures will be noisy' : ''),
    );

    // a, b, c: figure by figure, every path in turn, so all paths run under the same conditions.
    const results: PathResults[] = paths.map((p) => ({ key: p.key, label: p.label }));
    for (const figure of ['a', 'b', 'c'] as const) {
      for (const [i, p] of paths.entries()) {
        const failure = await measureFigure(figure, p, results[i]!, opts, backend, clients);
        if (failure) failures.push(failure);
      }
    }

    console.log('\na–c. throughput, connection rate and latency');
    console.log(figuresTable(results, opts.streams, opts.concurrency));
    console.log('');
    for (const line of ratioLines(results)) console.log(line);
    console.log(
      '\nCPU per measured window, % of one core (2 cores = 200%). Machine busy includes softirq time ' +
        '(loopback TCP), which no process is charged for; other% is CPU of processes outside the bench; ' +
        'proxy threads% lists each proxy thread above 2%, busiest first.',
    );
    console.log(cpuTable(results));

    // e. accept → listening.
    const approval = await createTcpService(
      api,
      [{ client_port: ACCEPT_PORT, server_port: backend.echo2Port }],
      true,
    );
    const ips = Array.from({ length: opts.samples }, (_, i) => `127.30.0.${ACCEPT_IP_BASE + i}`);
    const accepts = await acceptToListen(api, approval, ips, ACCEPT_PORT, clients);
    const ms = accepts.map((a) => a.listenMs).sort((x, y) => x - y);
    console.log(`\ne. accept answered → endpoint listener accepting (promise: < 500 ms)`);
    console.log(
      `  ${accepts.map((a) => `${a.listenMs.toFixed(1)} ms`).join(', ')}  ` +
        `(median ${ms[Math.floor(ms.length / 2)]!.toFixed(1)}, max ${ms[ms.length - 1]!.toFixed(1)} ms; ` +
        `the receive call itself took ${accepts.map((a) => a.apiMs.toFixed(0)).join('/')} ms; ` +
        `connect attempts ${accepts.map((a) => a.attempts).join('/')})`,
    );

    // d. idle connections, last: its forced GCs leave V8 busier afterwards (4 worker threads
    // at ~18% each during bulk forwarding, throughput down by a third), so nothing is measured
    // after them. Readings after full GCs do not depend on what the process did before.
    console.log(`\nd. RSS with ${fmtInt(opts.idle)} idle connections through one endpoint / frontend`);
    const idle: IdleResult[] = [];
    idle.push(
      await idlePhase(backend, 'vpcep', vpcep.pid, paths[1]!.echo, opts.idle, clients, vpcep.collectGarbage),
    );
    const h1 = haproxies[0];
    if (h1)
      idle.push(
        await idlePhase(backend, 'haproxy nbthread=1', h1.running.pid, paths[2]!.echo, opts.idle, clients),
      );
    console.log(idleTable(idle));
    for (const r of idle) {
      if (!r.gc && r.label === 'vpcep') console.log('  (the GC hook did not answer: vpcep RSS is raw)');
      if (r.opened !== r.count || r.backendSockets < r.count || r.echoed !== r.count) {
        failures.push(
          `${r.label}: ${r.opened} opened, backend saw ${r.backendSockets}, ${r.echoed} echoed of ${r.count}` +
            (r.firstError ? ` (${r.firstError})` : ''),
        );
      }
    }
    console.log(`\nload average after ${fmtLoad()}`);
  } finally {
    for (const h of haproxies) await h.running.stop();
    await stopChildren();
    rmSync(dir, { recursive: true, force: true });
  }
  if (failures.length > 0) {
    console.error('\n!!! BENCH FAILED (a path did not carry all its traffic):');
    for (const f of failures) console.error(`!!!   ${f}`);
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  console.error('bench failed:', err);
  process.exitCode = 1;
});
