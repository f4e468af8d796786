// A CPU profile of the vpcep server answering GET /v1/{project_id}/vpc-endpoints/{id}
// with X-Auth-Token (or AK/SK, or creates: POST /v1/{project_id}/vpc-endpoints),
// in its default configuration, and a summary of where the
// time went: the functions with the most self time, and self time by package.
//
// Usage:
//   node --import tsx bench/profile-get.ts [--seconds 10] [--connections 50] [--out DIR]
//                                          [--database URL] [--case token|aksk|create]
//
// The server (bench/support/vpcep-api-child.ts, on a temporary SQLite file
// unless --database names a PostgreSQL one) runs under `node --cpu-prof`; the
// .cpuprofile is written to DIR (default: a temporary directory, printed) when
// the server exits. Load comes from this process (autocannon).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { officialSign } from '../test/support/official-signer.ts';
import { BENCH_ACCOUNT } from './support/account.ts';
import { BenchHarness } from './support/harness.ts';
import { login } from './support/login.ts';
import { positiveInt, table } from './support/report.ts';
import type { ChildReady } from './support/vpcep-api-child.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CHILD = join(ROOT, 'bench', 'support', 'vpcep-api-child.ts');

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  /** Microseconds on the monotonic clock process.hrtime reads too. */
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Only the samples taken from `from` to `to` (µs, monotonic clock): the load, not the start-up. */
export function summarize(profile: Profile, window: { from: number; to: number }, top = 25): string {
  /** Where a frame's code lives: a package, our own source, node's internals, or V8/GC. */
  function ownerOf(url: string, name: string): string {
    if (url === '') return name.startsWith('(') ? name : '(native)';
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    if (pkg) return pkg[1]!;
    if (url.startsWith('node:')) return 'node internals';
    const own = /\/(src\/[^/]+)\//.exec(url);
    return own ? own[1]! : url;
  }

  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let at = profile.startTime;
  for (const [i, id] of profile.samples.entries()) {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (at < window.from || at > window.to) continue;
    self.set(id, (self.get(id) ?? 0) + delta);
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...self.entries()]
    .filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)')
    .reduce((a, [, t]) => a + t, 0);
  const busy = total - idle;
  const fns = new Map<string, number>();
  const owners = new Map<string, number>();
  for (const [id, t] of self) {
    const f = byId.get(id)!.callFrame;
    if (f.functionName === '(idle)') continue;
    const file = f.url.replace(/^.*\/(node_modules|src)\//, '$1/');
    const key = `${f.functionName || '(anonymous)'}  ${file}${f.url ? `:${f.lineNumber + 1}` : ''}`;
    fns.set(key, (fns.get(key) ?? 0) + t);
    const owner = ownerOf(f.url, f.functionName);
    owners.set(owner, (owners.get(owner) ?? 0) + t);
  }
  const pct = (t: number) => `${((100 * t) / busy).toFixed(1)} %`;
  const rows = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, t]) => [k, pct(t)]);
  return [
    `busy ${(busy / 1e6).toFixed(1)} s of ${(total / 1e6).toFixed(1)} s sampled under load`,
    '',
    'self time by owner (share of busy time):',
    table([['owner', 'self'], ...rows(owners, 15)], 1),
    '',
    `top ${top} functions by self time:`,
    table([['function', 'self'], ...rows(fns, top)], 1),
  ].join('\n');
}

function microsNow(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string' },
      connections: { type: 'string' },
      out: { type: 'string' },
      database: { type: 'string' },
      case: { type: 'string' },
    },
  });
  const what = values.case ?? 'token';
  if (what !== 'token' && what !== 'aksk' && what !== 'create') {
    throw new Error(`--case must be token, aksk or create, got '${what}'`);
  }
  const seconds = positiveInt('seconds', values.seconds, 10, 120);
  const connections = positiveInt('connections', values.connections, 50, 1000);
  const out = values.out ?? mkdtempSync(join(tmpdir(), 'vpcep-profile-'));
  const work = mkdtempSync(join(tmpdir(), 'vpcep-profile-db-'));
  const database = values.database ?? `sqlite:${join(work, 'vpcep.db')}`;
  const harness = new BenchHarness();
  const window = { from: 0, to: 0 };
  const child = spawn(
    process.execPath,
    ['--cpu-prof', `--cpu-prof-dir=${out}`, '--import', 'tsx', CHILD, '--database', database],
    { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  try {
    const lines = createInterface({ input: child.stdout });
    const [line] = (await once(lines, 'line')) as [string];
    const ready = JSON.parse(line) as ChildReady;
    const path = `/v1/${BENCH_ACCOUNT.project.id}/vpc-endpoints/${ready.endpointId}`;
    let headers: Record<string, string>;
    let method: 'GET' | 'POST' = 'GET';
    let url = ready.url + path;
    let body: string | undefined;
    if (what === 'create') {
      const wire = await officialSign({
        endpoint: ready.url,
        method: 'POST',
        path: '/v1/{project_id}/vpc-endpoints',
        query: {},
        body: { endpoint_service_id: ready.serviceId, vpc_id: ready.vpcId, subnet_id: ready.subnetId },
        ak: BENCH_ACCOUNT.ak,
        sk: BENCH_ACCOUNT.sk,
        projectId: BENCH_ACCOUNT.project.id,
      });
      headers = wire.headers;
      method = 'POST';
      url = wire.url;
      body = wire.body;
    } else if (what === 'aksk') {
      const wire = await officialSign({
        endpoint: ready.url,
        method: 'GET',
        path: '/v1/{project_id}/vpc-endpoints/' + ready.endpointId,
        query: {},
        ak: BENCH_ACCOUNT.ak,
        sk: BENCH_ACCOUNT.sk,
        projectId: BENCH_ACCOUNT.project.id,
      });
      headers = wire.headers;
    } else {
      headers = { 'x-auth-token': await login(ready.url) };
    }
    window.from = microsNow();
    const m = await harness.load({ url, method, headers, body, seconds, connections });
    window.to = microsNow();
    console.log(`${m.total} requests, ${Math.round(m.rps)} req/s, ${m.detail}`);
  } finally {
    child.stdin.end();
    child.kill('SIGTERM');
    await once(child, 'exit');
    rmSync(work, { recursive: true, force: true });
  }
  const file = readdirSync(out).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile in ${out}`);
  console.log(`profile: ${join(out, file)}\n`);
  console.log(summarize(JSON.parse(readFileSync(join(out, file), 'utf8')) as Profile, window));
}

main().catch((err: unknown) => {
  console.error('profile-get:', err);
  process.exitCode = 1;
});
