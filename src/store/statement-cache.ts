import type SqliteDatabase from 'better-sqlite3';
import type { StatementCount } from './statement-count.ts';

/**
 * Prepared statements of one SQLite connection, reused by their SQL text:
 * with better-sqlite3, preparing costs more than running a small indexed
 * query, and the text Kysely generates for a given query shape is stable. Past
 * `max` texts the cache starts afresh, so made-up query shapes cannot grow it.
 * Every statement of the connection is taken from here right before it runs,
 * which makes this the place where `count` (the store's) counts them.
 */
export function statementCache(
  raw: SqliteDatabase.Database,
  max: number,
  count: StatementCount,
): (sqlText: string) => SqliteDatabase.Statement {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return (sqlText) => {
    count.value++;
    let stmt = cache.get(sqlText);
    if (!stmt) {
      stmt = raw.prepare(sqlText);
      if (cache.size >= max) cache.clear();
      cache.set(sqlText, stmt);
    }
    return stmt;
  };
}
