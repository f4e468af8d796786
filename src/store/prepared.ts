import { CompiledQuery, SqliteAdapter, type Compilable, type Kysely, type RawBuilder } from 'kysely';
import { syncRunnerOf } from './batched-commits.ts';
import type { Database } from './schema.ts';

// Building and compiling a Kysely query costs more CPU than running a small
// indexed read on SQLite. A read that runs on every request is compiled once
// per dialect, with placeholder arguments, and later runs only substitute the
// arguments into the compiled parameter list. On a SQLite file the store's own
// handle runs them on its read-only connection (direct-reads.ts), on
// PostgreSQL as named prepared statements (named-reads.ts).

type Db = Kysely<Database>;

interface Template {
  sql: string;
  parameters: readonly unknown[];
  /** For each compiled parameter, the index of the argument that fills it (or -1: a constant). */
  slots: readonly number[];
}

/** A marker no caller sends: the builder's arguments, to find where they land in the parameters. */
const marker = (i: number) => `\u0000prepared-argument-${i}\u0000`;

/** What a compiled-once statement is built as: a query builder, or raw SQL (sql`…`). */
type Buildable<R> = Compilable<R> | RawBuilder<R>;

/** Raw SQL compiles against an executor; a query builder carries its own. */
function compileOn<R>(db: Db, query: Buildable<R>): CompiledQuery<R> {
  return 'isRawBuilder' in query ? query.compile(db) : query.compile();
}

/** Compiles `build` once per adapter; each call gives the SQL and the arguments bound in place. */
function templated<A extends unknown[], R>(
  build: (db: Db, ...args: A) => Buildable<R>,
): (db: Db, args: A) => CompiledQuery<R> {
  // By the executor's adapter: a transaction shares its database's dialect and adapter.
  const templates = new WeakMap<object, Template>();
  const compile = (db: Db, arity: number): Template => {
    // The builder sees markers in place of its arguments, whatever their types:
    // it must pass them through to the query, never compute with them.
    const markers = Array.from({ length: arity }, (_, i) => marker(i));
    const compiled = compileOn(db, build(db, ...(markers as A)));
    const slots = compiled.parameters.map((p) => (typeof p === 'string' ? markers.indexOf(p) : -1));
    for (let i = 0; i < arity; i++) {
      if (slots.filter((s) => s === i).length !== 1) {
        throw new Error(`prepared query: argument ${i} must be bound exactly once in ${compiled.sql}`);
      }
    }
    return { sql: compiled.sql, parameters: compiled.parameters, slots };
  };
  return (db, args) => {
    const executor = db.getExecutor();
    // A handle with plugins (the job worker's deadline guard, jobs/deadline.ts)
    // must see each query as it is compiled: those calls compile afresh.
    if (executor.plugins.length > 0) return compileOn(db, build(db, ...args));
    const adapter = executor.adapter;
    let template = templates.get(adapter);
    if (!template) {
      template = compile(db, args.length);
      templates.set(adapter, template);
    }
    const { slots, parameters } = template;
    return CompiledQuery.raw(
      template.sql,
      parameters.map((p, i) => (slots[i]! >= 0 ? args[slots[i]!] : p)),
    );
  };
}

/**
 * What runs the prepared reads made on a store's own handle instead of Kysely's
 * executor: SQLite's read-only connection (direct-reads.ts), PostgreSQL's
 * named statements (named-reads.ts).
 */
export interface PreparedReader {
  all(sqlText: string, parameters: readonly unknown[]): readonly unknown[] | Promise<readonly unknown[]>;
}

const readers = new WeakMap<object, PreparedReader>();

/** Makes `reader` answer the prepared reads made on `db` (the store's own handle, never a transaction). */
export function registerReader(db: Db, reader: PreparedReader): void {
  readers.set(db, reader);
}

/**
 * A query compiled once per dialect. `build` must pass each argument through
 * as a bound parameter, unchanged and exactly once, and the query's shape must
 * not depend on the arguments' values (no `in` lists of varying length); the
 * first compile checks the first part and throws when it does not hold.
 */
