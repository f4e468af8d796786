// What vpcep's data plane costs, in one run on loopback, against a direct
// connection and Debian's haproxy (`mode tcp`), with as many threads on both
// sides: vpcep with 1 forwarding worker beside haproxy `nbthread 1`, and vpcep
// in its default configuration (one worker per core, N) beside `nbthread N`.
//
//   a. bulk TCP throughput, MB/s (10^6 B) received by a discarding backend
//      from a few parallel streams;
//   b. new connections/s: connect, send 32 B, read the echo, close, at a
//      fixed concurrency;
//   c. p50/p99 of 64-byte request/response round trips on one persistent
//      connection, absolute and added to the direct path;
//   s. the same round trips while another process (at nice 19: it stands in
//      for API clients elsewhere) keeps the API busy with large list
//      responses, against the API idle (added p99 ÷ added p99), in rounds;
//   d. RSS of the forwarding processes while N idle connections through one
//      endpoint open in steps, checked open end to end by the backend's count
//      (vpcep: the data plane's supervisor and workers, summed); per
//      connection: the slope of RSS over the steps, without what a process
//      grows by once;
//   e. time from the API answering a connection accept to the endpoint's
//      listener accepting connections (the service promises < 500 ms);
//   r. RSS of a data-plane-only node (`--roles dataplane`), idle: its main
//      process, its supervisor and each worker;
//   n. namespaces mode ÷ loopback mode, bulk and new connections/s, when this
//      machine can run namespaces mode (root, iproute2, nftables), after
//      everything above has stopped (bench/support/netns-comparison.ts).
// It ends with the goals of the data plane's second generation, measured.
//
// Usage:
//   node --import tsx bench/dataplane.ts [--seconds 3] [--quick] [--streams 4]
//        [--concurrency 32] [--idle 2000] [--samples 5] [--dist DIR]
//        [--storm-endpoints 200] [--storm-concurrency 4] [--storm-rounds 3]
//        [--storm-client-nice 19]
//
//   --seconds N      measured seconds per figure and path (default 3; --quick: 1)
//   --quick          smoke run: 1 s phases, shorter warm-ups, 3 accept samples
//   --streams N      parallel streams for (a) (default 4)
//   --concurrency N  connections in flight for (b) (default 32)
//   --idle N         idle connections held at the end of (d) (default and most 8000)
//   --samples N      accepts timed for (e) (default 5)
//   --dist DIR       run the servers from a build (DIR/cli/main.js); default: dist/ in
//                    the repository when it holds one, else the TypeScript sources (tsx)
//   --storm-endpoints N    endpoints the storm's list returns (default 200)
//   --storm-concurrency N  list requests in flight during (s) (default 4)
//   --storm-rounds N       rounds of (API idle, API storm) for (s); the figure is the median
//                          of their ratios (default 3; --quick: 1)
//   --storm-client-nice N  nice value of the storm's client, 0–19 (default 19: it stands in
//                          for API clients on other machines and takes only the CPU left;
//                          0 lets it compete with the proxy for this machine's cores)
//
// Processes: this one is the client (load generator); the backend runs in
// bench/support/dataplane-backend.ts, the storm client in
// bench/support/dataplane-storm.ts; the proxies are `vpcep serve --config …`
// (the real CLI, SQLite in a temp dir; node gets --expose-gc and preloads
// bench/support/dataplane-gc-hook.ts, which the data plane's processes inherit
// and which only acts on SIGUSR2 so that (d) and (r) can read RSS after full
// GCs) and /usr/sbin/haproxy. All of them share the machine's CPUs, so each
// figure is printed with the CPU each process used in its window (/proc
// utime+stime) and the bound that suggests. Nothing is asserted on timings; a
// path that fails to carry traffic makes the exit code 1. Every child stops
// when this process ends, however it ends; a deadline ends a stuck run.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { haproxyPath, haproxyVersion } from '../test/support/haproxy.ts';
import { passwordToken, testAccount } from '../test/support/server.ts';
import {
  killChildrenNow,
  ROOT,
  startBackend,
  startStorm,
  startVpcep,
  stopChildren,
  type ServerForm,
  type VpcepProcess,
} from './support/dataplane-children.ts';
import { startHaproxyPaths, type HaproxyPaths } from './support/dataplane-haproxy.ts';
import { ClientAddresses } from './support/dataplane-load.ts';
import {
  IDLE_STEPS,
  idlePhase,
  measureFigure,
  stormPhase,
  type PathDef,
} from './support/dataplane-phases.ts';
import { machineSample, machineUse, rssKiB } from './support/dataplane-proc.ts';
import {
  cpuTable,
  figuresTable,
  goalsTable,
  idleTable,
  ratioLines,
  rssLine,
  stormFigure,
  stormRoundReport,
  type DataplaneRss,
  type GoalInputs,
  type IdleResult,
  type PathResults,
  type StormResult,
} from './support/dataplane-report.ts';
import { namespacesFigure } from './support/netns-comparison.ts';
import { fmtInt, fmtLoad, intInRange, positiveInt } from './support/report.ts';
import {
  acceptToListen,
  connectApi,
  createEndpointAt,
  createListedEndpoints,
  createTcpService,
  waitForwarding,
  writeConfig,
  type Api,
} from './support/dataplane-setup.ts';

