// Part 2 of bench/api-speed.ts: what the last creates of a filling subnet
// cost against the first ones of an empty subnet.
import { interrupted } from './api-speed-children.ts';
import { P, type Options } from './api-speed-options.ts';
import type { Databases } from './bench-databases.ts';
import { signed } from './bench-signing.ts';
import { alternating, type Target } from './one-at-a-time.ts';
import { fmtInt, fmtMs } from './report.ts';
import type { ChildReady } from './vpcep-api-child.ts';

/** Creates measured at each end of the fill. */
const FILL_WINDOW = 50;

/**
 * Creates `--fill` − FILL_WINDOW endpoints one at a time into an empty subnet,
 * then measures the next FILL_WINDOW creates there alternating with as many
 * into another empty subnet, so that whatever else the machine does hits both
 * alike; answers the ratio of their medians (an allocator that reads a
 * subnet's used addresses grows with them).
 */
export async function measureFill(
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
  const [filled] = await alternating([full], before, 10 * opts.duration + 60, interrupted);
  if (filled!.bad > 0 || filled!.count < before) {
    failures.push(
      `${dbs.dialect} fill: ${filled!.count} of ${before} sent, ${filled!.bad} bad: ${filled!.detail}`,
    );
  }
  const [first, last] = await alternating([empty, full], FILL_WINDOW, 60, interrupted);
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
