import { stringify as toYaml } from 'yaml';
import { safeText } from '../context/terminal-text.ts';
import { UsageError } from './usage.ts';

// How client commands print: a table for people (the default on a terminal),
// JSON or YAML for programs (JSON is the default otherwise). Whatever a tenant
// or a server put in a string reaches the terminal escaped: no control
// sequence from the API can move the cursor, retitle the window or hide text.

export { safeText };

/** `id` prints only ids, one a line, for `X=$(vpcep … -o id)` in scripts. */
export type Format = 'table' | 'json' | 'yaml' | 'id';

export interface Column<T> {
  header: string;
  get: (row: T) => unknown;
}

export function parseFormat(value: string | undefined, isTTY: boolean): Format {
  if (value === undefined) return isTTY ? 'table' : 'json';
  if (value === 'table' || value === 'json' || value === 'yaml' || value === 'id') return value;
  throw new UsageError(`invalid output format '${value}': table, json, yaml or id`);
}

/** Text of several lines (an answer that is not JSON): controls escaped, line breaks and tabs kept. */
export function safeLines(text: string): string {
  return text
    .split('\n')
    .map((line) => line.split('\t').map(safeText).join('\t'))
    .join('\n');
}

/** JSON whose text holds no raw control or separator character (JSON.stringify leaves C1 raw). */
export function safeJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** YAML with every string double-quoted, so the same escapes are valid YAML too. */
export function safeYaml(value: unknown): string {
  const text = toYaml(value, { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN', lineWidth: 0 });
  return text.replace(
    /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** One cell: strings as they are, lists joined, objects as compact JSON, absent as empty. */
export function cell(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return safeText(value);
  if (Array.isArray(value) && value.every((v) => typeof v !== 'object' || v === null)) {
    return safeText(value.map(String).join(','));
  }
  if (typeof value === 'object') return safeText(JSON.stringify(value));
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return '';
}

export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

/** The answer cannot be shown in the chosen format (the call itself was made). */
export class OutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutputError';
  }
}

function idOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const id = (value as { id?: unknown }).id;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
}

export class Printer {
  constructor(
    readonly format: Format,
    private readonly write: (text: string) => void = (t) => void process.stdout.write(t),
  ) {}

  /** A list: rows of the chosen columns, or the whole objects as JSON/YAML. */
  list<T>(rows: readonly T[], columns: readonly Column<T>[]): void {
    if (this.format !== 'table') return this.data(rows);
    if (rows.length === 0) return;
    this.write(
      renderTable(
        columns.map((c) => c.header),
        rows.map((r) => columns.map((c) => cell(c.get(r)))),
      ),
    );
  }

  /** One object: every field on its own line, or the object as JSON/YAML. */
  one(value: unknown): void {
    if (this.format !== 'table' || typeof value !== 'object' || value === null || Array.isArray(value)) {
      return this.data(value);
    }
    const entries = Object.entries(value as Record<string, unknown>);
    this.write(
      renderTable(
        ['FIELD', 'VALUE'],
        entries.map(([k, v]) => [safeText(k), cell(v)]),
      ),
    );
  }

  /** Data as JSON or YAML (a table prints it as JSON), or only its ids. */
  data(value: unknown): void {
    if (value === undefined) return;
    if (this.format === 'id') return this.ids(value);
    this.write(this.format === 'yaml' ? safeYaml(value) : safeJson(value) + '\n');
  }

  /**
   * The `id` of an object, or of each object of a list, one a line. An answer
   * without ids is an error rather than an empty line, so that a script's
   * `X=$(…)` never silently holds nothing.
   */
  private ids(value: unknown): void {
    const items = Array.isArray(value) ? (value as unknown[]) : [value];
    const ids = items.map(idOf);
    if (ids.some((id) => id === undefined)) {
      throw new OutputError('this answer has no id field; use -o json or -o yaml');
    }
    this.write(ids.map((id) => `${safeText(id ?? '')}\n`).join(''));
  }
}
