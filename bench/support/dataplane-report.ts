// Tables and bound guesses of bench/dataplane.ts. Nothing here measures: it
// turns results and CPU readings into what gets printed.
import type { CpuUse, MachineUse } from './dataplane-proc.ts';
import type { LatencyResult, RateResult, ThroughputResult } from './dataplane-load.ts';
import { fmtInt, median, table } from './report.ts';

export type PathKey = 'direct' | 'vpcep1' | 'vpcepN' | 'haproxy1' | 'haproxyN';

/** The comparisons the goals are about: vpcep and haproxy with the same number of threads. */
export const PAIRS: readonly [vpcep: PathKey, haproxy: PathKey][] = [
  ['vpcep1', 'haproxy1'],
  ['vpcepN', 'haproxyN'],
];
export type Figure = 'a' | 'b' | 'c';

/** CPU of each process during one measured window, in % of one core. */
export interface PhaseCpu {
  client: CpuUse;
  backend: CpuUse;
  proxy?: CpuUse;
  machine: MachineUse;
}

export interface PathResults {
  key: PathKey;
  label: string;
  a?: { r: ThroughputResult; cpu: PhaseCpu };
  b?: { r: RateResult; cpu: PhaseCpu };
  c?: { r: LatencyResult; cpu: PhaseCpu };
}

/**
 * CPU the machine spent outside the three processes and softirq, in % of one
 * core: other processes (another job on the host) competing with the run.
 */
export function otherCpu(cpu: PhaseCpu): number {
  const ours = cpu.client.total + cpu.backend.total + (cpu.proxy?.total ?? 0);
  return Math.max(0, cpu.machine.busy - cpu.machine.softirq - ours);
}

/** A thread at or above this share of a core counts as saturated (sampling is at 10 ms ticks). */
const SATURATED = 80;

/**
 * Which limit a figure most likely hit, from the CPU readings: a saturated
 * single thread (the proxy's, the client's or the backend's), or both CPUs
 * busy (client, backend and proxy share 2 cores). Latency round trips run one
 * at a time, so no process saturates and the figure is the chain of wake-ups
 * and per-hop work.
 */
export function boundOf(figure: Figure, cpu: PhaseCpu): string {
  const parts: string[] = [];
  const pct = (n: number) => `${Math.round(n)}%`;
  if (cpu.proxy && cpu.proxy.busiestThread >= SATURATED)
    parts.push(`proxy thread ${pct(cpu.proxy.busiestThread)}`);
  if (cpu.client.busiestThread >= SATURATED) parts.push(`client thread ${pct(cpu.client.busiestThread)}`);
  if (cpu.backend.busiestThread >= SATURATED) parts.push(`backend thread ${pct(cpu.backend.busiestThread)}`);
  // Machine-wide, so softirq work (loopback TCP) and any other process count too.
  const used = cpu.machine.busy + cpu.machine.steal;
  if (used >= 170) parts.push(`both CPUs busy (${pct(used)})`);
  const other = otherCpu(cpu);
  if (other >= 25) parts.push(`other processes took ${pct(other)}`);
  if (parts.length > 0) return parts.join(' + ');
  const fallback: Record<Figure, string> = {
    a: 'no CPU saturated: socket buffer hand-offs / wake-ups',
    b: 'no CPU saturated: setup latency × concurrency',
    c: 'serial round trips: wake-ups + per-hop work',
  };
  return fallback[figure];
}

const cell = (n: number | undefined, digits = 0): string =>
  n === undefined || Number.isNaN(n) ? '-' : digits === 0 ? fmtInt(n) : n.toFixed(digits);

export function figuresTable(paths: readonly PathResults[], streams: number, concurrency: number): string {
  const direct = paths.find((p) => p.key === 'direct');
  const rows: string[][] = [['figure', ...paths.map((p) => p.label)]];
  rows.push([`a. bulk TCP MB/s (${streams} streams)`, ...paths.map((p) => cell(p.a?.r.mbPerS))]);
  rows.push([`b. new connections/s (${concurrency} concurrent)`, ...paths.map((p) => cell(p.b?.r.perS))]);
  rows.push(['c. round trip p50 µs', ...paths.map((p) => cell(p.c?.r.p50, 1))]);
  rows.push(['c. round trip p99 µs', ...paths.map((p) => cell(p.c?.r.p99, 1))]);
  const added = (p: PathResults, q: 'p50' | 'p99') =>
    p.c && direct?.c ? cell(p.c.r[q] - direct.c.r[q], 1) : '-';
  rows.push(['c. added p50 µs vs direct', ...paths.map((p) => added(p, 'p50'))]);
  rows.push(['c. added p99 µs vs direct', ...paths.map((p) => added(p, 'p99'))]);
  return table(rows, 1);
}

