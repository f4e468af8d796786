// What a process costs, read from Linux /proc: CPU time per process and per
// thread (to tell a saturated single-threaded proxy from one that waits), and
// resident memory.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** Clock ticks per second of utime/stime; 100 on every common Linux build, asked once anyway. */
export const CLK_TCK: number = (() => {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 2000 }).trim());
    return Number.isInteger(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();

/** utime + stime in ticks from a /proc/.../stat file, or undefined if it vanished. */
function statTicks(path: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may contain spaces: split after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
  return Number(rest[11]) + Number(rest[12]);
}

export interface CpuSample {
  pid: number;
  at: number;
  total: number;
  threads: Map<string, number>;
}

export function cpuSample(pid: number): CpuSample {
  const threads = new Map<string, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    // process gone: an empty sample
  }
  for (const tid of tids) {
    const t = statTicks(`/proc/${pid}/task/${tid}/stat`);
    if (t !== undefined) threads.set(tid, t);
  }
  return { pid, at: performance.now(), total: statTicks(`/proc/${pid}/stat`) ?? 0, threads };
}

export interface CpuUse {
  /** The whole process, in % of one core (may exceed 100). */
  total: number;
  /** Its busiest thread, in % of one core: near 100 means a single-threaded component is saturated. */
  busiestThread: number;
}

export function cpuUse(a: CpuSample, b: CpuSample): CpuUse {
  const seconds = (b.at - a.at) / 1000;
  if (seconds <= 0) return { total: 0, busiestThread: 0 };
  const pct = (ticks: number) => (ticks / CLK_TCK / seconds) * 100;
  let busiest = 0;
  for (const [tid, ticks] of b.threads) busiest = Math.max(busiest, ticks - (a.threads.get(tid) ?? 0));
  return { total: pct(b.total - a.total), busiestThread: pct(busiest) };
}

/** VmRSS of `pid` in KiB. */
export function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]);
}
