// What GET /readyz reports: a list of named checks, each ready or not with a
// short reason. The reasons are fixed phrases, never an error's text: the
// probe is public and must not tell a stranger how the database is reached.
// Evaluations are cached for a second and never overlap, so calling /readyz in
// a loop costs the store at most one trivial query a second.

export type CheckState = 'ready' | 'not_ready';

export interface CheckResult {
  name: string;
  state: CheckState;
  /** Why not ready (a fixed phrase). */
  reason?: string;
}

export interface ReadinessReport {
  ready: boolean;
  checks: CheckResult[];
}

export interface ReadinessCheck {
  name: string;
  /** undefined when ready, else why not. */
  probe(): Promise<string | undefined> | string | undefined;
}

export interface ReadinessLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface ReadinessOptions {
  /** How long one evaluation answers every caller (default 1 s). */
  cacheMs?: number;
  now?: () => number;
  /** Told when a check changes state, so the operator's log says when and why. */
  log?: ReadinessLog;
}

export class Readiness {
  readonly #checks: readonly ReadinessCheck[];
  readonly #cacheMs: number;
  readonly #now: () => number;
  readonly #log: ReadinessLog | undefined;
  #last: { at: number; report: ReadinessReport } | undefined;
  #running: Promise<ReadinessReport> | undefined;
  readonly #states = new Map<string, CheckState>();

  constructor(checks: readonly ReadinessCheck[], opts: ReadinessOptions = {}) {
    this.#checks = checks;
    this.#cacheMs = opts.cacheMs ?? 1000;
    this.#now = opts.now ?? Date.now;
    this.#log = opts.log;
  }

  /** The names of the checks this node runs. */
  get names(): string[] {
    return this.#checks.map((c) => c.name);
  }

  report(): Promise<ReadinessReport> {
    const last = this.#last;
    if (last && this.#now() - last.at < this.#cacheMs) return Promise.resolve(last.report);
    this.#running ??= this.#evaluate().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #evaluate(): Promise<ReadinessReport> {
    const checks = await Promise.all(
      this.#checks.map(async (check): Promise<CheckResult> => {
        let reason: string | undefined;
        try {
          reason = await check.probe();
        } catch {
          reason = 'check failed';
        }
        return reason === undefined
          ? { name: check.name, state: 'ready' }
          : { name: check.name, state: 'not_ready', reason };
      }),
    );
    for (const c of checks) this.#noteChange(c);
    const report = { ready: checks.every((c) => c.state === 'ready'), checks };
    this.#last = { at: this.#now(), report };
    return report;
  }

  #noteChange(c: CheckResult): void {
    const before = this.#states.get(c.name);
    this.#states.set(c.name, c.state);
    if (before === c.state || (before === undefined && c.state === 'ready')) return;
    if (c.state === 'ready') this.#log?.info({ check: c.name }, 'readiness check ready again');
    else this.#log?.warn({ check: c.name, reason: c.reason }, 'readiness check not ready');
  }
}
