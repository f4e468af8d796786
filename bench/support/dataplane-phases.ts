// The measured phases of bench/dataplane.ts around the load generators: the
// CPU sampling at a window's edges, the pause between phases, figure (d)'s
// idle connections, and one figure on one path.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Backend, Storm } from './dataplane-children.ts';
import {
  bulkThroughput,
  connectionRate,
  echoEach,
  openIdle,
  roundTripLatency,
  type ClientAddresses,
  type Phase,
  type Target,
} from './dataplane-load.ts';
import {
  cpuSample,
  cpuSampleOf,
  cpuUse,
  machineSample,
  machineUse,
  rssKiB,
  type CpuSample,
  type MachineSample,
} from './dataplane-proc.ts';
import type { Figure, IdleResult, PathKey, PathResults, PhaseCpu, StormResult } from './dataplane-report.ts';

export interface PathDef {
  key: PathKey;
  label: string;
  sink: Target;
  echo: Target;
  /** The processes that forward, if the path has a proxy (asked at each sample: workers may restart). */
  proxyPids?: () => number[];
}

export interface Timing {
  warmupMs: number;
  seconds: number;
}

/** A measured window that samples the CPU of client, backend, proxy and the whole machine at its edges. */
export function phaseWith(
  timing: Timing,
  backend: Backend,
  path: PathDef,
): { phase: Phase; cpu: () => PhaseCpu } {
  let start: Record<string, CpuSample> = {};
  let end: Record<string, CpuSample> = {};
  let machine: MachineSample[] = [];
  const sampleAll = () => {
    const out: Record<string, CpuSample> = {
      client: cpuSample(process.pid),
      backend: cpuSample(backend.pid),
    };
    if (path.proxyPids) out.proxy = cpuSampleOf(path.proxyPids());
    return out;
  };
  return {
    phase: {
      warmupMs: timing.warmupMs,
      measureMs: timing.seconds * 1000,
      mark: (edge) => {
        if (edge === 'start') {
          start = sampleAll();
          machine = [machineSample()];
        } else {
          end = sampleAll();
          machine.push(machineSample());
        }
      },
    },
    cpu: () => ({
      client: cpuUse(start.client!, end.client!),
      backend: cpuUse(start.backend!, end.backend!),
      ...(start.proxy && end.proxy ? { proxy: cpuUse(start.proxy, end.proxy) } : {}),
      machine: machineUse(machine[0]!, machine[1]!),
    }),
  };
}

/** Waits (bounded) until the backend holds no connection, so one phase's teardown never overlaps the next. */
export async function settle(backend: Backend): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const s = await backend.stats();
    if (s.sinkSockets + s.echoSockets === 0) break;
    if (Date.now() > deadline) {
      console.warn(`  (backend still holds ${s.sinkSockets + s.echoSockets} connections after 10 s)`);
      break;
    }
    await sleep(50);
  }
  await sleep(200);
}

/** Steps of figure (d): RSS is read after each. */
export const IDLE_STEPS = 5;

/**
 * Figure (d): RSS of the proxy's processes (`pids`, summed) before and after
 * each of IDLE_STEPS steps that open `count` / IDLE_STEPS more idle
 * connections to the echo port. What one more idle connection costs is the
 * slope of RSS over the connections held from the first step to the last: the
 * first step also holds whatever a process grows by once (a young generation
 * growing to its bound, code compiled, pools), which depends on what it did
 * before, and single readings of a garbage-collected process move by a few
 * hundred KiB. The backend's own socket count proves the connections reach it
 * (not just the proxy's listener); a 1-byte echo on each then proves every
 * one carries data, and the RSS after it shows what forwarding buffers add.
 * With `collectGarbage` (vpcep), each reading is also taken after full GCs,
 * which is what the KiB/connection figures use: raw readings of a
 * garbage-collected heap move by tens of MB whenever V8 decides to shrink it.
 */
export async function idlePhase(
  backend: Backend,
  who: { key: PathKey; label: string },
  pids: readonly number[],
  echo: Target,
  count: number,
  clients: ClientAddresses,
  collectGarbage?: (pids: readonly number[]) => Promise<boolean>,
): Promise<IdleResult> {
  let gc = collectGarbage !== undefined;
  const rss = () => pids.reduce((n, pid) => n + rssKiB(pid), 0);
  const read = async (): Promise<{ raw: number; settled: number }> => {
    const raw = rss();
    if (gc && collectGarbage) gc = await collectGarbage(pids);
    if (!gc) return { raw, settled: raw };
    await sleep(200);
    return { raw, settled: rss() };
  };
  /** Waits (bounded) until the backend holds `n` connections; answers how many it holds. */
  const reached = async (n: number): Promise<number> => {
    const deadline = Date.now() + 15_000;
    let held = 0;
    while (Date.now() < deadline) {
      held = (await backend.stats()).echoSockets;
      if (held >= n) break;
      await sleep(50);
    }
    // Let the proxy finish whatever allocation the burst of accepts started.
    await sleep(1000);
    return held;
  };
  await settle(backend);
  await sleep(500);
  const before = await read();
  const sockets: Awaited<ReturnType<typeof openIdle>>['sockets'] = [];
  const steps: IdleResult['steps'] = [];
  let firstError: string | undefined;
  try {
    let backendSockets = 0;
    for (let step = 1; step <= IDLE_STEPS; step++) {
      const opened = await openIdle(echo, Math.round((count * step) / IDLE_STEPS) - sockets.length, clients);
      sockets.push(...opened.sockets);
      firstError ??= opened.firstError;
      backendSockets = await reached(sockets.length);
      const r = await read();
      steps.push({ connections: sockets.length, rss: r.settled, raw: r.raw });
    }
    const echoed = await echoEach(sockets);
    await sleep(500);
    const afterEcho = await read();
    return {
      key: who.key,
      label: who.label,
      count,
      opened: sockets.length,
      backendSockets,
      echoed,
      gc,
      before: { rss: before.settled, raw: before.raw },
      steps,
      echoedRss: afterEcho.settled,
      ...(firstError ? { firstError } : {}),
    };
  } finally {
    for (const s of sockets) s.destroy();
  }
}

