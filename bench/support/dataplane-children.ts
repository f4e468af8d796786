// The child processes of bench/dataplane.ts: the backend (our own script), the
// API storm client, and real vpcep servers started through their CLI. Every
// child is registered here so that one call stops them all, and a synchronous
// SIGKILL on process exit covers the paths where nothing else ran (an uncaught
// error, the deadline). haproxy is started by test/support/haproxy.ts, which
// handles its own lifetime the same way.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BackendReady, BackendStats } from './dataplane-backend.ts';
import { descendantsOf } from '../../test/support/processes.ts';
import { stopChild } from './report.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BACKEND_SCRIPT = join(ROOT, 'bench', 'support', 'dataplane-backend.ts');
const STORM_SCRIPT = join(ROOT, 'bench', 'support', 'dataplane-storm.ts');
const CLI_SOURCE = join(ROOT, 'src', 'cli', 'main.ts');
const GC_HOOK = join(ROOT, 'bench', 'support', 'dataplane-gc-hook.ts');
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

const children = new Set<ChildProcess>();

function running(c: ChildProcess): boolean {
  return c.exitCode === null && c.signalCode === null;
}

/** Synchronous last resort (process 'exit' handlers cannot wait). */
export function killChildrenNow(): void {
  for (const c of children) killTreeNow(c);
}

/**
 * SIGKILL to a running child and everything under it, at once: a server's own
 * children (its data plane's processes) would exit with it only a moment later,
 * and what `vpcep exec` started would not.
 */
