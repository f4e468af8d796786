// What the API costs, in one run: every figure of the API speed goals, on
// SQLite and (given a database URL) on PostgreSQL, with the vpcep server in its
// default configuration (log level and metrics as shipped; the log goes where
// `vpcep serve` writes it, here /dev/null), each as a ratio to a bare fastify
// route or to its own baseline measured in the same run on the same machine:
//
//  1. requests/s of GET /v1/{project_id}/vpc-endpoints/{id} with X-Auth-Token
//     and with an AK/SK signature, as the account's user and as an IAM user
//     whose rights come from a custom policy; and of POST
//     /v1/{project_id}/vpc-endpoints (create), AK/SK signed;
//  2. the latency of creating endpoints one at a time into an empty subnet: the
//     median of the last 50 of --fill creates over that of the first 50;
//  3. p50/p99 latency of GET /v1/{project_id}/vpc-endpoints?limit=10 when the
//     project holds 1,000 and 100,000 endpoints, and their ratio (lists must not
//     scan: 100k/1k must stay within 2×), plus the p50 of a list filtered by
//     vpc_id at both sizes, for information.
//
// Usage:
//   node --import tsx bench/api-speed.ts [--duration 5] [--connections 50] [--warmup 1]
//                                        [--creates 500] [--fill 2000] [--silent]
//                                        [--database postgres://USER:PASS@HOST:PORT/DB] [--no-sqlite]
//
//   --duration N     seconds measured per throughput case and round (default 5); also
//                    bounds every latency series and create run
//   --connections N  concurrent keep-alive connections for part 1, pipelining 1 (default 50)
//   --warmup N       seconds of unmeasured load per case before the first round (default 1)
//   --creates N      at most N creates per measured round (default 20000): creates run
//                    for --duration like the GETs, this only bounds them; the warm-up
//                    (--warmup seconds) sends at most N/10
//   --fill N         endpoints created one by one into the empty subnet (default 2000)
//   --silent         run vpcep with log_level silent (not the default configuration)
//   --database URL   also run everything on this PostgreSQL server (default: the
//                    VPCEP_BENCH_DATABASE_URL environment variable): a fresh database is
//                    created per server (vpcep_bench_<random>_<case>) and dropped at the end
//   --no-sqlite      with --database, skip the SQLite runs
//
// Servers run in child processes (bench/support/vpcep-api-child.ts for vpcep,
// bench/support/serve-child.ts for the bare route); load comes from this
// process. Each vpcep child first creates, through the API, an endpoint service
// (same account, no approval) and one endpoint of it in a 127.40.0.0/16 subnet,
// with a quota of 1,000,000 endpoints; the list servers then copy that endpoint
// straight into the database up to 1,000 or 100,000 rows (endpoints plus the
// project's resource_usage) before the server starts for real. During the
// measurements endpoint_create is delayed by an hour: the creates measured
// here are the synchronous request (validation, quota, address, marker, row,
// job) and leave their endpoints `creating`; no job runs under load.
//
// Any non-2xx response, socket error or timeout, in a check, warm-up or
// measurement, fails the run (exit code 1), and so does a 100k/1k p50 ratio of
// the unfiltered list above 2. The default run (SQLite only) takes about 100 s on an
// idle 2-CPU machine; a database URL adds about 90 s.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { rawRequest, type RawResponse } from '../test/support/http.ts';
import { officialSign } from '../test/support/official-signer.ts';
import { BENCH_ACCOUNT, BENCH_IAM_USER, benchLoginBody } from './support/account.ts';
import { BenchHarness, reportFailures, type Measured } from './support/harness.ts';
import { login } from './support/login.ts';
import type { ChildReady } from './support/vpcep-api-child.ts';
import {
  describeResponse,
  fmtInt,
  fmtLoad,
  fmtMs,
  positiveInt,
  roundsTable,
  table,
} from './support/report.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BARE_CHILD = join(ROOT, 'bench', 'support', 'serve-child.ts');
const VPCEP_CHILD = join(ROOT, 'bench', 'support', 'vpcep-api-child.ts');
/** What a response check reads; the latency loop builds one from its own requests. */
type ResponseSeen = Omit<RawResponse, 'localPort'>;

const ROUNDS = 2;
const SIZES = [1_000, 100_000] as const;
/** The unfiltered list at 100k may take at most this many times its p50 at 1k. */
const MAX_LIST_RATIO = 2;
/** Requests per latency series at most (it also stops after --duration seconds). */
const LIST_REQUESTS = 2_000;
const FILTERED_REQUESTS = 500;
const LIST_WARMUP_REQUESTS = 200;

