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

/** CPU time (user + system) the process has used so far, in milliseconds; 0 once it is gone. */
export function cpuMsOf(pid: number): number {
  return ((statTicks(`/proc/${pid}/stat`) ?? 0) * 1000) / CLK_TCK;
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
  /** Every thread that used at least 2% of a core, busiest first. */
  threads: number[];
}

export function cpuUse(a: CpuSample, b: CpuSample): CpuUse {
  const seconds = (b.at - a.at) / 1000;
  if (seconds <= 0) return { total: 0, busiestThread: 0, threads: [] };
  const pct = (ticks: number) => (ticks / CLK_TCK / seconds) * 100;
  const threads = [...b.threads]
    .map(([tid, ticks]) => pct(ticks - (a.threads.get(tid) ?? 0)))
    .sort((x, y) => y - x);
  return {
    total: pct(b.total - a.total),
    busiestThread: threads[0] ?? 0,
    threads: threads.filter((t) => t >= 2),
  };
}

/** VmRSS of `pid` in KiB. */
export function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]);
}

export interface MachineSample {
  at: number;
  /** Ticks summed over all CPUs, from the first line of /proc/stat. */
  busy: number;
  softirq: number;
  steal: number;
}

/**
 * The whole machine's CPU time. Needed next to the per-process figures:
 * loopback TCP runs much of the receive path in softirq context, which a
 * kernel with IRQ time accounting charges to no process at all.
 */
export function machineSample(): MachineSample {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  // cpu user nice system idle iowait irq softirq steal guest guest_nice (guest time is inside user)
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return { at: performance.now(), busy: user + nice + system + irq + softirq, softirq, steal };
}

export interface MachineUse {
  /** All CPUs, in % of one core (2 cores: up to 200); time stolen by the hypervisor is apart. */
  busy: number;
  softirq: number;
  steal: number;
}

export function machineUse(a: MachineSample, b: MachineSample): MachineUse {
  const seconds = (b.at - a.at) / 1000;
  const pct = (ticks: number) => (seconds > 0 ? (ticks / CLK_TCK / seconds) * 100 : 0);
  return { busy: pct(b.busy - a.busy), softirq: pct(b.softirq - a.softirq), steal: pct(b.steal - a.steal) };
}

/** One sample of several processes taken together: totals add up, threads are pooled. */
export function cpuSampleOf(pids: readonly number[]): CpuSample {
  const samples = pids.map(cpuSample);
  const threads = new Map<string, number>();
  for (const s of samples) for (const [tid, t] of s.threads) threads.set(`${s.pid}/${tid}`, t);
  return {
    pid: pids[0] ?? 0,
    at: performance.now(),
    total: samples.reduce((n, s) => n + s.total, 0),
    threads,
  };
}
