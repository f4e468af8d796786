import { safeText } from '../context/terminal-text.ts';

// The log for people: each JSON line pino writes (already scrubbed of secrets by
// logger-options.ts, so both formats show the same redacted text) becomes one
// short line, `12:01:02.345 INFO  message key=value …`. Request lines put the
// method, path, status and duration first. Every value is escaped for the
// terminal: a tenant's string cannot inject control sequences into it.

export interface LineSink {
  write(text: string): unknown;
}

export interface PrettyOptions {
  /** ANSI colours for the level (on a terminal, unless NO_COLOR is set). */
  color: boolean;
}

const LABELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const COLORS: Record<number, string> = { 10: '90', 20: '90', 30: '32', 40: '33', 50: '31', 60: '35' };

/** Fields every line has, shown in the line's frame or not at all. */
const FRAME = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'v']);
/** Fields of a request line shown at its head, or left out (the route repeats the path). */
const REQUEST_HEAD = new Set(['method', 'path', 'query', 'status', 'ms', 'route']);

function pad2(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

function clock(time: unknown): string {
  const d = typeof time === 'number' ? new Date(time) : new Date();
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.${pad2(d.getMilliseconds(), 3)}`;
}

/** A string as it is, anything else (absent: nothing) as JSON; not yet escaped. */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  return value === undefined ? '' : (JSON.stringify(value) ?? '');
}

/** A value as one word when it is one, else as JSON; escaped for the terminal either way. */
function show(value: unknown): string {
  if (typeof value === 'string') return safeText(/^[^\s"=]+$/.test(value) ? value : JSON.stringify(value));
  return safeText(text(value));
}

interface LoggedError {
  type?: unknown;
  message?: unknown;
  stack?: unknown;
}

/** An error as `Type: message`, its stack on indented lines below. */
function showError(err: LoggedError): { inline: string; below: string[] } {
  const head = `${typeof err.type === 'string' ? err.type : 'Error'}: ${text(err.message)}`;
  const stack = typeof err.stack === 'string' ? err.stack.split('\n').slice(1) : [];
  return { inline: show(head), below: stack.map((l) => `    ${safeText(l.trim())}`) };
}

function requestHead(line: Record<string, unknown>): string {
  const query = Array.isArray(line.query) ? `?${line.query.map(text).join('&')}` : '';
  const path = `${text(line.path)}${query}`;
  return `${safeText(text(line.method))} ${safeText(path)} ${show(line.status)} ${show(line.ms)} ms`;
}

/** One JSON log line as text for people (with its newline). */
export function prettyLine(json: string, opts: PrettyOptions): string {
  let line: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(json);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new Error('not an object');
    line = parsed as Record<string, unknown>;
  } catch {
    return `${safeText(json.replace(/\n$/, ''))}\n`;
  }
  const level = typeof line.level === 'number' ? line.level : 30;
  const label = (LABELS[level] ?? `L${level}`).padEnd(5);
  const shownLabel = opts.color ? `\x1b[${COLORS[level] ?? '0'}m${label}\x1b[0m` : label;
  const isRequest = line.msg === 'request' && typeof line.method === 'string';
  const parts = [clock(line.time), shownLabel];
  parts.push(isRequest ? requestHead(line) : safeText(text(line.msg)));
  const below: string[] = [];
  for (const [key, value] of Object.entries(line)) {
    if (FRAME.has(key) || (isRequest && REQUEST_HEAD.has(key))) continue;
    if (key === 'err' && value !== null && typeof value === 'object') {
      const err = showError(value);
      parts.push(`err=${err.inline}`);
      below.push(...err.below);
      continue;
    }
    parts.push(`${safeText(key)}=${show(value)}`);
  }
  return [parts.join(' '), ...below].join('\n') + '\n';
}

/** A destination for pino that writes each line as prettyLine() formats it. */
export function prettyStream(target: LineSink, opts: PrettyOptions): LineSink {
  return { write: (json: string) => target.write(prettyLine(json, opts)) };
}

/** Lines written before the server has printed its banner: held, so the banner comes first. */
const MAX_HELD = 1000;

/**
 * A destination that holds its lines until release(), then passes them on and
 * every later one at once. `vpcep serve` releases it after the banner (or
 * before reporting a failed start); past MAX_HELD lines it lets go by itself.
 */
export class HeldLines implements LineSink {
  #held: string[] | undefined = [];
  readonly #target: LineSink;

  constructor(target: LineSink) {
    this.#target = target;
  }

  write(text: string): void {
    if (this.#held === undefined) {
      this.#target.write(text);
      return;
    }
    this.#held.push(text);
    if (this.#held.length >= MAX_HELD) this.release();
  }

  release(): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const text of held) this.#target.write(text);
  }
}
