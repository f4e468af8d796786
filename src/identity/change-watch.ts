import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { readGeneration } from './shared/generation.ts';

export interface ChangeWatchOptions {
  db: Kysely<Database>;
  /** How often the change counter is read. */
  intervalMs: number;
  /** The counter moved: IAM changed somewhere (on this node, or on another sharing the store). */
  onChange(): void;
  log: { warn(obj: object, msg?: string): void };
}

/**
 * The fallback behind change notifications: reads IAM's change counter every
 * `intervalMs`, so a node that missed a notification (or shares a SQLite file,
 * which has none) drops its cached permissions within that interval. One
 * indexed single-row read per interval, never per request.
 */
export class IamChangeWatch {
  readonly #opts: ChangeWatchOptions;
  #last: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(opts: ChangeWatchOptions) {
    this.#opts = opts;
  }

  async start(): Promise<void> {
    this.#last = await readGeneration(this.#opts.db);
    this.#timer = setInterval(() => {
      // One read at a time: a slow store must not pile reads up.
      this.#running ??= this.check().finally(() => (this.#running = undefined));
    }, this.#opts.intervalMs);
    this.#timer.unref();
  }

  /** Reads the counter now; calls onChange when it moved since the last read. */
  async check(): Promise<void> {
    try {
      const now = await readGeneration(this.#opts.db);
      if (now !== this.#last) {
        this.#last = now;
        this.#opts.onChange();
      }
    } catch (err) {
      this.#opts.log.warn({ err }, 'could not read the IAM change counter');
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }
}
