// The child servers of bench/api-speed.ts (the bare fastify route and vpcep),
// started and stopped by one harness, which also carries the load and the
// interruption of the run.
import type { ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Options } from './api-speed-options.ts';
import { BenchHarness } from './harness.ts';
import type { ChildReady } from './vpcep-api-child.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const BARE_CHILD = join(HERE, 'serve-child.ts');
const VPCEP_CHILD = join(HERE, 'vpcep-api-child.ts');

export const harness = new BenchHarness();

/** Whether the run was interrupted: a series of requests stops between two of them. */
export const interrupted = (): boolean => harness.interrupted;

export async function spawnBare(): Promise<string> {
  const { line: url } = await harness.spawnChild('bare', BARE_CHILD, ['bare'], 30_000);
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(url)) throw new Error(`bare server printed '${url}'`);
  return url;
}

export interface VpcepChild {
  proc: ChildProcess;
  ready: ChildReady;
}

export async function spawnVpcep(
  opts: Pick<Options, 'silent'>,
  label: string,
  database: string,
  endpoints: number,
  /** A built main.js to run instead of these sources (vpcep-api-child.ts --main). */
  main?: string,
): Promise<VpcepChild> {
  const { proc, line } = await harness.spawnChild(
    label,
    VPCEP_CHILD,
    [
      '--database',
      database,
      '--endpoints',
      String(endpoints),
      ...(opts.silent ? ['--silent'] : []),
      ...(main !== undefined ? ['--main', main] : []),
    ],
    120_000,
  );
  const ready = JSON.parse(line) as ChildReady;
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(ready.url)) throw new Error(`${label} server printed '${line}'`);
  if (ready.endpoints !== endpoints) throw new Error(`${label} server holds ${ready.endpoints} endpoints`);
  return { proc, ready };
}