const BACKEND_IP = '127.20.0.10';
/** The endpoints of the default server (N workers) and of the one-worker server. */
const ENDPOINT_N = '127.30.0.150';
const ENDPOINT_1 = '127.30.0.170';
/** Endpoints for (e): 127.30.0.151 and up. */
const ACCEPT_IP_BASE = 151;
const HAPROXY_BINDS = { 1: '127.0.0.80', N: '127.0.0.81' } as const;
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
      dist: { type: 'string' },
      'storm-endpoints': { type: 'string' },
      'storm-concurrency': { type: 'string' },
      'storm-rounds': { type: 'string' },
      'storm-client-nice': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(
      'usage: node --import tsx bench/dataplane.ts [--seconds N] [--quick] [--streams N] [--concurrency N] ' +
        '[--idle N] [--samples N] [--dist DIR] [--storm-endpoints N] [--storm-concurrency N] ' +
        '[--storm-rounds N] [--storm-client-nice N]',
    );
    process.exit(0);
  }
  const quick = values.quick === true;
  const dist =
    values.dist ?? (existsSync(join(ROOT, 'dist', 'cli', 'main.js')) ? join(ROOT, 'dist') : undefined);
  if (dist !== undefined && !existsSync(join(dist, 'cli', 'main.js')))
    throw new Error(`${dist}/cli/main.js not found`);
  return {
    quick,
    seconds: positiveInt('seconds', values.seconds, quick ? 1 : 3, 60),
    warmupMs: quick ? 200 : 500,
    streams: positiveInt('streams', values.streams, 4, 64),
    concurrency: positiveInt('concurrency', values.concurrency, 32, 512),
    idle: positiveInt('idle', values.idle, 8000, 8000),
    samples: positiveInt('samples', values.samples, quick ? 3 : 5, 20),
    dist: dist === undefined ? undefined : resolve(dist),
    stormEndpoints: positiveInt('storm-endpoints', values['storm-endpoints'], 200, 240),
    stormConcurrency: positiveInt('storm-concurrency', values['storm-concurrency'], 4, 64),
    stormRounds: positiveInt('storm-rounds', values['storm-rounds'], quick ? 1 : 3, 20),
    stormClientNice: intInRange('storm-client-nice', values['storm-client-nice'], 19, 0, 19),
    namespaceRounds: quick ? 1 : 3,
  };
}

