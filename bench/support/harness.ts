// What the two API benchmarks (api-auth, vpcep-api) share: their server
// children, SIGINT/SIGTERM handling, the autocannon run with its watchdog, and
// how a run ends (failures reported, exit code set).
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { stopChild } from './report.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Measured {
  rps: number;
  p50: number;
  p99: number;
  total: number;
  /**
   * Requests sent, answered or not: a run stopped by its duration leaves about
   * one in flight per connection, which the server may still carry out.
   */
  sent: number;
  /** Non-2xx responses, socket errors (timeouts included) and body mismatches. */
  bad: number;
  ok: number;
  /** Socket errors and timeouts: requests sent that got no response. */
  errors: number;
  seconds: number;
  detail: string;
}

export interface LoadSpec {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string | undefined;
  connections: number;
  /** How long the run lasts. */
  seconds: number;
  /**
   * At most this many requests (creates, which each use up an address): a bound,
   * not the measure. A run of a fixed count would end with its slowest request,
   * and on new connections the slowest are the first: while the first of 50
   * connections cycle, the last to be served wait 100–450 ms for their first
   * answer (seen against a bare fastify route too), which in a run of 500
   * creates was half of the run.
   */
  cap?: number;
}

export class BenchHarness {
  /** Set by the first SIGINT/SIGTERM; loops check it between steps. */
  interrupted = false;
  readonly children = new Set<ChildProcess>();
  #currentLoad: autocannon.Instance | undefined;

  /** The first signal stops the running load and marks the run interrupted; a second exits at once. */
  handleSignals(): void {
    const onSignal = (signal: NodeJS.Signals) => {
      if (this.interrupted) process.exit(130);
      console.error(`\n${signal}: stopping…`);
      this.interrupted = true;
      this.#currentLoad?.stop();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }

  /** The last line of defence: whatever happens, the run ends after `ms`, children killed. */
  deadline(ms: number, cleanup: () => void): void {
    setTimeout(() => {
      console.error(`bench: still running after ${ms / 1000} s, killing everything`);
      for (const c of this.children) c.kill('SIGKILL');
      cleanup();
      process.exit(1);
    }, ms).unref();
  }

  /** Throws when the run was interrupted, so a loop stops between two loads. */
  checkInterrupted(): void {
    if (this.interrupted) throw new Error('interrupted');
  }

  /** Starts `script` under tsx and resolves with its first stdout line (its ready signal). */
  async spawnChild(
    label: string,
    script: string,
    args: string[],
    timeoutMs: number,
  ): Promise<{ proc: ChildProcess; line: string }> {
    const proc = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.children.add(proc);
    const lines = createInterface({ input: proc.stdout });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${label} server did not start within ${timeoutMs / 1000} s`)),
          timeoutMs,
        );
        lines.once('line', (line) => {
          clearTimeout(timer);
          resolve(line.trim());
        });
        proc.once('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
        proc.once('exit', (code, signal) => {
          clearTimeout(timer);
          reject(new Error(`${label} server exited (code ${code}, signal ${signal}) before it was ready`));
        });
      });
      return { proc, line };
    } finally {
      // Keep draining stdout so the child can never block on a full pipe.
      lines.on('line', () => undefined);
    }
  }

  /** Stops some children now, e.g. a finished case's server, so it takes no CPU from the next. */
  async stopSome(procs: readonly ChildProcess[]): Promise<void> {
    await Promise.all(procs.map((c) => stopChild(c)));
    for (const c of procs) this.children.delete(c);
  }

  async stopChildren(): Promise<void> {
    await this.stopSome([...this.children]);
  }

  /** One autocannon run; a signal stops it early, and a watchdog 20 s past its bound. */
  load(spec: LoadSpec): Promise<Measured> {
    return new Promise<Measured>((resolve, reject) => {
      const instance = autocannon(
        {
          url: spec.url,
          method: spec.method,
          headers: spec.headers,
          ...(spec.body !== undefined ? { body: spec.body } : {}),
          connections: spec.connections,
          pipelining: 1,
          timeout: 10,
          // Autocannon notices the end of a run only at a sample tick: with the default of
          // 1 s, a run that reaches its cap would be rounded up to whole seconds.
          sampleInt: 10,
          // Bounded twice over: by duration, and by a request count.
          duration: spec.seconds,
          maxOverallRequests: spec.cap ?? spec.seconds * 1_000_000,
        },
        (err: unknown, result: autocannon.Result) => {
          clearTimeout(watchdog);
          this.#currentLoad = undefined;
          if (err) {
            reject(err instanceof Error ? err : new Error('autocannon failed', { cause: err }));
            return;
          }
          const codes = Object.entries(result.statusCodeStats ?? {})
            .map(([code, s]) => `${code}×${s.count ?? 0}`)
            .join(' ');
          const bad = result.non2xx + result.errors + result.mismatches;
          resolve({
            // Over the whole run: a run that reaches its cap ends in the middle of a second.
            rps: result.duration > 0 ? result.requests.total / result.duration : 0,
            p50: result.latency.p50,
            p99: result.latency.p99,
            total: result.requests.total,
            sent: result.requests.sent,
            bad,
            ok: result['2xx'],
            errors: result.errors,
            seconds: result.duration,
            detail: `status ${codes || 'none'}; non-2xx ${result.non2xx}, errors ${result.errors} (timeouts ${result.timeouts}), 2xx ${result['2xx']}`,
          });
        },
      );
      this.#currentLoad = instance;
      const watchdog = setTimeout(() => instance.stop(), (spec.seconds + 20) * 1000);
    });
  }

  /** Runs `main`; an interruption exits 130, any other error 1. */
  run(main: () => Promise<void>): void {
    main().catch((err: unknown) => {
      if (this.interrupted) {
        console.error('bench: interrupted');
        process.exitCode = 130;
      } else {
        console.error('bench failed:', err);
        process.exitCode = 1;
      }
    });
  }
}

/** Prints what went wrong during a run under `headline` and makes the run exit 1. */
export function reportFailures(failures: readonly string[], headline: string): void {
  if (failures.length === 0) return;
  console.error(`\n!!! BENCH FAILED${headline}`);
  for (const f of failures) console.error(`!!!   ${f}`);
  process.exitCode = 1;
}
