// Runs the real `vpcep` command in a child process, as a user would, with the
// environment cleared of VPCEP_* settings (and the SDK's credential variables)
// that could leak in from the caller. `built` runs bin/vpcep.js over dist/,
// rebuilt first when a source is newer than the build.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'src/cli/main.ts');
export const BIN = join(ROOT, 'bin/vpcep.js');
const BUILT_MAIN = join(ROOT, 'dist/cli/main.js');
// Resolved here, not from the child's working directory, which may hold no node_modules.
const TSX = import.meta.resolve('tsx');

export interface CliOptions {
  /** Run bin/vpcep.js (the compiled JavaScript) instead of the sources through tsx. */
  built?: boolean;
  /** Written to the child's standard input, which is then closed. */
  input?: string;
}

/** The newest modification time of any file below `dir`. */
export function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

let built = false;

/** Builds dist/ (npm run build) unless it is newer than every source file. */
export function ensureBuilt(): void {
  if (built) return;
  let current: boolean;
  try {
    current = statSync(BUILT_MAIN).mtimeMs >= newestMtime(join(ROOT, 'src'));
  } catch {
    current = false;
  }
  if (!current) {
    const run = spawnSync(process.execPath, [join(ROOT, 'scripts/build.js')], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    if (run.status !== 0) throw new Error(`the build failed:\n${run.stdout}${run.stderr}`);
  }
  built = true;
}

/**
 * Commands started here that have not exited. A test file that ends early (a
 * failed test that never stopped its server, the runner's timeout, Ctrl-C)
 * must not leave them running with their ports, sockets and files.
 */
const unfinished = new Set<ChildProcess>();
let reaping = false;

function killUnfinished(): void {
  for (const child of unfinished) child.kill('SIGKILL');
}

function track(child: ChildProcess): void {
  if (!reaping) {
    reaping = true;
    process.on('exit', killUnfinished);
    for (const [signal, code] of [
      ['SIGTERM', 143],
      ['SIGINT', 130],
    ] as const) {
      process.once(signal, () => {
        killUnfinished();
        process.exit(code);
      });
    }
  }
  unfinished.add(child);
  child.once('exit', () => unfinished.delete(child));
}

export function runCli(args: string[], cwd?: string, env: NodeJS.ProcessEnv = {}, opts: CliOptions = {}) {
  if (opts.built) ensureBuilt();
  const entry = opts.built ? [BIN] : ['--import', TSX, CLI];
  const child = spawn(process.execPath, [...entry, ...args], {
    ...(cwd !== undefined ? { cwd } : {}),
    // An ephemeral DNS port so that parallel runs (or a developer's own vpcep) do not collide.
    env: {
      ...process.env,
      VPCEP_CONFIG: '',
      VPCEP_LISTEN: '',
      VPCEP_DATABASE_URL: '',
      VPCEP_ROLES: '',
      VPCEP_METRICS_LISTEN: '',
      VPCEP_LOG_LEVEL: '',
      VPCEP_LOG_FORMAT: '',
      VPCEP_DNS_LISTEN: '127.0.0.1:0',
      VPCEP_ENDPOINT: '',
      VPCEP_HOME: '',
      HUAWEICLOUD_SDK_AK: '',
      HUAWEICLOUD_SDK_SK: '',
      HUAWEICLOUD_SDK_PROJECT_ID: '',
      ...env,
    },
    stdio: [opts.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  track(child);
  if (opts.input !== undefined) child.stdin?.end(opts.input);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  // After the exit and the end of both output streams: everything printed has been read.
  const closed = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  return { child, exited, closed, output: () => out, errors: () => err };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (killed after `timeoutMs`, so no test hangs). */
export async function cli(
  args: string[],
  opts: CliOptions & { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<CliResult> {
  const p = runCli(args, opts.cwd, opts.env, opts);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
  try {
    const code = await p.closed;
    return { code, stdout: p.output(), stderr: p.errors() };
  } finally {
    clearTimeout(timer);
  }
}

/** The official SDKs' credential variables (and the endpoint) for `account` of a test server at `url`. */
export function sdkEnv(
  url: string,
  account: { ak: string; sk: string; projectId: string },
): NodeJS.ProcessEnv {
  return {
    VPCEP_ENDPOINT: url,
    HUAWEICLOUD_SDK_AK: account.ak,
    HUAWEICLOUD_SDK_SK: account.sk,
    HUAWEICLOUD_SDK_PROJECT_ID: account.projectId,
  };
}
