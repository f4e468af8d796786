// What every repository of the VPC inventory shares: the handle type, the page
// position of its lists, and the row lock that serialises writers. SQL only:
// no rules, no HTTP.
import { sql, type Expression, type Kysely, type SqlBool } from 'kysely';
import type { Database } from '../../store/schema.ts';

export type Db = Kysely<Database>;

/** Where a page starts: strictly after this (created_at, id) position. */
export interface Position {
  created_at: number;
  id: string;
}

export interface PageQuery {
  limit: number;
  after?: Position | undefined;
}

// Lists are ordered by (created_at, id), so a marker row pins an exact place even
// when several rows share a millisecond. Raw SQL because the same predicate
// serves four tables and both dialects.
export function afterPosition(p: Position): Expression<SqlBool> {
  return sql<SqlBool>`(created_at > ${p.created_at} OR (created_at = ${p.created_at} AND id > ${p.id}))`;
}

/**
 * Serialises writers on one parent row. A no-op UPDATE takes the row lock on
 * PostgreSQL and the write lock on SQLite, so two transactions that both check
 * "no overlapping subnet" or "address free" and then insert cannot interleave.
 * Returns false when the row does not exist.
 */
export async function touch(
  db: Db,
  table: 'vpcs' | 'subnets' | 'ports',
  projectId: string,
  id: string,
): Promise<boolean> {
  const result = await db
    .updateTable(table)
    .set((eb) => ({ updated_at: eb.ref('updated_at') }))
    .where('id', '=', id)
    .where('project_id', '=', projectId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
