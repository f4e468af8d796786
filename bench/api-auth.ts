// What authentication and authorization cost: requests/s of one authenticated
// GET on the real vpcep server, with X-Auth-Token and with an AK/SK signature,
// each as a ratio to a bare fastify route measured in the same run on the same
// machine; and the same two for an IAM user whose every request is checked
// against a custom policy (the account user's never are), as ratios to the
// account user's.
//
// Usage:
//   node --import tsx bench/api-auth.ts [--duration 5] [--connections 50] [--warmup 1]
//                                       [--database postgres://USER:PASS@HOST:PORT/DB]
//
//   --duration N     seconds measured per case and round (default 5)
//   --connections N  concurrent keep-alive connections, pipelining 1 (default 50)
//   --warmup N       seconds of unmeasured load per case before the first round (default 1)
//   --database URL   run vpcep on this database (the bench account is seeded into
//                    it); default: a temporary SQLite file, removed afterwards
//
// Each server runs in a child process of its own (bench/support/serve-child.ts)
// and autocannon drives it from this process. The order bare, token, aksk,
// iam-token, iam-aksk is run twice; the table shows both rounds and the ratios use the better round of each
// case (p50/p99 latency are those of that round). Any non-2xx response, socket
// error or timeout, in warm-up or measurement, makes the run fail (exit code 1).
// The default run takes about 70 s.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { rawRequest, type RawResponse } from '../test/support/http.ts';
import { officialSign } from '../test/support/official-signer.ts';
import { BENCH_ACCOUNT, BENCH_IAM_USER, benchLoginBody } from './support/account.ts';
import { BenchHarness, reportFailures, type Measured } from './support/harness.ts';
import { login } from './support/login.ts';
import { describeResponse, fmtLoad, positiveInt, roundsTable } from './support/report.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CHILD = join(ROOT, 'bench', 'support', 'serve-child.ts');
const ROUNDS = 2;

// ---------------------------------------------------------------- options

function readOptions() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      connections: { type: 'string' },
      warmup: { type: 'string' },
      database: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(
      'usage: node --import tsx bench/api-auth.ts [--duration N] [--connections N] [--warmup N] [--database URL]',
    );
    process.exit(0);
  }
  const database = values.database;
  if (database !== undefined && !/^(sqlite:|postgres(ql)?:\/\/)/.test(database)) {
    throw new Error(`--database must be sqlite:PATH or postgres://…, got '${database}'`);
  }
  return {
    duration: positiveInt('duration', values.duration, 5, 600),
    connections: positiveInt('connections', values.connections, 50, 1000),
    warmup: positiveInt('warmup', values.warmup, 1, 60),
    database,
  };
}

// ---------------------------------------------------------------- child servers

const harness = new BenchHarness();

async function spawnServer(label: string, args: string[]): Promise<string> {
  const { line: url } = await harness.spawnChild(label, CHILD, args, 30_000);
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(url)) throw new Error(`${label} server printed '${url}'`);
  return url;
}

// ---------------------------------------------------------------- the cases

type CaseName = 'bare' | 'token' | 'aksk' | 'iam-token' | 'iam-aksk';

interface Case {
  name: CaseName;
  route: string;
  base: string;
  path: string;
  /** Called before every load run: the headers every request of that run carries. */
  headers: () => Promise<Record<string, string>>;
  /** Checks one real response before any load is sent. */
  check: (res: RawResponse) => string | undefined;
}

interface Route {
  label: string;
  /** The path as the SDK's generated clients write it (`{project_id}` left in place). */
  signPath: string;
  query: Record<string, string>;
  projectId: string | undefined;
  check: (res: RawResponse) => string | undefined;
}

const VPCS_ROUTE: Route = {
  label: 'GET /v1/{project_id}/vpcs',
  signPath: '/v1/{project_id}/vpcs',
  query: {},
  projectId: BENCH_ACCOUNT.project.id,
  check: (res) =>
    Array.isArray((res.json as { vpcs?: unknown } | undefined)?.vpcs) ? undefined : 'no vpcs array',
};

