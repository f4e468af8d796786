// Part 3 of bench/api-speed.ts: list latency when a project holds 1,000 and
// 100,000 endpoints, one request at a time, alternating between the two.
import { harness, interrupted, spawnVpcep } from './api-speed-children.ts';
import { P, ROUNDS, type Options } from './api-speed-options.ts';
import type { Databases } from './bench-databases.ts';
import { signed } from './bench-signing.ts';
import { alternating, type ResponseSeen, type Series, type Target } from './one-at-a-time.ts';
import { describeResponse, fmtInt, fmtMs, table } from './report.ts';
import type { ChildReady } from './vpcep-api-child.ts';

const SIZES = [1_000, 100_000] as const;
/** The unfiltered list at 100k may take at most this many times its p50 at 1k. */
const MAX_LIST_RATIO = 2;
/** Requests per latency series at most (it also stops after --duration seconds). */
const LIST_REQUESTS = 2_000;
const FILTERED_REQUESTS = 500;
const LIST_WARMUP_REQUESTS = 200;

interface ListResult {
  size: number;
  seedMs: number;
  plans: Record<string, string>;
  list: Series[];
  filtered: Series[];
}

export async function listLatency(
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
      interrupted,
    );
    const b = await alternating(
      byVpc,
      warm ? LIST_WARMUP_REQUESTS / 10 : FILTERED_REQUESTS,
      warm ? opts.warmup : opts.duration / 2,
      interrupted,
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
