import SqliteDatabase from 'better-sqlite3';
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
// transaction's handle, which is not registered (prepared.ts registerReader),
// and see its own writes.

/** Runs a read statement on the read-only connection, synchronously. */
export interface DirectReader {
  /**
   * The statement's rows. They may be shared with other callers (the answer
   * cache below) and are frozen: a caller that wants to change one copies it.
   */
  all(sqlText: string, parameters: readonly unknown[]): readonly unknown[];
  close(): void;
}

/** Answers kept per connection; past this many the cache starts afresh. */
const MAX_ANSWERS = 4096;
/** Text kept per connection, in characters; past this the cache starts afresh. */
const MAX_KEPT_CHARS = 4 * 1024 * 1024;
/** An answer holding more text than this is never kept (an endpoint can hold a long whitelist). */
const MAX_ANSWER_CHARS = 64 * 1024;

/** The characters an answer holds, roughly: its text values plus a little per value. */
function charsOf(rows: readonly object[], key: string): number {
  let chars = key.length;
  for (const row of rows) {
    for (const value of Object.values(row)) chars += typeof value === 'string' ? value.length + 8 : 8;
  }
  return chars;
}

// The answer cache. The same read (SQL text and arguments) gives the same rows
// until some connection commits a change to the file: this one's own writer,
// a job, another process. SQLite counts those commits for us: `PRAGMA
// data_version` on this connection changes whenever any *other* connection
// has committed since its last call, and it costs a third of the smallest
// indexed read (one lock probe instead of a read transaction, a b-tree search
// and row building). So each read first asks for that number; when it moved,
// every kept answer is dropped. A kept answer is therefore exactly what the
// statement would return now: it was read after the version it is kept
// under, and nothing has committed since. Keys hold every argument, so an
// answer is only ever given to the same query with the same arguments (the
// project id among them: no answer crosses tenants that the query itself
// would not give).

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
  const dataVersion = raw.prepare('PRAGMA data_version').pluck();
  let version: unknown;
  const answers = new Map<string, Map<string, readonly unknown[]>>();
  let kept = 0;
  let keptChars = 0;
  return {
    all(sqlText, parameters) {
      count.value++;
      const now: unknown = dataVersion.get();
      if (now !== version) {
        answers.clear();
        kept = 0;
        keptChars = 0;
        version = now;
      }
      // JSON keeps arguments apart whatever text they hold (no separator to forge).
      const key = JSON.stringify(parameters);
      let bySql = answers.get(sqlText);
      const known = bySql?.get(key);
      if (known !== undefined) return known;
      const stmt = prepare(sqlText);
      // The connection is read-only anyway; this says so before SQLite does.
      if (!stmt.reader) throw new Error('a direct read must be a query that returns rows');
      const rows = stmt.all(parameters) as object[];
      for (const row of rows) Object.freeze(row);
      Object.freeze(rows);
      const chars = charsOf(rows, key);
      if (chars > MAX_ANSWER_CHARS) return rows;
      if (kept >= MAX_ANSWERS || keptChars + chars > MAX_KEPT_CHARS) {
        answers.clear();
        kept = 0;
        keptChars = 0;
        bySql = undefined;
      }
      if (bySql === undefined) {
        bySql = new Map();
        answers.set(sqlText, bySql);
      }
      bySql.set(key, rows);
      kept++;
      keptChars += chars;
      return rows;
    },
    close: () => raw.close(),
  };
}