const PROJECTS_ROUTE: Route = {
  label: `GET /v3/projects?name=${BENCH_ACCOUNT.project.name}`,
  signPath: '/v3/projects',
  query: { name: BENCH_ACCOUNT.project.name },
  projectId: undefined,
  check: (res) => {
    const projects = (res.json as { projects?: { id?: string }[] } | undefined)?.projects;
    return projects?.length === 1 && projects[0]?.id === BENCH_ACCOUNT.project.id
      ? undefined
      : 'expected exactly the bench project';
  },
};

/** Prefers GET /v1/{project_id}/vpcs; falls back to /v3/projects while that route does not exist. */
async function chooseRoute(base: string, token: string): Promise<Route> {
  const res = await rawRequest({
    method: 'GET',
    url: `${base}/v1/${BENCH_ACCOUNT.project.id}/vpcs`,
    headers: { 'x-auth-token': token },
  });
  const code = (res.json as { error_code?: string } | undefined)?.error_code;
  if (res.status === 404 && code === 'EndPoint.0005') return PROJECTS_ROUTE;
  if (res.status === 200) return VPCS_ROUTE;
  throw new Error(`GET /v1/{project_id}/vpcs exists but answered ${describeResponse(res)}`);
}

async function signedHeaders(
  base: string,
  route: Route,
  keys: { ak: string; sk: string } = BENCH_ACCOUNT,
): Promise<{ path: string; headers: Record<string, string> }> {
  const wire = await officialSign({
    endpoint: base,
    method: 'GET',
    path: route.signPath,
    query: route.query,
    ak: keys.ak,
    sk: keys.sk,
    ...(route.projectId !== undefined ? { projectId: route.projectId } : {}),
  });
  if (!wire.url.startsWith(base)) throw new Error(`the signer produced an unexpected URL ${wire.url}`);
  return { path: wire.url.slice(base.length), headers: wire.headers };
}

