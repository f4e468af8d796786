import type { LineSink } from './pretty.ts';

// The request log writes one line per request. Written one by one, each line is
// a write(2) on stdout, and under load that system call, not the line, is what
// costs: a busy server answers many requests per turn of its event loop. So
// lines are gathered and written once per turn (setImmediate runs right after
// the turn's I/O callbacks): a quiet server still writes each line at once, a
// busy one writes a turn's lines together, in order. Gathered text never grows
// past MAX_PENDING, and whatever is pending is written when the process exits
// (an uncaught error included); only a kill -9 can lose the last turn's lines.

/** Pending text past this length is written at once, not at the end of the turn. */
const MAX_PENDING = 64 * 1024;

/** Every sink with text still pending, written out when the process exits. */
const open = new Set<TurnLines>();
let exitHooked = false;

/** A sink that writes everything written to it in one turn as one write to `target`. */
export class TurnLines implements LineSink {
  readonly #target: LineSink;
  #pending = '';
  #scheduled = false;
  readonly #flush = () => this.flush();

  constructor(target: LineSink) {
    this.#target = target;
    if (!exitHooked) {
      exitHooked = true;
      process.once('exit', () => {
        for (const sink of open) sink.flush();
      });
    }
  }

  write(text: string): boolean {
    if (this.#pending === '') open.add(this);
    this.#pending += text;
    if (this.#pending.length >= MAX_PENDING) {
      this.flush();
    } else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flush);
    }
    return true;
  }

  /** Writes what is pending now. */
  flush(): void {
    this.#scheduled = false;
    if (this.#pending === '') return;
    const text = this.#pending;
    this.#pending = '';
    open.delete(this);
    this.#target.write(text);
  }
}