export function ratioOf(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined || b === 0 ? undefined : a / b;
}

function ratio(a: number | undefined, b: number | undefined): string {
  const r = ratioOf(a, b);
  return r === undefined ? '-' : `${r.toFixed(2)}×`;
}

/** Each vpcep path against direct and against haproxy with as many threads: higher is better for a and b, lower for c. */
export function ratioLines(paths: readonly PathResults[]): string[] {
  const byKey = new Map(paths.map((p) => [p.key, p]));
  const lines: string[] = [];
  const line = (vpcep: PathResults, other: PathResults) =>
    `${vpcep.label} / ${other.label}: `.padEnd(44) +
    `throughput ${ratio(vpcep.a?.r.mbPerS, other.a?.r.mbPerS)}  ` +
    `conn/s ${ratio(vpcep.b?.r.perS, other.b?.r.perS)}  ` +
    `latency p50 ${ratio(vpcep.c?.r.p50, other.c?.r.p50)}  p99 ${ratio(vpcep.c?.r.p99, other.c?.r.p99)}`;
  for (const [v, h] of PAIRS) {
    const vpcep = byKey.get(v);
    const haproxy = byKey.get(h);
    const direct = byKey.get('direct');
    if (vpcep && direct) lines.push(line(vpcep, direct));
    if (vpcep && haproxy) lines.push(line(vpcep, haproxy));
  }
  return lines;
}

/** CPU per process and phase, the bound each figure hit, and what went wrong (errors, samples). */
export function cpuTable(paths: readonly PathResults[]): string {
  const rows: string[][] = [
    [
      'phase',
      'path',
      'proxy CPU%',
      'proxy threads%',
      'client CPU%',
      'backend CPU%',
      'machine busy%',
      'softirq%',
      'other%',
      'errors',
      'count',
      'likely bound',
    ],
  ];
  const names: Record<Figure, string> = { a: 'a. bulk', b: 'b. conn/s', c: 'c. latency' };
  for (const f of ['a', 'b', 'c'] as const) {
    for (const p of paths) {
      const m = p[f];
      if (!m) continue;
      const count =
        f === 'a'
          ? '-'
          : f === 'b'
            ? fmtInt((m.r as RateResult).completed)
            : fmtInt((m.r as LatencyResult).count);
      rows.push([
        names[f],
        p.label,
        cell(m.cpu.proxy?.total),
        m.cpu.proxy ? m.cpu.proxy.threads.map((t) => t.toFixed(0)).join('+') || '0' : '-',
        cell(m.cpu.client.total),
        cell(m.cpu.backend.total),
        cell(m.cpu.machine.busy),
        cell(m.cpu.machine.softirq),
        cell(otherCpu(m.cpu)),
        String(m.r.errors),
        count,
        boundOf(f, m.cpu),
      ]);
    }
  }
  // The last column is text: pad it on the right like the first two.
  const text = table(rows.map((r) => r.slice(0, -1)));
  return text
    .split('\n')
    .map((line, i) => `${line}  ${rows[i]![rows[i]!.length - 1]}`)
    .join('\n');
}

export interface IdleResult {
  key: PathKey;
  label: string;
  /** Connections held after the last step. */
  count: number;
  /** Connections opened in all steps. */
  opened: number;
  backendSockets: number;
  echoed: number;
  /** Whether RSS was read after full GCs (vpcep with the bench's GC hook); else rss = raw. */
  gc: boolean;
  /** KiB before the first step: after full GCs when `gc`, and as read. */
  before: { rss: number; raw: number };
  /** After each step: the connections held, and KiB as before. */
  steps: { connections: number; rss: number; raw: number }[];
  /** KiB after a 1-byte echo on every connection. */
  echoedRss: number;
  firstError?: string;
}

