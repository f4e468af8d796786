import SqliteDatabase from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { statementCache } from './statement-cache.ts';
import type { StatementCount } from './statement-count.ts';

// The reads that run on every request (one endpoint by id, its tags) are a
// handful of indexed rows on SQLite, cheaper to run than to route through
// Kysely: its executor, its plugin pipeline and the one-connection lock that
// every concurrent request queues on (and that a job's open transaction holds
// across awaits). A store on a SQLite file therefore keeps a second,
// read-only connection for the prepared reads (store/prepared.ts) made on the
// database handle itself. In WAL mode that connection reads the last committed
// state without waiting for a writer, so a read never sees another request's
// uncommitted transaction; reads inside a transaction go through the
// transaction's handle, which is not registered here, and see its own writes.

/** Runs a read statement on the read-only connection, synchronously. */
export interface DirectReader {
  all(sqlText: string, parameters: readonly unknown[]): unknown[];
  close(): void;
}

const readers = new WeakMap<object, DirectReader>();

/** Opens the read-only connection to a SQLite file another connection has opened (and migrated). */
export function openDirectReader(
  file: string,
  count: StatementCount,
  busyTimeoutMs: number,
  maxStatements = 200,
): DirectReader {
  const raw = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
  raw.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
  const prepare = statementCache(raw, maxStatements, count);
  return {
    all(sqlText, parameters) {
      const stmt = prepare(sqlText);
      // The connection is read-only anyway; this says so before SQLite does.
      if (!stmt.reader) throw new Error('a direct read must be a query that returns rows');
      return stmt.all(parameters);
    },
    close: () => raw.close(),
  };
}

/** Makes `reader` answer the prepared reads made on `db` (the store's own handle, never a transaction). */
export function registerDirectReader(db: Kysely<Database>, reader: DirectReader): void {
  readers.set(db, reader);
}

/** The read-only connection behind `db`, if it has one (a SQLite file's own handle). */
export function directReaderOf(db: Kysely<Database>): DirectReader | undefined {
  return readers.get(db);
}
