// The child processes of bench/dataplane.ts: the backend (our own script) and
// the real vpcep server started through its CLI. Every child is registered
// here so that one call stops them all, and a synchronous SIGKILL on process
// exit covers the paths where nothing else ran (an uncaught error, the
// deadline). haproxy is started by test/support/haproxy.ts, which handles its
// own lifetime the same way.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { BackendReady, BackendStats } from './dataplane-backend.ts';
import { stopChild } from './report.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BACKEND_SCRIPT = join(ROOT, 'bench', 'support', 'dataplane-backend.ts');
const CLI = join(ROOT, 'src', 'cli', 'main.ts');
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

/**
 * Spawns `node --import tsx <args>` in the repository root. On Linux the
 * command goes through `setpriv --pdeathsig SIGKILL`, which execs node (the
 * pid stays the server's, which /proc sampling needs) after asking the kernel
 * to kill it if the bench dies without running any handler (SIGKILL, OOM).
 */
function spawnNode(args: string[], env: NodeJS.ProcessEnv, stdin: 'pipe' | 'ignore'): ChildProcess {
  const node = [process.execPath, '--import', 'tsx', ...args];
  const [cmd, argv] = SETPRIV ? [SETPRIV, ['--pdeathsig', 'SIGKILL', ...node]] : [node[0]!, node.slice(1)];
  const proc = spawn(cmd, argv, { cwd: ROOT, env, stdio: [stdin, 'pipe', 'pipe'] });
  children.add(proc);
  return proc;
}

/** Keeps the last 8 KiB a child printed, for error messages. */
function tail(proc: ChildProcess): () => string {
  let out = '';
  const add = (d: Buffer) => {
    out = (out + d.toString('utf8')).slice(-8192);
  };
  proc.stderr?.on('data', add);
  proc.stdout?.on('data', add);
  return () => out.trim() || '(no output)';
}

/** Resolves with the first stdout line matching `pattern`; rejects on exit or after `ms`. */
function waitForLine(
  proc: ChildProcess,
  label: string,
  pattern: RegExp,
  ms: number,
  output: () => string,
): Promise<RegExpExecArray> {
  const lines = createInterface({ input: proc.stdout! });
  return new Promise<RegExpExecArray>((resolve, reject) => {
    const done = (err: Error | undefined, m?: RegExpExecArray) => {
      clearTimeout(timer);
      lines.off('line', onLine);
      proc.off('exit', onExit);
      if (err) reject(err);
      else resolve(m!);
    };
    const onLine = (line: string) => {
      const m = pattern.exec(line);
      if (m) done(undefined, m);
    };
    const onExit = (code: number | null, signal: string | null) =>
      done(new Error(`${label} exited (code ${code}, signal ${signal}) before it was ready:\n${output()}`));
    const timer = setTimeout(
      () => done(new Error(`${label} not ready within ${ms / 1000} s:\n${output()}`)),
      ms,
    );
    lines.on('line', onLine);
    proc.once('exit', onExit);
    proc.once('error', (err) => done(err));
  });
}

export interface Backend {
  pid: number;
  sinkPort: number;
  echoPort: number;
  /** The backend's counters, asked over its stdin. */
  stats(): Promise<BackendStats>;
}

export async function startBackend(host: string): Promise<Backend> {
  const proc = spawnNode([BACKEND_SCRIPT, '--host', host], process.env, 'pipe');
  const first = await waitForLine(proc, 'backend', /^\{.*"sinkPort".*\}$/, 30_000, tail(proc));
  const ready = JSON.parse(first[0]) as BackendReady;
  // Every later stdout line answers the oldest outstanding "stats".
  const pending: ((s: BackendStats) => void)[] = [];
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    if (line.includes('"sinkBytes"')) pending.shift()?.(JSON.parse(line) as BackendStats);
  });
  return {
    pid: proc.pid!,
    sinkPort: ready.sinkPort,
    echoPort: ready.echoPort,
    stats: () =>
      new Promise<BackendStats>((resolve, reject) => {
        if (!running(proc)) {
          reject(new Error('the backend exited'));
          return;
        }
        const timer = setTimeout(() => reject(new Error('backend stats: no answer within 10 s')), 10_000);
        pending.push((s) => {
          clearTimeout(timer);
          resolve(s);
        });
        proc.stdin!.write('stats\n');
      }),
  };
}

export interface VpcepProcess {
  pid: number;
  url: string;
  output(): string;
}

/** `vpcep serve --config <file>`, the way an operator runs it. */
export async function startVpcep(configFile: string): Promise<VpcepProcess> {
  // The file alone decides: no VPCEP_* variable from the caller's shell may override it.
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('VPCEP_')) delete env[k];
  const proc = spawnNode([CLI, 'serve', '--config', configFile], env, 'ignore');
  const output = tail(proc);
  const m = await waitForLine(proc, 'vpcep serve', /vpcep listening on (http:\/\/\S+)/, 60_000, output);
  return { pid: proc.pid!, url: m[1]!, output };
}