/** Least-squares slope of y over x (KiB per connection), or undefined with fewer than two points. */
function slope(points: readonly { x: number; y: number }[]): number | undefined {
  if (points.length < 2) return undefined;
  const mx = points.reduce((n, p) => n + p.x, 0) / points.length;
  const my = points.reduce((n, p) => n + p.y, 0) / points.length;
  const sxx = points.reduce((n, p) => n + (p.x - mx) ** 2, 0);
  const sxy = points.reduce((n, p) => n + (p.x - mx) * (p.y - my), 0);
  return sxx === 0 ? undefined : sxy / sxx;
}

/** What one more idle connection costs: the slope of RSS from the first step to the last. */
export function idleSlope(r: IdleResult, raw = false): number | undefined {
  return slope(r.steps.map((s) => ({ x: s.connections, y: raw ? s.raw : s.rss })));
}

/** What the first step cost per connection, one-time growth included. */
function firstStep(r: IdleResult): number | undefined {
  const s = r.steps[0];
  return s === undefined || s.connections === 0 ? undefined : (s.rss - r.before.rss) / s.connections;
}

export function idleTable(rows: readonly IdleResult[]): string {
  const out: string[][] = [
    [
      'proxy process',
      'opened',
      'backend sockets',
      'echoed 1 B',
      'RSS before KiB',
      'RSS at each step KiB',
      'KiB/conn first step',
      'KiB/conn slope',
      'KiB/conn after echo',
      'no GC: slope',
    ],
  ];
  const fmt = (n: number | undefined) => (n === undefined ? '-' : n.toFixed(2));
  for (const r of rows) {
    const last = r.steps[r.steps.length - 1];
    out.push([
      r.label + (r.gc ? ' (after full GC)' : ''),
      `${fmtInt(r.opened)}/${fmtInt(r.count)}`,
      fmtInt(r.backendSockets),
      fmtInt(r.echoed),
      fmtInt(r.before.rss),
      r.steps.map((s) => fmtInt(s.rss)).join(' '),
      fmt(firstStep(r)),
      fmt(idleSlope(r)),
      fmt(last === undefined ? undefined : (r.echoedRss - r.before.rss) / last.connections),
      r.gc ? fmt(idleSlope(r, true)) : '-',
    ]);
  }
  return table(out, 1);
}

export interface StormResult {
  /** Round trips with the API idle, then while the storm runs: direct and through the endpoint. */
  idle: { direct: LatencyResult; vpcep: LatencyResult };
  storm: { direct: LatencyResult; vpcep: LatencyResult };
  /** List responses per second the API served, and their size. */
  listsPerS: number;
  listBytes: number;
  /** CPU of the API's process and of the data plane's processes during the storm, % of one core. */
  apiCpu: number;
  /** CPU of the storm's client (the bench's own load generator). */
  clientCpu: number;
  dataplaneCpu: number;
  machineBusy: number;
}

export function stormTable(s: StormResult): string {
  const rows = [
    ['', 'p50 µs', 'p99 µs', 'round trips'],
    ...(
      [
        ['direct, API idle', s.idle.direct],
        ['vpcep, API idle', s.idle.vpcep],
        ['direct, API storm', s.storm.direct],
        ['vpcep, API storm', s.storm.vpcep],
      ] as const
    ).map(([label, r]) => [label, cell(r.p50, 1), cell(r.p99, 1), fmtInt(r.count)]),
  ];
  return table(rows, 1);
}

/** (vpcep p99 − direct p99) in the storm ÷ the same with the API idle. */
export function stormAddedRatio(s: StormResult): number | undefined {
  return ratioOf(s.storm.vpcep.p99 - s.storm.direct.p99, s.idle.vpcep.p99 - s.idle.direct.p99);
}

/** One storm round: what loaded the API, the four latency series and the round's ratio. */
export function stormRoundReport(
  s: StormResult,
  r: {
    round: number;
    rounds: number;
    path: string;
    concurrency: number;
    endpoints: number;
    clientNice: number;
    cores: number;
  },
): string {
  const added = stormAddedRatio(s);
  return [
    `\ns. round ${r.round}/${r.rounds}: round trips through ${r.path} while ${r.concurrency} connections ` +
      `ask the API for ${r.endpoints} endpoints at a time (${s.listsPerS.toFixed(0)} lists/s of ` +
      `${fmtInt(s.listBytes / 1024)} KiB; API process ${s.apiCpu.toFixed(0)}% CPU, data plane ` +
      `${s.dataplaneCpu.toFixed(0)}%, storm client ${s.clientCpu.toFixed(0)}% at nice ${r.clientNice}, ` +
      `machine ${s.machineBusy.toFixed(0)}% of ${r.cores * 100}%)`,
    stormTable(s),
    `  added p99 in the storm ÷ with the API idle: ${added === undefined ? '-' : added.toFixed(2)}×`,
  ].join('\n');
}

