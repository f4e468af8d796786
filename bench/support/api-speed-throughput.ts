// Part 1 of bench/api-speed.ts: requests/s of GET one endpoint (token and
// AK/SK, account user and IAM user) and of POST endpoint, under load, against
// the bare fastify route; then part 2 (filling a subnet) on the same server.
import { rawRequest } from '../../test/support/http.ts';
import { BENCH_ACCOUNT, BENCH_IAM_USER, benchLoginBody } from './account.ts';
import { harness, spawnVpcep } from './api-speed-children.ts';
import { measureFill } from './api-speed-fill.ts';
import { P, ROUNDS, type Options } from './api-speed-options.ts';
import type { Databases } from './bench-databases.ts';
import { signed } from './bench-signing.ts';
import type { Measured } from './harness.ts';
import { login } from './login.ts';
import type { ResponseSeen } from './one-at-a-time.ts';
import { describeResponse, fmtInt, roundsTable } from './report.ts';
import type { ChildReady } from './vpcep-api-child.ts';

/** The ratios part 1 and part 2 yield. */
export interface ApiFigures {
  token: number;
  aksk: number;
  iamToken: number;
  iamAksk: number;
  create: number;
  fill: number;
  /** References, not goals: vpcep's cheapest answers ÷ bare, what no authenticated GET can beat. */
  healthz: number;
  versions: number;
}

export async function throughput(
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

type CaseName = 'bare' | 'healthz' | 'versions' | 'token' | 'aksk' | 'iam-token' | 'iam-aksk' | 'create';

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
    // Two floors measured beside the goals: every request of the server pays their cost before
    // authentication, the store or the endpoint's view come into it (docs/performance.md).
    {
      name: 'healthz',
      route: 'GET /healthz (vpcep: its hooks, no credentials, no store, no log line)',
      base,
      method: 'GET',
      wire: async () => ({ path: '/healthz', headers: {}, body: undefined }),
      check: (res) =>
        (res.json as { status?: unknown } | undefined)?.status === 'ok' ? undefined : 'not ok',
    },
    {
      name: 'versions',
      route: 'GET / (vpcep: the API versions, public, one log line)',
      base,
      method: 'GET',
      wire: async () => ({ path: '/', headers: {}, body: undefined }),
      check: (res) =>
        Array.isArray((res.json as { versions?: unknown } | undefined)?.versions) ? undefined : 'no versions',
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
    healthz: rps('healthz') / rps('bare'),
    versions: rps('versions') / rps('bare'),
  };
  console.log(
    `ratios (better round of each case): token/bare ${figures.token.toFixed(3)}, aksk/bare ${figures.aksk.toFixed(3)}, ` +
      `iam-token/token ${figures.iamToken.toFixed(2)}, iam-aksk/aksk ${figures.iamAksk.toFixed(2)}, ` +
      `create/bare ${figures.create.toFixed(3)}; floors: healthz/bare ${figures.healthz.toFixed(3)}, ` +
      `versions/bare ${figures.versions.toFixed(3)}`,
  );
  return figures;
}