// ---------------------------------------------------------------- report

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const opts = readOptions();
  harness.handleSignals();

  const failures: string[] = [];
  // The temporary SQLite database belongs to this process, so it is removed even
  // if the child dies without cleaning up.
  const tempDir = opts.database === undefined ? mkdtempSync(join(tmpdir(), 'vpcep-bench-')) : undefined;
  const database = opts.database ?? `sqlite:${join(tempDir ?? '', 'vpcep.db')}`;
  harness.deadline((60 + 5 * opts.warmup + ROUNDS * 5 * (opts.duration + 25)) * 1000, () => {
    if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true });
  });

  try {
    const [bareUrl, vpcepUrl] = await Promise.all([
      spawnServer('bare', ['bare']),
      spawnServer('vpcep', ['vpcep', '--database', database]),
    ]);
    const token = await login(vpcepUrl);
    const route = await chooseRoute(vpcepUrl, token);
    const routePath = (await signedHeaders(vpcepUrl, route)).path;

    // Authentication is really enforced on the measured route.
    const anonymous = await rawRequest({ method: 'GET', url: vpcepUrl + routePath });
    if (anonymous.status !== 401) {
      throw new Error(`${route.label} without credentials answered ${describeResponse(anonymous)}`);
    }
    // And so is the IAM user's policy: what it does not allow is refused.
    const iamToken = await login(vpcepUrl, benchLoginBody(BENCH_IAM_USER.user, BENCH_IAM_USER.password));
    const denied = await rawRequest({
      method: 'GET',
      url: `${vpcepUrl}/v1/${BENCH_ACCOUNT.project.id}/quotas`,
      headers: { 'x-auth-token': iamToken },
    });
    if (denied.status !== 403) {
      throw new Error(`the IAM user's policy denies quotas, but they answered ${describeResponse(denied)}`);
    }
    const signedAs = (name: CaseName, keys: { ak: string; sk: string }) => async () => {
      const signed = await signedHeaders(vpcepUrl, route, keys);
      if (signed.path !== routePath) throw new Error(`${name}: signed path ${signed.path} != ${routePath}`);
      return signed.headers;
    };

    const cases: Case[] = [
      {
        name: 'bare',
        route: 'GET /bare (bare fastify)',
        base: bareUrl,
        path: '/bare',
        headers: async () => ({}),
        check: (res) => ((res.json as { ok?: unknown } | undefined)?.ok === true ? undefined : 'no ok'),
      },
      {
        name: 'token',
        route: `${route.label} X-Auth-Token`,
        base: vpcepUrl,
        path: routePath,
        headers: async () => ({ 'x-auth-token': token }),
        check: route.check,
      },
      {
        name: 'aksk',
        route: `${route.label} SDK-HMAC-SHA256`,
        base: vpcepUrl,
        path: routePath,
        // Signed once per load run, by the official SDK signer: every request of
        // the run is identical, so they may all carry the same signature (its
        // X-Sdk-Date stays valid for 15 minutes). The server still verifies each
        // request in full: key look-up, canonical request, HMAC, date window.
        headers: signedAs('aksk', BENCH_ACCOUNT),
        check: route.check,
      },
      {
        name: 'iam-token',
        route: `${route.label} X-Auth-Token, IAM user (custom policy)`,
        base: vpcepUrl,
        path: routePath,
        headers: async () => ({ 'x-auth-token': iamToken }),
        check: route.check,
      },
      {
        name: 'iam-aksk',
        route: `${route.label} SDK-HMAC-SHA256, IAM user (custom policy)`,
        base: vpcepUrl,
        path: routePath,
        headers: signedAs('iam-aksk', BENCH_IAM_USER),
        check: route.check,
      },
    ];

    for (const c of cases) {
      const res = await rawRequest({ method: 'GET', url: c.base + c.path, headers: await c.headers() });
      const problem = res.status === 200 ? c.check(res) : 'not 200';
      if (problem) throw new Error(`${c.name}: ${problem}: ${describeResponse(res)}`);
    }

    const loadBefore = fmtLoad();
    console.log(
      `node ${process.version}, ${availableParallelism()} CPU (${cpus()[0]?.model.trim() ?? '?'}), ` +
        `database ${opts.database === undefined ? 'temporary SQLite' : opts.database.replace(/\/\/[^@/]*@/, '//…@')}`,
    );
    console.log(
      `${opts.connections} connections, pipelining 1, ${opts.warmup} s warm-up per case, ` +
        `${opts.duration} s per case × ${ROUNDS} rounds (order ${cases.map((c) => c.name).join(', ')})\n`,
    );

    const run = async (c: Case, seconds: number, phase: string): Promise<Measured> => {
      harness.checkInterrupted();
      const m = await harness.load({
        url: c.base + c.path,
        method: 'GET',
        headers: await c.headers(),
        seconds,
        connections: opts.connections,
      });
      if (m.bad > 0 || m.ok === 0) failures.push(`${c.name} ${phase}: ${m.detail}`);
      harness.checkInterrupted();
      return m;
    };

    for (const c of cases) {
      process.stderr.write(`warm-up ${c.name}…\n`);
      await run(c, opts.warmup, 'warm-up');
    }
    const results = new Map<CaseName, Measured[]>(cases.map((c) => [c.name, []]));
    for (let round = 1; round <= ROUNDS; round++) {
      for (const c of cases) {
        process.stderr.write(`round ${round} ${c.name}…\n`);
        results.get(c.name)!.push(await run(c, opts.duration, `round ${round}`));
      }
    }

    const { text: roundsText, best } = roundsTable(cases, results, ROUNDS);
    console.log(roundsText);
    // Other processes on the machine skew every number; the load average shows them.
    console.log(`\nload average before ${loadBefore}, after ${fmtLoad()}`);
    console.log('\nratios of the better round of each case (p50/p99 from that round):');
    const rps = (n: CaseName) => best.get(n)!.rps;
    console.log(`token/bare ${(rps('token') / rps('bare')).toFixed(2)}`);
    console.log(`aksk/bare  ${(rps('aksk') / rps('bare')).toFixed(2)}`);
    console.log(`aksk/token ${(rps('aksk') / rps('token')).toFixed(2)}`);
    console.log(
      `iam-token/token ${(rps('iam-token') / rps('token')).toFixed(2)}  (IAM user with a custom policy vs the account user)`,
    );
    console.log(`iam-aksk/aksk   ${(rps('iam-aksk') / rps('aksk')).toFixed(2)}`);
  } finally {
    await harness.stopChildren();
    if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true });
    reportFailures(failures, ': responses other than 2xx (or socket errors) during the run:');
  }
}

harness.run(main);
