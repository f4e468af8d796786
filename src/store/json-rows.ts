import { PostgresAdapter, sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from './schema.ts';

/**
 * The rows of a correlated subquery as one JSON text of arrays (`[]` when there
 * are none), in the words of `db`'s dialect: what lets a GET of one resource
 * read its child rows in the same statement (prepared() builds it once per
 * dialect). `values` are the columns of each array, comma-separated; `rest` is
 * the subquery's FROM and WHERE. The arrays' order is not promised.
 */
export function jsonArrayRows(
  db: Kysely<Database>,
  values: RawBuilder<unknown>,
  rest: RawBuilder<unknown>,
): RawBuilder<string> {
  return db.getExecutor().adapter instanceof PostgresAdapter
    ? sql<string>`(SELECT COALESCE(json_agg(json_build_array(${values}))::text, '[]') ${rest})`
    : sql<string>`(SELECT json_group_array(json_array(${values})) ${rest})`;
}