/** A vpcep server with its API, one endpoint in front of the backend's sink and echo ports. */
async function serverWithEndpoint(
  dir: string,
  form: ServerForm,
  settings: Parameters<typeof writeConfig>[1],
  ip: string,
  backend: { sinkPort: number; echoPort: number },
): Promise<{ vpcep: VpcepProcess; api: Api; configFile: string }> {
  mkdirSync(dir, { recursive: true });
  const configFile = writeConfig(dir, settings);
  const vpcep = await startVpcep(configFile, form);
  const api = await connectApi(vpcep.url);
  const service = await createTcpService(
    api,
    [
      { client_port: EP_SINK_PORT, server_port: backend.sinkPort },
      { client_port: EP_ECHO_PORT, server_port: backend.echoPort },
    ],
    false,
  );
  const ep = await createEndpointAt(api, service, ip);
  if (ep.status !== 'accepted') throw new Error(`endpoint ${ep.id} is ${ep.status}, expected accepted`);
  await waitForwarding(ip, EP_ECHO_PORT, clients.next());
  return { vpcep, api, configFile };
}

/** RSS of a process and of its data plane (supervisor first), after full GCs when the hooks answer. */
async function dataplaneRss(vpcep: VpcepProcess): Promise<DataplaneRss> {
  const [supervisor, ...workers] = vpcep.dataplanePids();
  const all = [vpcep.pid, ...(supervisor === undefined ? [] : [supervisor]), ...workers];
  const gc = await vpcep.collectGarbage(all).catch(() => false);
  await sleep(200);
  return {
    main: rssKiB(vpcep.pid),
    supervisor: supervisor === undefined ? undefined : rssKiB(supervisor),
    workers: workers.map(rssKiB),
    gc,
  };
}

