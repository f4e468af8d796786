import type SqliteDatabase from 'better-sqlite3';

/**
 * Prepared statements of one SQLite connection, reused by their SQL text:
 * with better-sqlite3, preparing costs more than running a small indexed
 * query, and the text Kysely generates for a given query shape is stable. Past
 * `max` texts the cache starts afresh, so made-up query shapes cannot grow it.
 */
export function statementCache(
  raw: SqliteDatabase.Database,
  max: number,
): (sqlText: string) => SqliteDatabase.Statement {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return (sqlText) => {
    let stmt = cache.get(sqlText);
    if (!stmt) {
      stmt = raw.prepare(sqlText);
      if (cache.size >= max) cache.clear();
      cache.set(sqlText, stmt);
    }
    return stmt;
  };
}
