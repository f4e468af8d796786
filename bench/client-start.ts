// What a client command costs before it does anything: wall time of the built
// `vpcep` for `--help` and for `vpcs list` against an address nobody listens on
// (the command loads, reads its credentials, and fails to connect at once), as
// a ratio to a bare `node -e ''` measured in the same run, alternating the three.
//
// Usage:
//   node --import tsx bench/client-start.ts [--runs 10]
//
//   --runs N   runs per command (default 10); the table shows the medians
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BIN, ensureBuilt } from '../test/support/cli.ts';
import { fmtLoad, median, positiveInt, table } from './support/report.ts';

const CASES = {
  node: { label: "node -e ''", args: ['-e', ''], expect: 0 },
  help: { label: 'vpcep --help', args: [BIN, '--help'], expect: 0 },
  // Port 9 (discard) on loopback: refused at once, so the time is the command's own.
  list: { label: 'vpcep vpcs list (refused)', args: [BIN, 'vpcs', 'list'], expect: 1 },
} as const;
type Case = keyof typeof CASES;

function runOnce(c: Case, cwd: string): number {
  const started = performance.now();
  const run = spawnSync(process.execPath, CASES[c].args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      VPCEP_CONFIG: '',
      VPCEP_HOME: join(cwd, 'home'),
      VPCEP_ENDPOINT: 'http://127.0.0.1:9',
      HUAWEICLOUD_SDK_AK: 'BENCHAK0000000000000',
      HUAWEICLOUD_SDK_SK: 'BENCHSK0000000000000000000000000000000000',
      HUAWEICLOUD_SDK_PROJECT_ID: '6e9dfd51d1124e8d8498dce894923a0d',
    },
    timeout: 60_000,
  });
  const ms = performance.now() - started;
  if (run.status !== CASES[c].expect) {
    throw new Error(`${CASES[c].label}: exit ${run.status}, expected ${CASES[c].expect}:\n${run.stderr}`);
  }
  return ms;
}

function main(): void {
  const { values } = parseArgs({ options: { runs: { type: 'string' } } });
  const runs = positiveInt('runs', values.runs, 10, 1000);
  ensureBuilt();
  const cwd = mkdtempSync(join(tmpdir(), 'vpcep-bench-client-'));
  try {
    console.log(`vpcep client start, ${runs} runs per command (load ${fmtLoad()})`);
    const samples: Record<Case, number[]> = { node: [], help: [], list: [] };
    for (let i = 0; i < runs; i++) {
      for (const c of Object.keys(CASES) as Case[]) samples[c].push(runOnce(c, cwd));
    }
    const base = median(samples.node);
    const rows = [['command', 'ms (median)', 'ratio to node']];
    for (const c of Object.keys(CASES) as Case[]) {
      const ms = median(samples[c]);
      rows.push([CASES[c].label, ms.toFixed(0), (ms / base).toFixed(2)]);
    }
    console.log(table(rows, 1));
    console.log(`load afterwards ${fmtLoad()}`);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

main();
