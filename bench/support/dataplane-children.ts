// The child processes of bench/dataplane.ts: the backend (our own script) and
// the real vpcep server started through its CLI. Every child is registered
// here so that one call stops them all, and a synchronous SIGKILL on process
// exit covers the paths where nothing else ran (an uncaught error, the
// deadline). haproxy is started by test/support/haproxy.ts, which handles its
// own lifetime the same way.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { BackendReady, BackendStats } from './dataplane-backend.ts';
import { stopChild } from './report.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BACKEND_SCRIPT = join(ROOT, 'bench', 'support', 'dataplane-backend.ts');
const CLI = join(ROOT, 'src', 'cli', 'main.ts');
const GC_HOOK = join(ROOT, 'bench', 'support', 'dataplane-gc-hook.ts');
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

const children = new Set<ChildProcess>();

function running(c: ChildProcess): boolean {
  return c.exitCode === null && c.signalCode === null;
}

/** Synchronous last resort (process 'exit' handlers cannot wait). */
export function killChildrenNow(): void {
  for (const c of children) if (running(c)) c.kill('SIGKILL');
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
 * Spawns `node --import tsx <args>` in the repository root. On Linux the
 * command goes through `setpriv --pdeathsig SIGKILL`, which execs node (the
 * pid stays the server's, which /proc sampling needs) after asking the kernel
 * to kill it if the bench dies without running any handler (SIGKILL, OOM).
 */
function spawnNode(
  args: string[],
  env: NodeJS.ProcessEnv,
  stdin: 'pipe' | 'ignore',
  nodeFlags: string[] = [],
): Child {
  const node = [process.execPath, ...nodeFlags, '--import', 'tsx', ...args];
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
  const child = spawnNode([BACKEND_SCRIPT, '--host', host], process.env, 'pipe');
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

export interface VpcepProcess {
  pid: number;
  url: string;
  output: () => string;
  /** Full GCs in the server (bench/support/dataplane-gc-hook.ts); false if the hook is not there. */
  collectGarbage: () => Promise<boolean>;
}

/** `vpcep serve --config <file>`, the way an operator runs it. */
export async function startVpcep(configFile: string): Promise<VpcepProcess> {
  // The file alone decides: no VPCEP_* variable from the caller's shell may override it.
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('VPCEP_')) delete env[k];
  // The hook is TypeScript: it is imported after tsx, before the CLI.
  const child = spawnNode(['--import', GC_HOOK, CLI, 'serve', '--config', configFile], env, 'ignore', [
    '--expose-gc',
  ]);
  const m = await waitForLine(child, 'vpcep serve', /vpcep listening on (http:\/\/\S+)/, 60_000);
  return {
    pid: child.proc.pid!,
    url: m[1]!,
    output: child.output,
    async collectGarbage() {
      const done = waitForLine(child, 'vpcep gc hook', /^vpcep-bench-gc (\w+)$/, 10_000);
      child.proc.kill('SIGUSR2');
      return (await done)[1] === 'done';
    },
  };
}
