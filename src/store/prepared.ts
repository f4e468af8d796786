import { CompiledQuery, type Compilable, type Kysely } from 'kysely';
import { directReaderOf } from './direct-reads.ts';
import type { Database } from './schema.ts';

// Building and compiling a Kysely query costs more CPU than running a small
// indexed read on SQLite. A read that runs on every request is compiled once
// per dialect, with placeholder arguments, and later runs only substitute the
// arguments into the compiled parameter list. On a SQLite file the store's own
// handle runs them on its read-only connection (direct-reads.ts).

type Db = Kysely<Database>;

interface Template {
  sql: string;
  parameters: readonly unknown[];
  /** For each compiled parameter, the index of the argument that fills it (or -1: a constant). */
  slots: readonly number[];
}

/** A marker no caller sends: the builder's arguments, to find where they land in the parameters. */
const marker = (i: number) => `\u0000prepared-argument-${i}\u0000`;

/**
 * A query compiled once per dialect. `build` must pass each argument through
 * as a bound parameter, unchanged and exactly once, and the query's shape must
 * not depend on the arguments' values (no `in` lists of varying length); the
 * first compile checks the first part and throws when it does not hold.
 */
export function prepared<A extends string[], R>(
  build: (db: Db, ...args: A) => Compilable<R>,
): (db: Db, ...args: A) => Promise<readonly R[]> {
  // By the executor's adapter: a transaction shares its database's dialect and adapter.
  const templates = new WeakMap<object, Template>();
  const compile = (db: Db, arity: number): Template => {
    const markers = Array.from({ length: arity }, (_, i) => marker(i)) as A;
    const compiled = build(db, ...markers).compile();
    const slots = compiled.parameters.map((p) => (typeof p === 'string' ? markers.indexOf(p) : -1));
    for (let i = 0; i < arity; i++) {
      if (slots.filter((s) => s === i).length !== 1) {
        throw new Error(`prepared query: argument ${i} must be bound exactly once in ${compiled.sql}`);
      }
    }
    return { sql: compiled.sql, parameters: compiled.parameters, slots };
  };
  return async (db, ...args) => {
    const adapter = db.getExecutor().adapter;
    let template = templates.get(adapter);
    if (!template) {
      template = compile(db, args.length);
      templates.set(adapter, template);
    }
    const { slots, parameters } = template;
    const bound = parameters.map((p, i) => (slots[i]! >= 0 ? args[slots[i]!] : p));
    const reader = directReaderOf(db);
    if (reader) return reader.all(template.sql, bound) as readonly R[];
    const result = await db.executeQuery<R>(CompiledQuery.raw(template.sql, bound));
    return result.rows;
  };
}