async function main(): Promise<void> {
  const opts = readOptions();
  const haproxyBin = haproxyPath();
  if (haproxyBin === undefined) throw new Error('haproxy not found (apt-get install haproxy)');
  const dir = mkdtempSync(join(tmpdir(), 'vpcep-bench-dataplane-'));
  const form: ServerForm = { dist: opts.dist, scratch: dir };
  const n = availableParallelism();
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
  const budgetS =
    300 +
    5 * 3 * (opts.seconds + 8) +
    opts.stormRounds * 4 * (opts.seconds + 2) +
    // n.: two servers' setup, then a bulk and a rate window per mode and round.
    120 +
    opts.namespaceRounds * 2 * (2 * opts.seconds + 10);
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
  let goals: GoalInputs | undefined;
  try {
    const backend = await startBackend(BACKEND_IP);
    const base = {
      maxConnections: Math.max(5000, opts.idle + 1000),
      endpointQuota: opts.stormEndpoints + 100,
    };
    // The default configuration (one worker per core), and the same with one worker.
    const nServer = await serverWithEndpoint(join(dir, 'n'), form, base, ENDPOINT_N, backend);
    const oneServer =
      n === 1
        ? nServer
        : await serverWithEndpoint(join(dir, '1'), form, { ...base, workers: 1 }, ENDPOINT_1, backend);
    const backendRef = { host: BACKEND_IP, sink: backend.sinkPort, echo: backend.echoPort };
    for (const [key, threads] of n === 1
      ? ([['1', 1]] as const)
      : ([
          ['1', 1],
          ['N', n],
        ] as const)) {
      const h = await startHaproxyPaths(threads, HAPROXY_BINDS[key], backendRef);
      haproxies.push(h);
      await waitForwarding(h.bind, h.echoPort, clients.next());
    }
    // The approval service of (e), whose pending endpoints also fill the storm's list.
    const approval = await createTcpService(
      nServer.api,
      [{ client_port: ACCEPT_PORT, server_port: backend.echo2Port }],
      true,
    );
    await createListedEndpoints(nServer.api, approval, opts.stormEndpoints);

    const vpcepPath = (
      key: 'vpcep1' | 'vpcepN',
      label: string,
      ip: string,
      server: VpcepProcess,
    ): PathDef => ({
      key,
      label,
      sink: { host: ip, port: EP_SINK_PORT },
      echo: { host: ip, port: EP_ECHO_PORT },
      proxyPids: () => server.dataplanePids(),
    });
    const direct: PathDef = {
      key: 'direct',
      label: 'direct',
      sink: { host: BACKEND_IP, port: backend.sinkPort },
      echo: { host: BACKEND_IP, port: backend.echoPort },
    };
    const paths: PathDef[] = [
      direct,
      vpcepPath('vpcep1', 'vpcep 1 worker', ENDPOINT_1, oneServer.vpcep),
      ...(n === 1 ? [] : [vpcepPath('vpcepN', `vpcep ${n} workers`, ENDPOINT_N, nServer.vpcep)]),
      ...haproxies.map((h, i): PathDef => ({
        key: i === 0 ? 'haproxy1' : 'haproxyN',
        label: `haproxy nbthread=${i === 0 ? 1 : n}`,
        sink: { host: h.bind, port: h.sinkPort },
        echo: { host: h.bind, port: h.echoPort },
        proxyPids: () => [h.running.pid],
      })),
    ];
    const nPath = paths.find((p) => p.key === (n === 1 ? 'vpcep1' : 'vpcepN'))!;

    console.log(
      `node ${process.version}, ${n} CPU (${cpus()[0]?.model.trim() ?? '?'}), load average ${fmtLoad()}`,
    );
    console.log(`${haproxyVersion(haproxyBin)}`);
    console.log(
      `vpcep from ${opts.dist === undefined ? 'the TypeScript sources (tsx)' : `the build in ${opts.dist}`}; ` +
        `default server pid ${nServer.vpcep.pid} (data plane ${nServer.vpcep.dataplanePids().join(', ')}), ` +
        `1-worker server pid ${oneServer.vpcep.pid} (data plane ${oneServer.vpcep.dataplanePids().join(', ')}); ` +
        `backend pid ${backend.pid}, client pid ${process.pid}; ` +
        `haproxy ${haproxies.map((h, i) => `nbthread=${i === 0 ? 1 : n} pid ${h.running.pid}`).join(', ')}`,
    );
    console.log(
      `endpoints ${ENDPOINT_N} / ${ENDPOINT_1}:${EP_SINK_PORT}/${EP_ECHO_PORT} tcp_proxy=close; backend ` +
        `${BACKEND_IP}:${backend.sinkPort} (sink) / ${backend.echoPort} (echo); ${opts.seconds} s measured ` +
        `per figure and path after ${opts.warmupMs} ms warm-up`,
    );
    // Anything else running on the machine skews every figure: say how busy it is before we start.
    const m0 = machineSample();
    await sleep(1000);
    const idleBusy = machineUse(m0, machineSample());
    console.log(
      `machine busy before the run: ${idleBusy.busy.toFixed(0)}% of ${n * 100}%` +
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
      '\nCPU per measured window, % of one core (2 cores = 200%). proxy = every process that forwards ' +
        '(vpcep: the supervisor and its workers). Machine busy includes softirq time (loopback TCP), ' +
        'which no process is charged for; other% is CPU of processes outside the bench; proxy threads% ' +
        'lists each proxy thread above 2%, busiest first.',
    );
    console.log(cpuTable(results));

    // s. latency while the API builds large lists for another client.
    const token = await passwordToken(nServer.vpcep.url, testAccount('consumer', nServer.vpcep.url));
    const listPath = `/v1/${testAccount('consumer', nServer.vpcep.url).projectId}/vpc-endpoints?limit=1000`;
    // Rounds of (API idle, API storm): a p99 of a few seconds moves with single slow windows.
    const storms: StormResult[] = [];
    for (let round = 1; round <= opts.stormRounds; round++) {
      const storm = await stormPhase(
        opts,
        {
          direct,
          vpcep: nPath,
          apiPid: nServer.vpcep.pid,
          start: () =>
            startStorm(nServer.vpcep.url, token, listPath, opts.stormConcurrency, opts.stormClientNice),
        },
        clients,
      );
      storms.push(storm);
      console.log(
        stormRoundReport(storm, {
          round,
          rounds: opts.stormRounds,
          path: nPath.label,
          concurrency: opts.stormConcurrency,
          endpoints: opts.stormEndpoints,
          clientNice: opts.stormClientNice,
          cores: n,
        }),
      );
    }
    const figure = stormFigure(storms);
    console.log(
      `s. median of the ${storms.length} rounds: ${figure === undefined ? '-' : figure.toFixed(2)}×`,
    );

    // e. accept → listening.
    const ips = Array.from({ length: opts.samples }, (_, i) => `127.30.0.${ACCEPT_IP_BASE + i}`);
    const accepts = await acceptToListen(nServer.api, approval, ips, ACCEPT_PORT, clients);
    const ms = accepts.map((a) => a.listenMs).sort((x, y) => x - y);
    console.log(`\ne. accept answered → endpoint listener accepting (promise: < 500 ms)`);
    console.log(
      `  ${accepts.map((a) => `${a.listenMs.toFixed(1)} ms`).join(', ')}  ` +
        `(median ${ms[Math.floor(ms.length / 2)]!.toFixed(1)}, max ${ms[ms.length - 1]!.toFixed(1)} ms; ` +
        `the receive call itself took ${accepts.map((a) => a.apiMs.toFixed(0)).join('/')} ms; ` +
        `connect attempts ${accepts.map((a) => a.attempts).join('/')})`,
    );

    // d. idle connections, late: its forced GCs leave V8 busier afterwards, so no
    // throughput is measured after them. Readings after full GCs do not depend on
    // what the processes did before.
    console.log(
      `\nd. RSS while ${fmtInt(opts.idle)} idle connections through one endpoint / frontend open in ` +
        `${IDLE_STEPS} steps (per connection: the slope of RSS from the first step to the last, what one ` +
        `more idle connection costs; the first step also holds a process's one-time growth)`,
    );
    const idle: IdleResult[] = [];
    for (const p of paths) {
      if (p.key === 'direct' || p.proxyPids === undefined) continue;
      const server = p.key === 'vpcep1' ? oneServer.vpcep : p.key === 'vpcepN' ? nServer.vpcep : undefined;
      idle.push(
        await idlePhase(backend, p, p.proxyPids(), p.echo, opts.idle, clients, server?.collectGarbage),
      );
    }
    console.log(idleTable(idle));
    for (const r of idle) {
      if (!r.gc && r.key.startsWith('vpcep'))
        console.log(`  (${r.label}: the GC hooks did not answer: RSS is raw)`);
      if (r.opened !== r.count || r.backendSockets < r.count || r.echoed !== r.count) {
        failures.push(
          `${r.label}: ${r.opened} opened, backend saw ${r.backendSockets}, ${r.echoed} echoed of ${r.count}` +
            (r.firstError ? ` (${r.firstError})` : ''),
        );
      }
    }

    // r. a data-plane-only node on the default server's store, idle.
    await nServer.vpcep.stop();
    const dpNode = await startVpcep(nServer.configFile, form, ['--roles', 'dataplane']);
    await waitForwarding(ENDPOINT_N, EP_ECHO_PORT, clients.next());
    await sleep(3000);
    const rss = await dataplaneRss(dpNode);
    console.log(
      `\nr. a data-plane-only node (--roles dataplane) forwarding the default server's endpoints, idle`,
    );
    console.log(`  ${rssLine(rss)}`);

    goals = { paths: results, storm: storms, idle, rss, namespaces: undefined };
  } finally {
    for (const h of haproxies) await h.running.stop();
    await stopChildren();
    rmSync(dir, { recursive: true, force: true });
  }
  if (goals !== undefined) {
    goals.namespaces = await namespacesFigure(
      {
        seconds: opts.seconds,
        streams: opts.streams,
        concurrency: opts.concurrency,
        rounds: opts.namespaceRounds,
      },
      failures,
    );
    console.log(`\ngoals (vpcep's default configuration has ${n} workers)`);
    console.log(goalsTable(goals));
    console.log(`\nload average after ${fmtLoad()}`);
  }
  if (failures.length > 0) {
    console.error('\n!!! BENCH FAILED (a path did not carry all its traffic, or figure n. failed):');
    for (const f of failures) console.error(`!!!   ${f}`);
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  console.error('bench failed:', err);
  process.exitCode = 1;
});
