import { readFileSync, statSync } from 'node:fs';
import { UsageError } from './usage.ts';

// Parsers for option values. Each refuses what it cannot read with a usage
// error naming the option; ranges and rules are left to the API, whose error
// codes are the documented ones.

/** Commander's accumulator for a repeatable option. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export interface PortMapping {
  client_port: number;
  server_port: number;
  protocol: 'TCP' | 'UDP';
}

/** `CLIENT:SERVER[/TCP|/UDP]`, e.g. `8080:80` or `53:5353/udp`. */
export function parsePortMapping(spec: string): PortMapping {
  const m = /^(\d{1,5}):(\d{1,5})(?:\/(tcp|udp))?$/i.exec(spec);
  if (!m) throw new UsageError(`invalid --port '${spec}': expected CLIENT:SERVER or CLIENT:SERVER/TCP|UDP`);
  return {
    client_port: Number(m[1]),
    server_port: Number(m[2]),
    protocol: (m[3] ?? 'TCP').toUpperCase() as 'TCP' | 'UDP',
  };
}

/** `KEY=VALUE`, or `KEY` alone when `valueOptional` (a tag removed whatever its value). */
export function parseTag(spec: string, valueOptional = false): { key: string; value?: string } {
  const eq = spec.indexOf('=');
  if (eq < 0) {
    if (valueOptional && spec !== '') return { key: spec };
    throw new UsageError(`invalid tag '${spec}': expected KEY=VALUE`);
  }
  if (eq === 0) throw new UsageError(`invalid tag '${spec}': the key is empty`);
  return { key: spec.slice(0, eq), value: spec.slice(eq + 1) };
}

/** `KEY=V1,V2` for tag searches. */
export function parseTagValues(spec: string): { key: string; values: string[] } {
  const { key, value } = parseTag(spec, true);
  return { key, values: value === undefined || value === '' ? [] : value.split(',') };
}

/** A non-negative integer option. */
export function parseCount(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d{1,9}$/.test(value)) {
    throw new UsageError(
      `invalid ${name} '${typeof value === 'string' ? value : typeof value}': expected a whole number`,
    );
  }
  return Number(value);
}

const MAX_INPUT = 10 * 1024 * 1024;

/** `@FILE` (or `@-` for standard input) read as text, anything else taken literally. */
export function readArgument(name: string, value: string): string {
  if (!value.startsWith('@')) return value;
  const file = value.slice(1);
  try {
    if (file === '-') return readFileSync(0, 'utf8');
    if (statSync(file).size > MAX_INPUT) throw new UsageError(`${name} file ${file} exceeds 10 MiB`);
    return readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot read ${name} file ${file}: ${(err as Error).message}`);
  }
}

/** JSON given inline or as `@FILE`. */
export function readJson(name: string, value: string): unknown {
  const text = readArgument(name, value);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new UsageError(`${name} is not valid JSON: ${(err as Error).message}`);
  }
}

/** An option as a string when given (commander hands over strings for `<value>` options). */
export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Drops the keys whose value is undefined, so optional fields are left out of a request. */
export function defined<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<T>;
}