export function killTreeNow(c: ChildProcess): void {
  if (!running(c)) return;
  for (const pid of c.pid === undefined ? [] : descendantsOf(c.pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  c.kill('SIGKILL');
}

/** SIGTERM each child, SIGKILL what has not exited after 5 s. */
export async function stopChildren(): Promise<void> {
  await Promise.all([...children].map((c) => stopChild(c)));
  children.clear();
}

interface Child {
  proc: ChildProcess;
  /** One reader of the child's stdout lines, shared by every waiter (and draining the pipe). */
  lines: Interface;
  /** The last 8 KiB the child printed on stdout and stderr, for error messages. */
  output: () => string;
}

/**
 * Spawns `node <nodeFlags> <args>` in the repository root. On Linux the
 * command goes through `setpriv --pdeathsig SIGKILL`, which execs node (the
 * pid stays the server's, which /proc sampling needs) after asking the kernel
 * to kill it if the bench dies without running any handler (SIGKILL, OOM).
 */
function spawnNode(
  args: string[],
  env: NodeJS.ProcessEnv,
  stdin: 'pipe' | 'ignore',
  nodeFlags: string[],
): Child {
  const node = [process.execPath, ...nodeFlags, ...args];
  const [cmd, argv] = SETPRIV ? [SETPRIV, ['--pdeathsig', 'SIGKILL', ...node]] : [node[0]!, node.slice(1)];
  const proc = spawn(cmd, argv, { cwd: ROOT, env, stdio: [stdin, 'pipe', 'pipe'] });
  children.add(proc);
  let out = '';
  const add = (d: Buffer) => {
    out = (out + d.toString('utf8')).slice(-8192);
  };
  proc.stderr!.on('data', add);
  proc.stdout!.on('data', add);
  return { proc, lines: createInterface({ input: proc.stdout! }), output: () => out.trim() || '(no output)' };
}

/** Resolves with the first stdout line matching `pattern`; rejects on exit or after `ms`. */
function waitForLine(child: Child, label: string, pattern: RegExp, ms: number): Promise<RegExpExecArray> {
  const { proc, lines, output } = child;
  if (!running(proc)) return Promise.reject(new Error(`${label}: the process has exited:\n${output()}`));
  return new Promise<RegExpExecArray>((resolve, reject) => {
    const done = (err: Error | undefined, m?: RegExpExecArray) => {
      clearTimeout(timer);
      lines.off('line', onLine);
      proc.off('exit', onExit);
      proc.off('error', done);
      if (err) reject(err);
      else resolve(m!);
    };
    const onLine = (line: string) => {
      const m = pattern.exec(line);
      if (m) done(undefined, m);
    };
    const onExit = (code: number | null, signal: string | null) =>
      done(new Error(`${label}: exited (code ${code}, signal ${signal}) while waiting:\n${output()}`));
    const timer = setTimeout(
      () => done(new Error(`${label}: no answer within ${ms / 1000} s:\n${output()}`)),
      ms,
    );
    lines.on('line', onLine);
    proc.on('exit', onExit);
    proc.on('error', done);
  });
}

export interface Backend {
  pid: number;
  sinkPort: number;
  echoPort: number;
  echo2Port: number;
  /** The backend's counters, asked over its stdin. */
  stats(): Promise<BackendStats>;
}

export async function startBackend(host: string): Promise<Backend> {
  const child = spawnNode([BACKEND_SCRIPT, '--host', host], process.env, 'pipe', ['--import', 'tsx']);
  const { proc } = child;
  const first = await waitForLine(child, 'backend', /^\{.*"sinkPort".*\}$/, 30_000);
  const ready = JSON.parse(first[0]) as BackendReady;
  return {
    pid: proc.pid!,
    sinkPort: ready.sinkPort,
    echoPort: ready.echoPort,
    echo2Port: ready.echo2Port,
    async stats() {
      // The backend answers each "stats" line with one line, in order; one query at a time here.
      const answer = waitForLine(child, 'backend stats', /^\{.*"sinkBytes".*\}$/, 10_000);
      proc.stdin!.write('stats\n');
      return JSON.parse((await answer)[0]) as BackendStats;
    },
  };
}

/**
 * How vpcep runs: from a build (`dist`: a directory holding cli/main.js, as
 * `npm ci` makes it) or from the TypeScript sources through tsx.
 */
export interface ServerForm {
  dist: string | undefined;
  /** Where the bench may write the JavaScript form of its GC hook. */
  scratch: string;
}

/** The node flags and CLI entry of `form`: the GC hook preloaded (as JavaScript for a build). */
async function serverCommand(form: ServerForm): Promise<{ flags: string[]; cli: string }> {
  if (form.dist === undefined) {
    return { flags: ['--expose-gc', '--import', 'tsx', '--import', GC_HOOK], cli: CLI_SOURCE };
  }
  // A built server runs without tsx: its hook must be JavaScript too.
  const js = join(form.scratch, 'dataplane-gc-hook.mjs');
  if (!existsSync(js)) {
    const { default: ts } = await import('typescript');
    const out = ts.transpileModule(readFileSync(GC_HOOK, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    writeFileSync(js, out.outputText);
  }
  return {
    flags: ['--expose-gc', '--import', pathToFileURL(js).href],
    cli: join(form.dist, 'cli', 'main.js'),
  };
}

export interface VpcepProcess {
  pid: number;
  url: string;
  output: () => string;
  /** Its data-plane processes (the supervisor first), as /proc shows them now. */
  dataplanePids: () => number[];
  /** Full GCs in each of `pids` (bench/support/dataplane-gc-hook.ts); false if a hook did not answer. */
  collectGarbage: (pids: readonly number[]) => Promise<boolean>;
  stop: () => Promise<void>;
}

/** `vpcep serve --config <file> [extra]`, the way an operator runs it. */
export async function startVpcep(
  configFile: string,
  form: ServerForm,
  extra: string[] = [],
): Promise<VpcepProcess> {
  // The file alone decides: no VPCEP_* variable from the caller's shell may override it.
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('VPCEP_')) delete env[k];
  const { flags, cli } = await serverCommand(form);
  const child = spawnNode([cli, 'serve', '--config', configFile, ...extra], env, 'ignore', flags);
  const m = await waitForLine(child, 'vpcep serve', /vpcep listening on (http:\/\/\S+)/, 60_000);
  const pid = child.proc.pid!;
  return {
    pid,
    url: m[1]!,
    output: child.output,
    dataplanePids: () => descendantsOf(pid),
    async collectGarbage(pids) {
      const answers = pids.map((p) =>
        waitForLine(child, `vpcep gc hook ${p}`, new RegExp(`^vpcep-bench-gc (\\w+) ${p}$`), 10_000),
      );
      for (const p of pids) process.kill(p, 'SIGUSR2');
      return (await Promise.all(answers)).every((a) => a[1] === 'done');
    },
    async stop() {
      await stopChild(child.proc);
      children.delete(child.proc);
    },
  };
}

export interface Storm {
  pid: number;
  /** Requests answered and bytes read so far. */
  stats(): Promise<{ requests: number; bytes: number; errors: number }>;
  stop(): Promise<void>;
}

/** The API list storm: bench/support/dataplane-storm.ts against `url` + `path`. */
export async function startStorm(
  url: string,
  token: string,
  path: string,
  concurrency: number,
  nice: number,
): Promise<Storm> {
  const child = spawnNode(
    [
      STORM_SCRIPT,
      '--url',
      url,
      '--path',
      path,
      '--concurrency',
      String(concurrency),
      '--nice',
      String(nice),
    ],
    { ...process.env, VPCEP_BENCH_TOKEN: token },
    'pipe',
    ['--import', 'tsx'],
  );
  await waitForLine(child, 'storm', /^storm ready$/, 30_000);
  return {
    pid: child.proc.pid!,
    async stats() {
      const answer = waitForLine(child, 'storm stats', /^\{.*"requests".*\}$/, 10_000);
      child.proc.stdin!.write('stats\n');
      return JSON.parse((await answer)[0]) as { requests: number; bytes: number; errors: number };
    },
    async stop() {
      await stopChild(child.proc);
      children.delete(child.proc);
    },
  };
}