// ---------------------------------------------------------------- options

function readOptions() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      connections: { type: 'string' },
      warmup: { type: 'string' },
      creates: { type: 'string' },
      fill: { type: 'string' },
      silent: { type: 'boolean' },
      database: { type: 'string' },
      'no-sqlite': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(
      'usage: node --import tsx bench/api-speed.ts [--duration N] [--connections N] [--warmup N] ' +
        '[--creates N] [--fill N] [--silent] [--database postgres://…] [--no-sqlite]',
    );
    process.exit(0);
  }
  const fromEnv = process.env.VPCEP_BENCH_DATABASE_URL;
  const database = values.database ?? (fromEnv === '' ? undefined : fromEnv);
  if (database !== undefined && !/^postgres(ql)?:\/\//.test(database)) {
    throw new Error(`--database must be a postgres://… URL, got '${database}'`);
  }
  if (values['no-sqlite'] && database === undefined) throw new Error('--no-sqlite needs --database');
  const connections = positiveInt('connections', values.connections, 50, 1000);
  // Two rounds, the warm-up and the check must fit the bench subnet's 65,534 addresses.
  const creates = positiveInt('creates', values.creates, 20_000, 20_000);
  if (creates < connections * 2) throw new Error(`--creates must be at least twice --connections`);
  const fill = positiveInt('fill', values.fill, 2000, 20_000);
  if (fill < 100) throw new Error('--fill must be at least 100');
  return {
    duration: positiveInt('duration', values.duration, 5, 120),
    connections,
    warmup: positiveInt('warmup', values.warmup, 1, 60),
    creates,
    fill,
    silent: values.silent === true,
    database,
    sqlite: !values['no-sqlite'],
  };
}

type Options = ReturnType<typeof readOptions>;

// ---------------------------------------------------------------- child servers

const harness = new BenchHarness();

async function spawnBare(): Promise<string> {
  const { line: url } = await harness.spawnChild('bare', BARE_CHILD, ['bare'], 30_000);
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(url)) throw new Error(`bare server printed '${url}'`);
  return url;
}

interface VpcepChild {
  proc: ChildProcess;
  ready: ChildReady;
}

async function spawnVpcep(
  opts: Options,
  label: string,
  database: string,
  endpoints: number,
): Promise<VpcepChild> {
  const { proc, line } = await harness.spawnChild(
    label,
    VPCEP_CHILD,
    ['--database', database, '--endpoints', String(endpoints), ...(opts.silent ? ['--silent'] : [])],
    120_000,
  );
  const ready = JSON.parse(line) as ChildReady;
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(ready.url)) throw new Error(`${label} server printed '${line}'`);
  if (ready.endpoints !== endpoints) throw new Error(`${label} server holds ${ready.endpoints} endpoints`);
  return { proc, ready };
}

// ---------------------------------------------------------------- databases

/** Where each vpcep child keeps its data; everything is removed by cleanup(). */
interface Databases {
  label: string;
  dialect: 'sqlite' | 'postgres';
  /** A fresh, empty database for `name`. */
  fresh(name: string): Promise<string>;
  cleanup(): Promise<void>;
}