export interface FigureSettings extends Timing {
  streams: number;
  concurrency: number;
}

/** Measures `figure` on `path` into `res`; returns a description of any traffic failure. */
export async function measureFigure(
  figure: Figure,
  path: PathDef,
  res: PathResults,
  settings: FigureSettings,
  backend: Backend,
  clients: ClientAddresses,
): Promise<string | undefined> {
  await settle(backend);
  const { phase, cpu } = phaseWith(settings, backend, path);
  if (figure === 'a') {
    const sinkBytes = async () => (await backend.stats()).sinkBytes;
    const r = await bulkThroughput(path.sink, settings.streams, phase, clients, sinkBytes);
    res.a = { r, cpu: cpu() };
    return r.errors > 0 ? `${path.label} bulk: ${r.errors} stream errors` : undefined;
  }
  if (figure === 'b') {
    const r = await connectionRate(path.echo, settings.concurrency, phase, clients);
    res.b = { r, cpu: cpu() };
    return r.errors > 0
      ? `${path.label} conn/s: ${r.errors} errors, first: ${r.firstError ?? '?'}`
      : undefined;
  }
  const r = await roundTripLatency(path.echo, phase, clients);
  res.c = { r, cpu: cpu() };
  return r.errors > 0 ? `${path.label} latency: ${r.errors} errors` : undefined;
}

/** What the storm phase needs from bench/dataplane.ts. */
export interface StormSetup {
  direct: PathDef;
  vpcep: PathDef;
  /** The process serving the API (vpcep's main process). */
  apiPid: number;
  start: () => Promise<Storm>;
}

/**
 * Latency through the endpoint (and direct, for the same machine load) with
 * the API idle, then while another process keeps asking the API for large
 * lists: the API's process is then as busy as it gets, and its event loop
 * blocks for the length of each list it builds.
 */
export async function stormPhase(
  timing: Timing,
  setup: StormSetup,
  clients: ClientAddresses,
): Promise<StormResult> {
  const quiet: Phase = { warmupMs: timing.warmupMs, measureMs: timing.seconds * 1000, mark: () => {} };
  const idle = {
    direct: await roundTripLatency(setup.direct.echo, quiet, clients),
    vpcep: await roundTripLatency(setup.vpcep.echo, quiet, clients),
  };
  const storm = await setup.start();
  try {
    await sleep(1000);
    const direct = await roundTripLatency(setup.direct.echo, quiet, clients);
    const before = await storm.stats();
    let cpu0: { api: CpuSample; client: CpuSample; dp: CpuSample; machine: MachineSample } | undefined;
    let cpu1: typeof cpu0;
    const sample = () => ({
      api: cpuSample(setup.apiPid),
      client: cpuSample(storm.pid),
      dp: cpuSampleOf(setup.vpcep.proxyPids?.() ?? []),
      machine: machineSample(),
    });
    const vpcep = await roundTripLatency(
      setup.vpcep.echo,
      { ...quiet, mark: (edge) => (edge === 'start' ? (cpu0 = sample()) : (cpu1 = sample())) },
      clients,
    );
    const after = await storm.stats();
    const seconds = timing.seconds + timing.warmupMs / 1000;
    const lists = after.requests - before.requests;
    return {
      idle,
      storm: { direct, vpcep },
      listsPerS: lists / seconds,
      listBytes: lists > 0 ? (after.bytes - before.bytes) / lists : 0,
      apiCpu: cpu0 && cpu1 ? cpuUse(cpu0.api, cpu1.api).total : 0,
      clientCpu: cpu0 && cpu1 ? cpuUse(cpu0.client, cpu1.client).total : 0,
      dataplaneCpu: cpu0 && cpu1 ? cpuUse(cpu0.dp, cpu1.dp).total : 0,
      machineBusy: cpu0 && cpu1 ? machineUse(cpu0.machine, cpu1.machine).busy : 0,
    };
  } finally {
    await storm.stop();
  }
}