/** The storm figure of several rounds: the median of their ratios (one slow window moves a p99 a lot). */
export function stormFigure(rounds: readonly StormResult[]): number | undefined {
  const ratios = rounds.map(stormAddedRatio).filter((r): r is number => r !== undefined);
  return ratios.length === 0 ? undefined : median(ratios);
}

export interface DataplaneRss {
  /** KiB after full GCs (when the hooks answered), else as read. */
  main: number;
  supervisor: number | undefined;
  workers: number[];
  gc: boolean;
}

export interface GoalInputs {
  paths: readonly PathResults[];
  storm: readonly StormResult[];
  idle: readonly IdleResult[];
  rss: DataplaneRss | undefined;
  /** Namespaces mode ÷ loopback mode, or why it was not measured. */
  namespaces: { bulk: number; rate: number } | { unavailable: string } | undefined;
}

function perConnection(r: IdleResult | undefined): number | undefined {
  return r === undefined ? undefined : idleSlope(r);
}

/** The goals of the data plane's second generation, each with what this run measured. */
export function goalsTable(g: GoalInputs): string {
  const byKey = new Map(g.paths.map((p) => [p.key, p]));
  const idle = new Map(g.idle.map((r) => [r.key, r]));
  const fmt = (r: number | undefined, unit = '×') => (r === undefined ? '-' : `${r.toFixed(2)}${unit}`);
  const pair = (pick: (p: PathResults | undefined) => number | undefined) =>
    PAIRS.map(([v, h]) => fmt(ratioOf(pick(byKey.get(v)), pick(byKey.get(h))))).join(' / ');
  const idleRatio = PAIRS.map(([v, h]) =>
    fmt(ratioOf(perConnection(idle.get(v)), perConnection(idle.get(h)))),
  ).join(' / ');
  const dp = g.rss;
  const largest = dp === undefined ? undefined : Math.max(dp.supervisor ?? 0, ...dp.workers) / 1024;
  const rows = [
    ['goal (one run)', 'measured', 'target'],
    ['bulk TCP, vpcep ÷ haproxy, 1 / N threads', pair((p) => p?.a?.r.mbPerS), '≥ 1.2×'],
    ['new connections/s, vpcep ÷ haproxy, 1 / N threads', pair((p) => p?.b?.r.perS), '≥ 0.9×'],
    [
      `added p99 latency, API list storm ÷ API idle (median of ${g.storm.length})`,
      fmt(stormFigure(g.storm)),
      '≤ 1.2×',
    ],
    ['KiB per idle connection (slope), vpcep ÷ haproxy, 1 / N threads', idleRatio, '≤ 1.0×'],
    [
      'namespaces mode ÷ loopback mode (from sources), bulk / conn/s',
      g.namespaces === undefined
        ? '-'
        : 'unavailable' in g.namespaces
          ? '- (not measured, see n.)'
          : `${fmt(g.namespaces.bulk)} / ${fmt(g.namespaces.rate)}`,
      '≥ 0.8×',
    ],
    [
      'RSS of a data-plane-only process, idle (largest forwarder)',
      largest === undefined ? '-' : `${largest.toFixed(1)} MB`,
      '≤ 60 MB',
    ],
    // Not a forwarding process, but what a data-plane node also runs: said, not hidden.
    [
      '  the same node: controller (main) / whole node',
      dp === undefined
        ? '-'
        : `${(dp.main / 1024).toFixed(1)} MB / ` +
          `${((dp.main + (dp.supervisor ?? 0) + dp.workers.reduce((a, b) => a + b, 0)) / 1024).toFixed(1)} MB`,
      '-',
    ],
  ];
  return table(rows, 1);
}

export function rssLine(dp: DataplaneRss): string {
  const mb = (kib: number) => `${(kib / 1024).toFixed(1)} MB`;
  return (
    `main (controller, store, /metrics) ${mb(dp.main)}; supervisor ${dp.supervisor === undefined ? '-' : mb(dp.supervisor)}; ` +
    `workers ${dp.workers.map(mb).join(', ')}${dp.gc ? ' (after full GC)' : ' (raw)'}`
  );
}
