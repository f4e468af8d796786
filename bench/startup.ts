// What the compiled server saves: time from spawning `vpcep serve` until its
// "listening" line, and its resident memory once idle, run through tsx (the
// sources, as before the build step) and as built JavaScript (bin/vpcep.js),
// each on an empty store in a fresh temporary folder, alternating the two.
//
// Usage:
//   node --import tsx bench/startup.ts [--runs 5] [--idle 2]
//
//   --runs N   starts per mode (default 5); the table shows the medians
//   --idle N   seconds to wait after "listening" before reading VmRSS (default 2)
//
// Both modes do the same first-start work (migrations, demo account with its
// scrypt hash, public services), so the difference is loading the code. Linux
// only (VmRSS from /proc). The default run takes about a minute.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { BIN, ensureBuilt, ROOT } from '../test/support/cli.ts';
import { rssKiB } from './support/dataplane-proc.ts';
import { fmtLoad, median, positiveInt, stopChild, table } from './support/report.ts';

const MODES = {
  // Resolved here: the child runs in an empty folder with no node_modules.
  tsx: ['--import', import.meta.resolve('tsx'), join(ROOT, 'src', 'cli', 'main.ts')],
  built: [BIN],
} as const;
type Mode = keyof typeof MODES;

interface Sample {
  startMs: number;
  rssKiB: number;
}

async function startOnce(mode: Mode, idleMs: number): Promise<Sample> {
  const dir = mkdtempSync(join(tmpdir(), 'vpcep-bench-startup-'));
  const started = performance.now();
  const child = spawn(process.execPath, [...MODES[mode], 'serve', '--listen', '127.0.0.1:0'], {
    cwd: dir,
    // tsx is resolved from the repository (the child runs in an empty folder).
    env: {
      ...process.env,
      NODE_PATH: join(ROOT, 'node_modules'),
      VPCEP_DNS_LISTEN: '127.0.0.1:0',
      VPCEP_CONFIG: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    const startMs = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(
        () => reject(new Error(`${mode}: no listening line after 60 s:\n${out}`)),
        60_000,
      );
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (/vpcep listening on /.test(out)) {
          clearTimeout(timer);
          resolve(performance.now() - started);
        }
      });
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.on('exit', (code) => reject(new Error(`${mode}: exited with ${code} before listening:\n${out}`)));
    });
    await delay(idleMs);
    return { startMs, rssKiB: rssKiB(child.pid!) };
  } finally {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string' }, idle: { type: 'string' } } });
  const runs = positiveInt('runs', values.runs, 5, 100);
  const idleMs = positiveInt('idle', values.idle, 2, 60) * 1000;
  ensureBuilt();
  console.log(`vpcep serve startup, ${runs} runs per mode (load ${fmtLoad()})`);
  const samples: Record<Mode, Sample[]> = { tsx: [], built: [] };
  for (let i = 0; i < runs; i++) {
    for (const mode of Object.keys(MODES) as Mode[]) samples[mode].push(await startOnce(mode, idleMs));
  }
  const start = (m: Mode) => median(samples[m].map((s) => s.startMs));
  const rss = (m: Mode) => median(samples[m].map((s) => s.rssKiB)) / 1024;
  const rows = [
    ['mode', 'command', 'start ms (median)', 'RSS MiB idle (median)'],
    ['tsx', 'node --import tsx src/cli/main.ts serve', start('tsx').toFixed(0), rss('tsx').toFixed(1)],
    ['built', 'node bin/vpcep.js serve', start('built').toFixed(0), rss('built').toFixed(1)],
    [
      'ratio',
      'built / tsx',
      (start('built') / start('tsx')).toFixed(2),
      (rss('built') / rss('tsx')).toFixed(2),
    ],
  ];
  console.log(table(rows, 2));
  console.log(`load afterwards ${fmtLoad()}`);
}

await main();
