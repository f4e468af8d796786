// Pieces shared by the benchmark scripts: flag parsing, stopping child servers,
// medians, and the printed tables.
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { loadavg } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import type { RawResponse } from '../../test/support/http.ts';

/** The middle value (the mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return NaN;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function positiveInt(name: string, value: string | undefined, fallback: number, max: number): number {
  return intInRange(name, value, fallback, 1, max);
}

/** An integer option from `min` to `max`, or `fallback` when it is not given. */
export function intInRange(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  // Digits only: Number() would take '' as 0 and '0x10' or '1e1' as numbers.
  const n = /^\d{1,9}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`--${name} must be an integer from ${min} to ${max}, got '${value}'`);
  }
  return n;
}

/** SIGTERM, then SIGKILL if the child has not exited after 5 s: a bench must never leave servers behind. */
export async function stopChild(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = once(proc, 'exit');
  proc.stdin?.end();
  proc.kill('SIGTERM');
  const done = await Promise.race([exited.then(() => true), delay(5000).then(() => false)]);
  if (!done) {
    proc.kill('SIGKILL');
    await Promise.race([exited, delay(2000)]);
  }
}

export function describeResponse(res: Pick<RawResponse, 'status' | 'text'>): string {
  return `HTTP ${res.status} ${res.text.slice(0, 300)}`;
}

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function fmtMs(n: number): string {
  return n.toFixed(2);
}

export function fmtLoad(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

/** The first `left` columns are left-aligned, the rest right-aligned. */
export function table(rows: string[][], left = 2): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => (i < left ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export interface RoundResult {
  rps: number;
  p50: number;
  p99: number;
  total: number;
  bad: number;
}

/**
 * The table of a throughput run repeated over rounds, and the best round of
 * each case (the one the ratios use; p50/p99 are that round's).
 */
export function roundsTable<N extends string, M extends RoundResult>(
  cases: readonly { name: N; route: string }[],
  results: ReadonlyMap<N, M[]>,
  rounds: number,
): { text: string; best: Map<N, M> } {
  const best = new Map<N, M>();
  const rows: string[][] = [
    [
      'case',
      'route',
      ...Array.from({ length: rounds }, (_, i) => `round ${i + 1} req/s`),
      'best req/s',
      'p50 ms',
      'p99 ms',
      'requests',
      'non-2xx/err',
    ],
  ];
  for (const c of cases) {
    const runs = results.get(c.name)!;
    const top = runs.reduce((a, b) => (b.rps > a.rps ? b : a));
    best.set(c.name, top);
    rows.push([
      c.name,
      c.route,
      ...runs.map((r) => fmtInt(r.rps)),
      fmtInt(top.rps),
      fmtMs(top.p50),
      fmtMs(top.p99),
      fmtInt(runs.reduce((s, r) => s + r.total, 0)),
      String(runs.reduce((s, r) => s + r.bad, 0)),
    ]);
  }
  return { text: table(rows), best };
}