export function prepared<A extends string[], R>(
  build: (db: Db, ...args: A) => Compilable<R>,
): (db: Db, ...args: A) => Promise<readonly R[]> {
  const template = templated(build);
  return async (db, ...args) => {
    const query = template(db, args);
    const reader = readers.get(db);
    if (reader) return (await reader.all(query.sql, query.parameters)) as readonly R[];
    return (await db.executeQuery(query)).rows;
  };
}

/**
 * A row of a prepared read with what a caller makes of it. `kept` is the row
 * itself when the store hands that same row to every such read until the next
 * commit anywhere (SQLite's kept answers, frozen: direct-reads.ts): what is
 * derived from the row depends on it alone, so it may be kept under it in a
 * WeakMap for as long as the store hands it out. Undefined when every read
 * gives new rows (PostgreSQL, a store without a read connection). `shown()`
 * derives, so a caller that finds what it wants under `kept` skips the work.
 */
export interface SharedRead<S> {
  kept: object | undefined;
  shown(): S;
}

/** `row` as a SharedRead, derived by `derive`. */
export function sharedRead<R extends object, S>(row: R, derive: (row: R) => S): SharedRead<S> {
  return { kept: Object.isFrozen(row) ? row : undefined, shown: () => derive(row) };
}

/**
 * A statement compiled once per dialect, as prepared() compiles reads, that
 * always runs on the handle it is given: writes, and reads that must see the
 * transaction's own writes or take its locks. Its arguments may be of any
 * type; the same rules hold for how `build` uses them.
 */
export function preparedStatement<A extends unknown[], R>(
  build: (db: Db, ...args: A) => Buildable<R>,
): (db: Db, ...args: A) => Promise<R[]> {
  const template = templated(build);
  return async (db, ...args) => {
    const query = template(db, args);
    const run = await syncRunnerOfTransaction(db);
    return run ? run<R>(query).rows : (await db.executeQuery(query)).rows;
  };
}

type SyncRunner = NonNullable<ReturnType<typeof syncRunnerOf>>;
/** Per transaction handle: its synchronous runner, or null when it has none. */
const syncRunners = new WeakMap<Db, SyncRunner | null>();

/**
 * The synchronous runner of a SQLite transaction handle without plugins
 * (batched-commits.ts), found once per transaction. Through Kysely's executor
 * each statement of a transaction costs about eight promises before and after
 * a call that is itself synchronous; a create runs a dozen of them.
 */
async function syncRunnerOfTransaction(db: Db): Promise<SyncRunner | undefined> {
  if (!db.isTransaction) return undefined;
  let run = syncRunners.get(db);
  if (run === undefined) {
    const executor = db.getExecutor();
    run =
      executor.plugins.length > 0 || !(executor.adapter instanceof SqliteAdapter)
        ? null
        : ((await executor.provideConnection((connection) => Promise.resolve(syncRunnerOf(connection)))) ??
          null);
    syncRunners.set(db, run);
  }
  return run ?? undefined;
}

/**
 * An insert of a whole row into `table`, compiled once per dialect. The row
 * must hold exactly `columns`, none undefined: a column left out would
 * silently take its default, which a query built per call would not do.
 */
export function preparedInsert<
  T extends keyof Database,
  const C extends readonly (keyof Database[T] & string)[],
>(
  table: T,
  // A column of the table missing from the list is a type error, not a default taken at run time.
  columns: C & ([Exclude<keyof Database[T], C[number]>] extends [never] ? unknown : { missing: never }),
): (db: Db, row: Readonly<Database[T]>) => Promise<void> {
  const insert = preparedStatement((db: Db, ...values: unknown[]) =>
    // Kysely's insert typing cannot follow a table chosen by a type parameter; the columns are checked above.
    db.insertInto(table).values(Object.fromEntries(columns.map((c, i) => [c, values[i]])) as never),
  );
  return async (db, row) => {
    const values = columns.map((c) => (row as Record<string, unknown>)[c]);
    if (Object.keys(row).length !== columns.length || values.includes(undefined)) {
      throw new Error(`unreachable: a ${table} row without exactly the columns ${columns.join(', ')}`);
    }
    await insert(db, ...values);
  };
}
