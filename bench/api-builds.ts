// Two or more builds of vpcep side by side: the GET of one endpoint (or
// one endpoint service) on each, interleaved with a bare fastify route, round
// after round, so that what one change is worth can be told apart from how
// fast this machine happens to be at the moment (on a shared virtual machine
// the bare route alone moves by 2x from one minute to the next).
//
// Usage:
//   npm run build                                  # this checkout's dist/
//   git worktree add /tmp/before <commit> && (cd /tmp/before && npm ci && npm run build)
//   node --import tsx bench/api-builds.ts --build /tmp/before/dist/main.js --build dist/main.js \
//        [--rounds 6] [--duration 3] [--connections 50] [--database postgres://…]
//        [--resource endpoint|service] [--auth token|aksk]
//
//   --build PATH     a built main.js (two or more; the first is the baseline)
//   --rounds N       rounds (default 6); the order of the builds alternates
//   --duration N     seconds per case and round (default 3)
//   --connections N  keep-alive connections, pipelining 1 (default 50)
//   --database URL   a PostgreSQL server to make a fresh database on per build;
//                    default: temporary SQLite files
//   --resource R     GET one endpoint (default) or one endpoint service
//   --auth A         X-Auth-Token (default) or an AK/SK signature made once by the
//                    official signer and sent again (inside its 15-minute window)
//
// Each build runs as bench/support/vpcep-api-child.ts --main PATH (its default
// configuration: log and metrics as shipped), migrating its own database. Per
// round it prints req/s and the server process's CPU per request (from /proc)
// for the bare route and each build, and each build's req/s ÷ the baseline's;
// at the end the median of those ratios. Any non-2xx answer fails the run.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_ACCOUNT } from './support/account.ts';
import { harness, spawnBare, spawnVpcep } from './support/api-speed-children.ts';
import { postgresDatabases, sqliteDatabases } from './support/bench-databases.ts';
import { cpuMsOf } from './support/dataplane-proc.ts';
import { reportFailures } from './support/harness.ts';
import { signed } from './support/bench-signing.ts';
import { login } from './support/login.ts';
import { fmtInt, median, positiveInt, table } from './support/report.ts';

interface Case {
  label: string;
  url: string;
  headers: Record<string, string>;
  pid: number;
}

function readOptions() {
  const { values } = parseArgs({
    options: {
      build: { type: 'string', multiple: true },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      connections: { type: 'string' },
      database: { type: 'string' },
      resource: { type: 'string' },
      auth: { type: 'string' },
    },
  });
  const resource = values.resource ?? 'endpoint';
  if (resource !== 'endpoint' && resource !== 'service') {
    throw new Error(`--resource must be endpoint or service, got '${resource}'`);
  }
  const auth = values.auth ?? 'token';
  if (auth !== 'token' && auth !== 'aksk') throw new Error(`--auth must be token or aksk, got '${auth}'`);
  const builds = (values.build ?? []).map((p) => resolve(p));
  if (builds.length < 2) throw new Error('give two or more --build PATH (a built main.js each)');
  const database = values.database;
  if (database !== undefined && !/^postgres(ql)?:\/\//.test(database)) {
    throw new Error(`--database must be a postgres://… URL, got '${database}'`);
  }
  return {
    builds,
    rounds: positiveInt('--rounds', values.rounds, 6, 100),
    duration: positiveInt('--duration', values.duration, 3, 600),
    connections: positiveInt('--connections', values.connections, 50, 1000),
    database,
    resource,
    auth,
  };
}

harness.handleSignals();
harness.run(async () => {
  const opts = readOptions();
  const databases = opts.database ? postgresDatabases(opts.database) : sqliteDatabases();
  harness.deadline(
    (opts.rounds * (opts.builds.length + 1) * (opts.duration + 25) + 300) * 1000,
    () => void databases.cleanup(),
  );
  const failures: string[] = [];
  try {
    const bareUrl = await spawnBare();
    const bareProc = [...harness.children][0];
    if (bareProc?.pid === undefined) throw new Error('the bare server has no pid');
    const cases: Case[] = [{ label: 'bare', url: `${bareUrl}/bare`, headers: {}, pid: bareProc.pid }];
    for (const [i, main] of opts.builds.entries()) {
      const label = `build ${i + 1}`;
      const child = await spawnVpcep({ silent: false }, label, await databases.fresh(`b${i + 1}`), 1, main);
      if (child.proc.pid === undefined) throw new Error(`${label} has no pid`);
      const path =
        opts.resource === 'endpoint'
          ? `/v1/${BENCH_ACCOUNT.project.id}/vpc-endpoints/${child.ready.endpointId}`
          : `/v1/${BENCH_ACCOUNT.project.id}/vpc-endpoint-services/${child.ready.serviceId}`;
      const sent =
        opts.auth === 'token'
          ? { path, headers: { 'x-auth-token': await login(child.ready.url) } }
          : await signed(child.ready.url, 'GET', path);
      cases.push({
        label,
        url: `${child.ready.url}${sent.path}`,
        headers: sent.headers,
        pid: child.proc.pid,
      });
    }
    console.log(`builds (${databases.label}):`);
    for (const [i, main] of opts.builds.entries()) console.log(`  build ${i + 1}: ${main}`);
    const load = (c: Case, seconds: number) =>
      harness.load({ url: c.url, method: 'GET', headers: c.headers, connections: opts.connections, seconds });
    for (const c of cases) await load(c, 1);

    const builds = cases.slice(1);
    const ratios: number[][] = builds.map(() => []);
    const rows: string[][] = [
      [
        'round',
        ...cases.flatMap((c) => [`${c.label} req/s`, 'µs CPU']),
        ...builds.slice(1).map((b) => `${b.label} ÷ 1`),
      ],
    ];
    for (let round = 1; round <= opts.rounds; round++) {
      harness.checkInterrupted();
      // The builds' order alternates, so neither always runs right after the bare route.
      const order = round % 2 === 1 ? builds : [...builds].reverse();
      const rps = new Map<Case, number>();
      const cpu = new Map<Case, number>();
      for (const c of [cases[0]!, ...order]) {
        const before = cpuMsOf(c.pid);
        const m = await load(c, opts.duration);
        if (m.bad > 0) failures.push(`${c.label}, round ${round}: ${m.detail}`);
        rps.set(c, m.rps);
        cpu.set(c, m.total > 0 ? ((cpuMsOf(c.pid) - before) * 1000) / m.total : 0);
      }
      const base = rps.get(builds[0]!) ?? 0;
      builds.forEach((b, i) => ratios[i]!.push(base > 0 ? (rps.get(b) ?? 0) / base : 0));
      rows.push([
        String(round),
        ...cases.flatMap((c) => [fmtInt(rps.get(c) ?? 0), fmtInt(cpu.get(c) ?? 0)]),
        ...builds.slice(1).map((b) => (base > 0 ? ((rps.get(b) ?? 0) / base).toFixed(2) : '-')),
      ]);
    }
    console.log(
      `\n${opts.auth === 'token' ? 'token' : 'AK/SK'} GET of one ${opts.resource}, ${opts.connections} connections, ${opts.duration} s per case and round`,
    );
    console.log(table(rows, 1));
    for (const [i, b] of builds.entries()) {
      if (i === 0) continue;
      console.log(`${b.label} ÷ build 1, req/s: median of the rounds ${median(ratios[i]!).toFixed(2)}`);
    }
  } finally {
    await harness.stopChildren();
    await databases.cleanup();
  }
  reportFailures(failures, ': a build answered something other than 200');
});