function sqliteDatabases(): Databases {
  const dir = mkdtempSync(join(tmpdir(), 'vpcep-bench-'));
  return {
    label: 'SQLite (temporary files)',
    dialect: 'sqlite',
    fresh: async (name) => `sqlite:${join(dir, `${name}.db`)}`,
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

function postgresDatabases(admin: string): Databases {
  const prefix = `vpcep_bench_${randomBytes(4).toString('hex')}`;
  const created: string[] = [];
  const withAdmin = async (fn: (c: pg.Client) => Promise<void>) => {
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    try {
      await fn(client);
    } finally {
      await client.end();
    }
  };
  return {
    label: `PostgreSQL ${admin.replace(/\/\/[^@/]*@/, '//…@')} (fresh ${prefix}_* databases)`,
    dialect: 'postgres',
    async fresh(name) {
      const db = `${prefix}_${name}`;
      await withAdmin(async (c) => {
        await c.query(`CREATE DATABASE ${db}`);
      });
      created.push(db);
      const url = new URL(admin);
      url.pathname = `/${db}`;
      return url.toString();
    },
    async cleanup() {
      if (created.length === 0) return;
      await withAdmin(async (c) => {
        for (const db of created.splice(0)) await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      });
    },
  };
}

// ---------------------------------------------------------------- signing

async function signed(
  base: string,
  method: 'GET' | 'POST',
  path: string,
  query: Record<string, string> = {},
  body?: unknown,
  keys: { ak: string; sk: string } = BENCH_ACCOUNT,
): Promise<{ path: string; headers: Record<string, string>; body: string | undefined }> {
  const wire = await officialSign({
    endpoint: base,
    method,
    path,
    query,
    ...(body !== undefined ? { body } : {}),
    ak: keys.ak,
    sk: keys.sk,
    projectId: BENCH_ACCOUNT.project.id,
  });
  if (!wire.url.startsWith(base)) throw new Error(`the signer produced an unexpected URL ${wire.url}`);
  return { path: wire.url.slice(base.length), headers: wire.headers, body: wire.body };
}

// ---------------------------------------------------------------- throughput (autocannon)

// ---------------------------------------------------------------- latency (one request at a time)

interface Series {
  p50: number;
  p99: number;
  rps: number;
  count: number;
  bad: number;
  detail: string;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface Target {
  url: string;
  headers: Record<string, string>;
  /** POST this body (GET without). */
  body?: string;
  check: (res: ResponseSeen) => string | undefined;
}

interface Answer {
  ms: number;
  status: number;
  text: string;
}

function requestOnce(
  agent: Agent,
  url: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Answer> {
  const u = new URL(url);
  const path = url.slice(url.indexOf('/', u.protocol.length + 2));
  const method = body === undefined ? 'GET' : 'POST';
  return new Promise<Answer>((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = httpRequest(
      { host: u.hostname, port: u.port, path, method, headers, agent, timeout: 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            ms: Number(process.hrtime.bigint() - started) / 1e6,
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out after 10 s')));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Requests one at a time, taking the targets in turn (a, b, a, b, …), each on
 * a keep-alive connection of its own: whatever else the machine does hits
 * every target alike. Up to `count` requests per target, for at most `seconds`
 * in all. Latency with hrtime precision (autocannon records whole
 * milliseconds, too coarse for a ~1 ms list).
 */
async function alternating(targets: readonly Target[], count: number, seconds: number): Promise<Series[]> {
  const state = targets.map((t) => ({
    target: t,
    agent: new Agent({ keepAlive: true, maxSockets: 1 }),
    samples: [] as number[],
    bad: 0,
    problems: [] as string[],
    busyMs: 0,
  }));
  const note = (st: (typeof state)[number], problem: string) => {
    st.bad++;
    if (st.problems.length < 3) st.problems.push(problem);
  };
  const deadline = performance.now() + seconds * 1000;
  try {
    for (let i = 0; i < count && performance.now() < deadline && !harness.interrupted; i++) {
      for (const st of state) {
        let r: Answer;
        try {
          r = await requestOnce(st.agent, st.target.url, st.target.headers, st.target.body);
        } catch (err) {
          note(st, (err as Error).message);
          continue;
        }
        st.samples.push(r.ms);
        st.busyMs += r.ms;
        if (r.status < 200 || r.status > 299) {
          note(st, `HTTP ${r.status} ${r.text.slice(0, 200)}`);
        } else if (i % 50 === 0) {
          // Checking every body would slow the loop down; a sample is enough.
          let json: unknown;
          try {
            json = JSON.parse(r.text);
          } catch {
            json = undefined;
          }
          const problem = st.target.check({ status: r.status, headers: {}, text: r.text, json });
          if (problem) note(st, problem);
        }
      }
    }
  } finally {
    for (const st of state) st.agent.destroy();
  }
  return state.map((st) => {
    const sorted = [...st.samples].sort((a, b) => a - b);
    return {
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      // Requests/s of one client waiting for each answer: 1 / mean latency.
      rps: st.busyMs > 0 ? (st.samples.length * 1000) / st.busyMs : 0,
      count: st.samples.length,
      bad: st.bad,
      detail: st.problems.join('; '),
    };
  });
}

// ---------------------------------------------------------------- report helpers

const P = '/v1/{project_id}';

// ---------------------------------------------------------------- part 1: single GET and create

/** The ratios part 1 and part 2 yield. */
interface ApiFigures {
  token: number;
  aksk: number;
  iamToken: number;
  iamAksk: number;
  create: number;
  fill: number;
}

async function throughput(
  opts: Options,
  dbs: Databases,
  bareUrl: string,
  failures: string[],
): Promise<ApiFigures> {
  const child = await spawnVpcep(opts, `${dbs.dialect} api`, await dbs.fresh('api'), 1);
  try {
    const rates = await measureThroughput(opts, dbs, bareUrl, child.ready, failures);
    const fill = await measureFill(opts, dbs, child.ready, failures);
    return { ...rates, fill };
  } finally {
    await harness.stopSome([child.proc]);
  }
}

type CaseName = 'bare' | 'token' | 'aksk' | 'iam-token' | 'iam-aksk' | 'create';

async function measureThroughput(
  opts: Options,
  dbs: Databases,
  bareUrl: string,
  server: ChildReady,
  failures: string[],
): Promise<Omit<ApiFigures, 'fill'>> {
  const base = server.url;
  const getPath = `${P}/vpc-endpoints/${server.endpointId}`;
  const createBody = {
    endpoint_service_id: server.serviceId,
    vpc_id: server.vpcId,
    subnet_id: server.subnetId,
  };
  const token = await login(base);
  const iamToken = await login(base, benchLoginBody(BENCH_IAM_USER.user, BENCH_IAM_USER.password));
  const concrete = getPath.replace('{project_id}', BENCH_ACCOUNT.project.id);

  interface Case {
    name: CaseName;
    route: string;
    base: string;
    method: 'GET' | 'POST';
    /** Signed anew before every load run (each signature's X-Sdk-Date is valid for 15 minutes). */
    wire: () => Promise<{ path: string; headers: Record<string, string>; body: string | undefined }>;
    check: (res: ResponseSeen) => string | undefined;
    /** At most this many requests per measured run (creates); every run lasts --duration. */
    cap?: number;
  }
  const isTheEndpoint = (res: ResponseSeen) =>
    (res.json as { id?: unknown } | undefined)?.id === server.endpointId ? undefined : 'not the endpoint';
  const withToken = (t: string) => async () => ({
    path: concrete,
    headers: { 'x-auth-token': t },
    body: undefined,
  });
  const cases: Case[] = [
    {
      name: 'bare',
      route: 'GET /bare (bare fastify)',
      base: bareUrl,
      method: 'GET',
      wire: async () => ({ path: '/bare', headers: {}, body: undefined }),
      check: (res) => ((res.json as { ok?: unknown } | undefined)?.ok === true ? undefined : 'no ok'),
    },
    {
      name: 'token',
      route: `GET ${P}/vpc-endpoints/{id} X-Auth-Token`,
      base,
      method: 'GET',
      wire: withToken(token),
      check: isTheEndpoint,
    },
    {
      name: 'aksk',
      route: `GET ${P}/vpc-endpoints/{id} AK/SK`,
      base,
      method: 'GET',
      wire: () => signed(base, 'GET', getPath),
      check: isTheEndpoint,
    },
    {
      name: 'iam-token',
      route: `same, X-Auth-Token of an IAM user (custom policy)`,
      base,
      method: 'GET',
      wire: withToken(iamToken),
      check: isTheEndpoint,
    },
    {
      name: 'iam-aksk',
      route: `same, AK/SK of an IAM user (custom policy)`,
      base,
      method: 'GET',
      wire: () => signed(base, 'GET', getPath, {}, undefined, BENCH_IAM_USER),
      check: isTheEndpoint,
    },
    {
      name: 'create',
      route: `POST ${P}/vpc-endpoints AK/SK`,
      base,
      method: 'POST',
      // Identical bodies give identical signatures; ids are the server's, so each create is new.
      wire: () => signed(base, 'POST', `${P}/vpc-endpoints`, {}, createBody),
      check: (res) => {
        const body = res.json as { id?: unknown; status?: unknown } | undefined;
        return typeof body?.id === 'string' && body.status === 'creating' ? undefined : 'not a new endpoint';
      },
      cap: opts.creates,
    },
  ];

  // Every case answers correctly once, and authentication and the IAM policy are really enforced.
  let created = 0;
  let unanswered = 0;
  for (const c of cases) {
    const w = await c.wire();
    const res = await rawRequest({
      method: c.method,
      url: c.base + w.path,
      headers: w.headers,
      ...(w.body !== undefined ? { body: w.body } : {}),
    });
    const problem = res.status === 200 ? c.check(res) : 'not 200';
    if (problem) throw new Error(`${c.name}: ${problem}: ${describeResponse(res)}`);
    if (c.name === 'create') created++;
  }
  const anonymous = await rawRequest({ method: 'GET', url: base + concrete });
  if (anonymous.status !== 401)
    throw new Error(`GET endpoint without credentials: ${describeResponse(anonymous)}`);
  const denied = await rawRequest({
    method: 'GET',
    url: `${base}/v1/${BENCH_ACCOUNT.project.id}/quotas`,
    headers: { 'x-auth-token': iamToken },
  });
  if (denied.status !== 403) {
    throw new Error(`the IAM user's policy denies quotas, but they answered ${describeResponse(denied)}`);
  }

  /** Runs that stopped at their cap rather than at the end of their duration. */
  const capped: string[] = [];
  const run = async (c: Case, phase: string, warm: boolean): Promise<Measured> => {
    harness.checkInterrupted();
    const w = await c.wire();
    // Autocannon shares a cap out among the connections, and one whose share is 0 has no limit.
    const cap =
      c.cap === undefined ? undefined : warm ? Math.max(Math.ceil(c.cap / 10), opts.connections) : c.cap;
    const m = await harness.load({
      url: c.base + w.path,
      method: c.method,
      headers: w.headers,
      body: w.body,
      connections: opts.connections,
      seconds: warm ? opts.warmup : opts.duration,
      ...(cap !== undefined ? { cap } : {}),
    });
    if (m.bad > 0 || m.ok === 0) failures.push(`${dbs.dialect} ${c.name} ${phase}: ${m.detail}`);
    if (cap !== undefined) {
      created += m.ok;
      // A create that timed out, or was still in flight when the run stopped, may still
      // have been committed: the end check allows for it.
      unanswered += Math.max(m.sent, m.total + m.errors) - m.ok;
      if (m.sent >= cap) capped.push(`${c.name} ${phase}`);
    }
    harness.checkInterrupted();
    return m;
  };

  for (const c of cases) {
    process.stderr.write(`${dbs.dialect}: warm-up ${c.name}…\n`);
    await run(c, 'warm-up', true);
  }
  const warmCreates = created - 1;
  const results = new Map<CaseName, Measured[]>(cases.map((c) => [c.name, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const c of cases) {
      process.stderr.write(`${dbs.dialect}: round ${round} ${c.name}…\n`);
      results.get(c.name)!.push(await run(c, `round ${round}`, false));
    }
  }

  // The project's endpoint count (the quota counter) agrees with the creates answered 200.
  const listWire = await signed(base, 'GET', `${P}/vpc-endpoints`, { limit: '1' });
  const list = await rawRequest({ method: 'GET', url: base + listWire.path, headers: listWire.headers });
  const total = (list.json as { total_count?: unknown } | undefined)?.total_count;
  const consistent = typeof total === 'number' && total >= created + 1 && total <= created + unanswered + 1;
  if (list.status !== 200 || !consistent) {
    failures.push(`${dbs.dialect}: after ${created} creates the list says ${describeResponse(list)}`);
  }

  const { text: roundsText, best } = roundsTable(cases, results, ROUNDS);
  const rps = (n: CaseName) => best.get(n)!.rps;
  console.log(
    `\n1. one endpoint (token from a password login; AK/SK by the official SDK signer, one signature ` +
      `per run), ${opts.connections} connections, pipelining 1; ${opts.warmup} s warm-up per case, ` +
      `${opts.duration} s per case × ${ROUNDS} rounds, creates too (at most ${fmtInt(opts.creates)} a run). ` +
      `endpoint_create delay 1 h (creates stay 'creating', no job runs under load); ` +
      `service and template endpoint were made with delays of 0. vpcep log: ` +
      `${opts.silent ? 'silent' : 'default level, to /dev/null'}; metrics on.`,
  );
  console.log(roundsText);
  console.log(
    `creates: 1 check + ${fmtInt(warmCreates)} warm-up + ` +
      `${results
        .get('create')!
        .map((m) => fmtInt(m.ok))
        .join(' + ')} measured = ${fmtInt(created)} ` +
      `answered 200 (each took a /16 address and a unit of quota); list total_count afterwards ${String(total)} ` +
      `(creates + the template${unanswered > 0 ? `, + up to ${unanswered} sent but not answered 2xx` : ''})` +
      (capped.length > 0 ? `; stopped at the --creates cap, not the duration: ${capped.join(', ')}` : ''),
  );
  const figures = {
    token: rps('token') / rps('bare'),
    aksk: rps('aksk') / rps('bare'),
    iamToken: rps('iam-token') / rps('token'),
    iamAksk: rps('iam-aksk') / rps('aksk'),
    create: rps('create') / rps('bare'),
  };
  console.log(
    `ratios (better round of each case): token/bare ${figures.token.toFixed(3)}, aksk/bare ${figures.aksk.toFixed(3)}, ` +
      `iam-token/token ${figures.iamToken.toFixed(2)}, iam-aksk/aksk ${figures.iamAksk.toFixed(2)}, ` +
      `create/bare ${figures.create.toFixed(3)}`,
  );
  return figures;
}

// ---------------------------------------------------------------- part 2: filling a subnet

/** Creates measured at each end of the fill. */
const FILL_WINDOW = 50;

/**
 * Creates `--fill` − FILL_WINDOW endpoints one at a time into an empty subnet,
 * then measures the next FILL_WINDOW creates there alternating with as many
 * into another empty subnet, so that whatever else the machine does hits both
 * alike; answers the ratio of their medians (an allocator that reads a
 * subnet's used addresses grows with them).
 */
async function measureFill(
  opts: Options,
  dbs: Databases,
  server: ChildReady,
  failures: string[],
): Promise<number> {
  const base = server.url;
  const createIn = async (subnetId: string): Promise<Target> => {
    const body = { endpoint_service_id: server.serviceId, vpc_id: server.vpcId, subnet_id: subnetId };
    const w = await signed(base, 'POST', `${P}/vpc-endpoints`, {}, body);
    return {
      url: base + w.path,
      headers: w.headers,
      body: w.body ?? '',
      check: (res) =>
        (res.json as { status?: unknown } | undefined)?.status === 'creating' ? undefined : 'not creating',
    };
  };
  const full = await createIn(server.fillSubnetId);
  const empty = await createIn(server.emptySubnetId);
  const before = opts.fill - FILL_WINDOW;
  process.stderr.write(`${dbs.dialect}: filling a subnet with ${fmtInt(before)} endpoints…\n`);
  const [filled] = await alternating([full], before, 10 * opts.duration + 60);
  if (filled!.bad > 0 || filled!.count < before) {
    failures.push(
      `${dbs.dialect} fill: ${filled!.count} of ${before} sent, ${filled!.bad} bad: ${filled!.detail}`,
    );
  }
  const [first, last] = await alternating([empty, full], FILL_WINDOW, 60);
  for (const [what, series] of [
    ['first', first!],
    ['last', last!],
  ] as const) {
    if (series.bad > 0 || series.count < FILL_WINDOW) {
      failures.push(
        `${dbs.dialect} fill, ${what} creates: ${series.count} sent, ${series.bad} bad: ${series.detail}`,
      );
    }
  }
  const ratio = last!.p50 / first!.p50;
  console.log(
    `\n2. creates one at a time (AK/SK, one keep-alive connection per subnet): ${fmtInt(before)} into an empty ` +
      `/16 subnet, then ${FILL_WINDOW} more there (creates ${fmtInt(before + 1)}–${fmtInt(opts.fill)}: p50 ` +
      `${fmtMs(last!.p50)} ms, p99 ${fmtMs(last!.p99)} ms) alternating with the first ${FILL_WINDOW} into another ` +
      `empty subnet (p50 ${fmtMs(first!.p50)} ms, p99 ${fmtMs(first!.p99)} ms); ratio of the medians ${ratio.toFixed(2)} ` +
      `(the ${fmtInt(before)} unmeasured creates: ${fmtMs(filled!.p50)} ms p50)`,
  );
  return ratio;
}

// ---------------------------------------------------------------- part 3: list latency at scale

interface ListResult {
  size: number;
  seedMs: number;
  plans: Record<string, string>;
  list: Series[];
  filtered: Series[];
}

async function listLatency(
  opts: Options,
  dbs: Databases,
  failures: string[],
): Promise<{ p50: number; p99: number }> {
  process.stderr.write(`${dbs.dialect}: seeding ${SIZES.map(fmtInt).join(' and ')} endpoints…\n`);
  // Both are set up side by side (nothing is measured yet) and stopped at the end.
  const spawned = await Promise.allSettled(
    SIZES.map(async (size) => {
      const label = `${size / 1000}k`;
      const child = await spawnVpcep(opts, `${dbs.dialect} ${label}`, await dbs.fresh(label), size);
      return { size, ...child };
    }),
  );
  const servers = spawned.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  try {
    const failed = spawned.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    return await measureLists(opts, dbs, servers, failures);
  } finally {
    await harness.stopSome(servers.map((s) => s.proc));
  }
}

async function measureLists(
  opts: Options,
  dbs: Databases,
  servers: { size: number; ready: ChildReady }[],
  failures: string[],
): Promise<{ p50: number; p99: number }> {
  const results: ListResult[] = servers.map((s) => ({
    size: s.size,
    seedMs: s.ready.seedMs,
    plans: s.ready.plans,
    list: [],
    filtered: [],
  }));
  const checkPage = (size: number) => (res: ResponseSeen) => {
    const body = res.json as { endpoints?: unknown[]; total_count?: unknown } | undefined;
    if (body?.endpoints?.length !== 10) return `expected 10 endpoints: ${describeResponse(res)}`;
    if (body.total_count !== size) return `total_count ${String(body.total_count)}, expected ${size}`;
    return undefined;
  };

  const plain: Target[] = [];
  const byVpc: Target[] = [];
  for (const s of servers) {
    const a = await signed(s.ready.url, 'GET', `${P}/vpc-endpoints`, { limit: '10' });
    const b = await signed(s.ready.url, 'GET', `${P}/vpc-endpoints`, { limit: '10', vpc_id: s.ready.vpcId });
    plain.push({ url: s.ready.url + a.path, headers: a.headers, check: checkPage(s.size) });
    byVpc.push({ url: s.ready.url + b.path, headers: b.headers, check: checkPage(s.size) });
  }
  for (let round = 0; round <= ROUNDS; round++) {
    const warm = round === 0;
    const phase = warm ? 'warm-up' : `round ${round}`;
    process.stderr.write(`${dbs.dialect}: list ${phase}…\n`);
    const a = await alternating(
      plain,
      warm ? LIST_WARMUP_REQUESTS : LIST_REQUESTS,
      warm ? opts.warmup : opts.duration,
    );
    const b = await alternating(
      byVpc,
      warm ? LIST_WARMUP_REQUESTS / 10 : FILTERED_REQUESTS,
      warm ? opts.warmup : opts.duration / 2,
    );
    harness.checkInterrupted();
    for (const [i, s] of servers.entries()) {
      for (const [what, series] of [
        ['list', a[i]!],
        ['list vpc_id', b[i]!],
      ] as const) {
        if (series.bad > 0 || series.count === 0) {
          failures.push(
            `${dbs.dialect} ${what} ${fmtInt(s.size)} ${phase}: ${series.bad} bad: ${series.detail}`,
          );
        }
      }
      if (!warm) {
        results[i]!.list.push(a[i]!);
        results[i]!.filtered.push(b[i]!);
      }
    }
  }

  const bestOf = (series: Series[]) => series.reduce((x, y) => (y.p50 < x.p50 ? y : x));
  const rows: string[][] = [
    [
      'endpoints',
      'seeded in',
      ...Array.from({ length: ROUNDS }, (_, i) => `round ${i + 1} p50`),
      'best p50 ms',
      'p99 ms',
      'req/s',
      'requests',
      'vpc_id p50 ms',
      'vpc_id p99 ms',
      'vpc_id requests',
    ],
  ];
  for (const r of results) {
    const a = bestOf(r.list);
    const b = bestOf(r.filtered);
    rows.push([
      fmtInt(r.size),
      r.seedMs < 1000 ? `${Math.round(r.seedMs)} ms` : `${(r.seedMs / 1000).toFixed(1)} s`,
      ...r.list.map((s) => fmtMs(s.p50)),
      fmtMs(a.p50),
      fmtMs(a.p99),
      fmtInt(a.rps),
      fmtInt(r.list.reduce((n, s) => n + s.count, 0)),
      fmtMs(b.p50),
      fmtMs(b.p99),
      fmtInt(r.filtered.reduce((n, s) => n + s.count, 0)),
    ]);
  }
  const [small, large] = results as [ListResult, ListResult];
  const ratio = bestOf(large.list).p50 / bestOf(small.list).p50;
  const ratio99 = bestOf(large.list).p99 / bestOf(small.list).p99;
  const ratioVpc = bestOf(large.filtered).p50 / bestOf(small.filtered).p50;
  console.log(
    `\n3. GET ${P}/vpc-endpoints?limit=10 (AK/SK signed), one request at a time, alternating between the ` +
      `two servers (one keep-alive connection each); per round at most ${fmtInt(LIST_REQUESTS)} requests per ` +
      `size in ${opts.duration} s, then with vpc_id at most ${fmtInt(FILTERED_REQUESTS)} in ${opts.duration / 2} s; ` +
      `${ROUNDS} rounds after a warm-up, best round by p50; req/s = 1 / mean latency. All endpoints are in ` +
      `one VPC, so the vpc_id filter matches every one of them.`,
  );
  console.log(table(rows, 2));
  const verdict =
    ratio <= MAX_LIST_RATIO ? `ok, within ${MAX_LIST_RATIO}×` : `FAIL, above ${MAX_LIST_RATIO}×`;
  console.log(
    `ratio 100k/1k: p50 ${ratio.toFixed(2)}× (${verdict}), p99 ${ratio99.toFixed(2)}×; ` +
      `with vpc_id p50 ${ratioVpc.toFixed(2)}× (information)`,
  );
  if (ratio > MAX_LIST_RATIO) {
    failures.push(
      `${dbs.dialect}: the unfiltered list p50 grows ${ratio.toFixed(2)}× from 1k to 100k endpoints`,
    );
  }
  console.log(
    `plans at ${fmtInt(large.size)} endpoints (${dbs.dialect} EXPLAIN${dbs.dialect === 'sqlite' ? ' QUERY PLAN' : ''}):`,
  );
  for (const [query, plan] of Object.entries(large.plans)) console.log(`  ${query}: ${plan}`);
  return { p50: ratio, p99: ratio99 };
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const opts = readOptions();
  harness.handleSignals();

  const dbsList: Databases[] = [];
  if (opts.sqlite) dbsList.push(sqliteDatabases());
  if (opts.database !== undefined) dbsList.push(postgresDatabases(opts.database));
  const failures: string[] = [];

  // The last line of defence: whatever happens, the run ends.
  const perDialect = 300 + 30 * opts.duration + 6 * opts.warmup;
  harness.deadline((30 + dbsList.length * perDialect) * 1000, () => {
    for (const d of dbsList) if (d.dialect === 'sqlite') void d.cleanup();
  });

  const summary: string[][] = [['figure', 'goal', ...dbsList.map((d) => d.dialect)]];
  const figures: { api: ApiFigures; list: { p50: number; p99: number } }[] = [];
  try {
    const bareUrl = await spawnBare();
    console.log(
      `node ${process.version}, ${availableParallelism()} CPU (${cpus()[0]?.model.trim() ?? '?'}), ` +
        `load average ${fmtLoad()}`,
    );
    for (const dbs of dbsList) {
      console.log(`\n=== ${dbs.label}`);
      const api = await throughput(opts, dbs, bareUrl, failures);
      const list = await listLatency(opts, dbs, failures);
      figures.push({ api, list });
    }
    console.log(`\nload average after ${fmtLoad()}`);
    const row = (figure: string, goal: string, pick: (f: (typeof figures)[number]) => number, digits = 3) =>
      summary.push([figure, goal, ...figures.map((f) => pick(f).toFixed(digits))]);
    row('GET one endpoint, X-Auth-Token ÷ bare fastify', '≥ 0.5', (f) => f.api.token);
    row('GET one endpoint, AK/SK ÷ bare fastify', '≥ 0.5', (f) => f.api.aksk);
    row('same, IAM user (custom policy) ÷ account user, token', '≥ 0.9', (f) => f.api.iamToken, 2);
    row('same, IAM user (custom policy) ÷ account user, AK/SK', '≥ 0.9', (f) => f.api.iamAksk, 2);
    row('POST endpoint ÷ bare fastify', '≥ 0.05 SQLite, ≥ 0.02 PostgreSQL', (f) => f.api.create);
    row(`create the ${fmtInt(opts.fill)}th endpoint of a subnet ÷ the first`, '≤ 1.5', (f) => f.api.fill, 2);
    row('list 10 of 100k ÷ list 10 of 1k, p99', '≤ 1.5', (f) => f.list.p99, 2);
    row('list 10 of 100k ÷ list 10 of 1k, p50', '≤ 2 (fails the run)', (f) => f.list.p50, 2);
    console.log('\nsummary (ratios from this run):');
    console.log(table(summary, 2));
  } finally {
    await harness.stopChildren();
    for (const d of dbsList) {
      try {
        await d.cleanup();
      } catch (err) {
        failures.push(`cleanup of ${d.label}: ${(err as Error).message}`);
      }
    }
    reportFailures(failures, ':');
  }
}

harness.run(main);
