// Tables and bound guesses of bench/dataplane.ts. Nothing here measures: it
// turns results and CPU readings into what gets printed.
import type { CpuUse } from './dataplane-proc.ts';
import type { LatencyResult, RateResult, ThroughputResult } from './dataplane-load.ts';
import { fmtInt, table } from './report.ts';

export type PathKey = 'direct' | 'vpcep' | 'haproxy1' | 'haproxy2';
export type Figure = 'a' | 'b' | 'c';

/** CPU of each process during one measured window, in % of one core. */
export interface PhaseCpu {
  client: CpuUse;
  backend: CpuUse;
  proxy?: CpuUse;
}

export interface PathResults {
  key: PathKey;
  label: string;
  a?: { r: ThroughputResult; cpu: PhaseCpu };
  b?: { r: RateResult; cpu: PhaseCpu };
  c?: { r: LatencyResult; cpu: PhaseCpu };
}

/** A thread at or above this share of a core counts as saturated (sampling is at 10 ms ticks). */
const SATURATED = 85;

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
  if (cpu.proxy && cpu.proxy.busiestThread >= SATURATED) parts.push(`proxy thread ${pct(cpu.proxy.busiestThread)}`);
  if (cpu.client.busiestThread >= SATURATED) parts.push(`client thread ${pct(cpu.client.busiestThread)}`);
  if (cpu.backend.busiestThread >= SATURATED) parts.push(`backend thread ${pct(cpu.backend.busiestThread)}`);
  const sum = cpu.client.total + cpu.backend.total + (cpu.proxy?.total ?? 0);
  if (sum >= 170) parts.push(`both CPUs busy (${pct(sum)})`);
  if (parts.length > 0) return parts.join(' + ');
  return figure === 'c'
    ? 'serial round trips: wake-ups + per-hop work'
    : 'no CPU saturated: per-connection latency';
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

function ratio(a: number | undefined, b: number | undefined): string {
  return a === undefined || b === undefined || b === 0 ? '-' : `${(a / b).toFixed(2)}×`;
}

/** vpcep/direct and vpcep/<each haproxy>: higher is better for a and b, lower for c. */
export function ratioLines(paths: readonly PathResults[]): string[] {
  const vpcep = paths.find((p) => p.key === 'vpcep');
  if (!vpcep) return [];
  return paths
    .filter((p) => p.key !== 'vpcep')
    .map(
      (other) =>
        `vpcep/${other.label}: `.padEnd(30) +
        `throughput ${ratio(vpcep.a?.r.mbPerS, other.a?.r.mbPerS)}  ` +
        `conn/s ${ratio(vpcep.b?.r.perS, other.b?.r.perS)}  ` +
        `latency p50 ${ratio(vpcep.c?.r.p50, other.c?.r.p50)}  p99 ${ratio(vpcep.c?.r.p99, other.c?.r.p99)}`,
    );
}

/** CPU per process and phase, the bound each figure hit, and what went wrong (errors, samples). */
export function cpuTable(paths: readonly PathResults[]): string {
  const rows: string[][] = [
    [
      'phase',
      'path',
      'proxy CPU%',
      'proxy busiest thread%',
      'client CPU%',
      'backend CPU%',
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
        f === 'a' ? '-' : f === 'b' ? fmtInt((m.r as RateResult).completed) : fmtInt((m.r as LatencyResult).count);
      rows.push([
        names[f],
        p.label,
        cell(m.cpu.proxy?.total),
        cell(m.cpu.proxy?.busiestThread),
        cell(m.cpu.client.total),
        cell(m.cpu.backend.total),
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
  label: string;
  count: number;
  opened: number;
  backendSockets: number;
  rssBefore: number;
  rssIdle: number;
  echoed: number;
  rssEchoed: number;
  firstError?: string;
}

export function idleTable(rows: readonly IdleResult[]): string {
  const out: string[][] = [
    [
      'proxy process',
      'opened',
      'backend sockets',
      'RSS before KiB',
      'RSS idle KiB',
      'KiB/conn',
      'echoed 1 B',
      'RSS after echo KiB',
      'KiB/conn',
    ],
  ];
  for (const r of rows) {
    out.push([
      r.label,
      `${fmtInt(r.opened)}/${fmtInt(r.count)}`,
      fmtInt(r.backendSockets),
      fmtInt(r.rssBefore),
      fmtInt(r.rssIdle),
      ((r.rssIdle - r.rssBefore) / r.count).toFixed(2),
      fmtInt(r.echoed),
      fmtInt(r.rssEchoed),
      ((r.rssEchoed - r.rssBefore) / r.count).toFixed(2),
    ]);
  }
  return table(out, 1);
}
