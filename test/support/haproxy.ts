/**
 * Runs a real haproxy from a config text, for interop tests and benchmarks.
 * Nothing here knows about a particular config: the caller writes it and says
 * which host:port pairs must accept connections before the instance counts as
 * started.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Distribution packages install haproxy in sbin, which a non-login PATH often lacks. */
const EXTRA_DIRS = ['/usr/sbin', '/usr/local/sbin', '/sbin'];

function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter((d) => d !== ''), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return path.resolve(candidate);
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

/** Absolute path of an executable haproxy on PATH or in the usual sbin directories, else undefined. */
export function haproxyPath(): string | undefined {
  return findExecutable('haproxy');
}

/** The first line of `haproxy -v`, e.g. "HAProxy version 2.6.12-1+deb12u4 2026/10/17 - ...". */
export function haproxyVersion(binary: string): string {
  const out = execFileSync(binary, ['-v'], { encoding: 'utf8', timeout: 5000 });
  return out.split('\n')[0]?.trim() ?? '';
}

export interface HostPort {
  host: string;
  port: number;
}

export interface StartHaproxyOptions {
  /** Default: haproxyPath(); the call fails if that finds nothing. */
  binary?: string;
  /** Addresses that must accept a TCP connection before startHaproxy() resolves. */
  waitFor?: HostPort[];
  /** Bound on process start plus all of `waitFor` accepting. Default 10 000 ms. */
  startTimeoutMs?: number;
  /** How long stop() waits after SIGTERM before it sends SIGKILL. Default 3 000 ms. */
  stopTimeoutMs?: number;
  /** Appended to the command line after `-db -f <config>`. */
  extraArgs?: string[];
  /** How much of haproxy's stdout+stderr to keep (the tail). Default 256 KiB. */
  maxOutputBytes?: number;
}

export interface RunningHaproxy {
  pid: number;
  /** The config file haproxy was started with (inside a private temp dir). */
  configPath: string;
  /** The kept tail of haproxy's stdout and stderr, interleaved as it arrived (e.g. `log stderr` lines). */
  output(): string;
  /** SIGTERM, then SIGKILL after stopTimeoutMs; removes the temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

function accepts({ host, port }: HostPort, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), ms);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Writes `configText` to a fresh temp dir and runs `haproxy -db -f <file>`
 * (foreground, no daemon, so the child's pid is haproxy itself and its exit
 * is observable). Resolves once every `waitFor` address accepts; rejects with
 * haproxy's output if it exits first or the start timeout passes.
 */
export async function startHaproxy(
  configText: string,
  opts: StartHaproxyOptions = {},
): Promise<RunningHaproxy> {
  const binary = opts.binary ?? haproxyPath();
  if (binary === undefined) throw new Error('haproxy not found on PATH or in ' + EXTRA_DIRS.join(', '));
  try {
    accessSync(binary, constants.X_OK);
  } catch {
    throw new Error(`haproxy binary ${binary} does not exist or is not executable`);
  }
  const waitFor = opts.waitFor ?? [];
  const startTimeoutMs = opts.startTimeoutMs ?? 10_000;
  const stopTimeoutMs = opts.stopTimeoutMs ?? 3_000;
  const maxOutput = opts.maxOutputBytes ?? 256 * 1024;

  // A listener that is already there would make the readiness probe below
  // succeed against someone else while haproxy fails to bind.
  for (const target of waitFor) {
    if (await accepts(target, 500)) {
      throw new Error(`${target.host}:${target.port} already accepts connections before haproxy started`);
    }
  }

  const dir = await mkdtemp(path.join(tmpdir(), 'vpcep-haproxy-'));
  const configPath = path.join(dir, 'haproxy.cfg');
  // haproxy 2.6 refuses a config whose last line lacks its LF ("file might have been truncated").
  await writeFile(configPath, configText.endsWith('\n') ? configText : `${configText}\n`);

  let output = '';
  const append = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
    if (output.length > maxOutput) output = output.slice(output.length - maxOutput);
  };
  const args = ['-db', '-f', configPath, ...(opts.extraArgs ?? [])];
  // A test process can die without running any handler of ours (the test
  // runner SIGKILLs its children when it is itself killed or loses its
  // stdout), which would orphan haproxy with its ports. On Linux, setpriv
  // sets a parent-death signal and then execs haproxy, so the child's pid is
  // still haproxy's and the kernel stops it whenever we go away.
  const setpriv = process.platform === 'linux' ? findExecutable('setpriv') : undefined;
  const [command, argv] =
    setpriv === undefined ? [binary, args] : [setpriv, ['--pdeathsig', 'SIGTERM', binary, ...args]];
  const child = spawn(command, argv, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  let spawnError: Error | undefined;
  child.on('error', (err) => (spawnError ??= err));
  const running = (): boolean =>
    child.pid !== undefined && child.exitCode === null && child.signalCode === null;

  // Covers a normal exit without stop() (process.exit, an uncaught error)
  // where setpriv is missing.
  const killOnExit = (): void => {
    if (running()) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (running()) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
        await exited(child);
        clearTimeout(timer);
      }
      process.removeListener('exit', killOnExit);
      await rm(dir, { recursive: true, force: true });
    })();
    return stopping;
  };

  const fail = async (why: string): Promise<never> => {
    await stop();
    const tail = output.trim() === '' ? '(no output)' : output.trim();
    throw new Error(`haproxy did not start: ${why}\n--- haproxy output ---\n${tail}`);
  };

  const pid = child.pid;
  if (pid === undefined) {
    // spawn() reports failures such as ENOENT asynchronously.
    await sleep(0);
    return fail(`could not run ${binary}: ${spawnError?.message ?? 'unknown error'}`);
  }

  const deadline = Date.now() + startTimeoutMs;
  for (const target of waitFor) {
    for (;;) {
      if (!running()) {
        // Let the last stderr chunk (usually the ALERT explaining why) arrive.
        await Promise.race([once(child, 'close'), sleep(1000)]);
        return fail(
          `exited with ${child.exitCode ?? child.signalCode} before ${target.host}:${target.port} accepted`,
        );
      }
      if (await accepts(target, 500)) break;
      if (Date.now() > deadline) {
        return fail(`${target.host}:${target.port} did not accept within ${startTimeoutMs} ms`);
      }
      await sleep(20);
    }
  }

  return { pid, configPath, output: () => output, stop };
}
