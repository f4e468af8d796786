import { Type, type Static, type TSchema } from 'typebox';
import type { SelectQueryBuilder } from 'kysely';

// Query parameters shared by every VPCEP list (decision #18). Bad values are
// reported with their own codes (EndPoint.0006/0010/0017/0018) by the API's
// error handler, which maps a failing query parameter to its code by name.

export const SortKey = Type.Union([
  Type.Literal('created_at'),
  Type.Literal('updated_at'),
  Type.Literal('create_at'),
  Type.Literal('update_at'),
]);
export const SortDir = Type.Union([Type.Literal('asc'), Type.Literal('desc')]);

export function listQuery<P extends Record<string, TSchema>>(maxLimit: number, extra: P) {
  return Type.Object({
    limit: Type.Optional(Type.Integer({ minimum: 0, maximum: maxLimit, default: 10 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_147_483_647, default: 0 })),
    sort_key: Type.Optional(SortKey),
    sort_dir: Type.Optional(SortDir),
    ...extra,
  });
}

export interface Page {
  limit: number;
  offset: number;
  column: 'created_at' | 'updated_at';
  dir: 'asc' | 'desc';
}

export function pageOf(q: {
  limit?: number | undefined;
  offset?: number | undefined;
  sort_key?: Static<typeof SortKey> | undefined;
  sort_dir?: Static<typeof SortDir> | undefined;
}): Page {
  const key = q.sort_key ?? 'created_at';
  return {
    limit: q.limit ?? 10,
    offset: q.offset ?? 0,
    column: key === 'updated_at' || key === 'update_at' ? 'updated_at' : 'created_at',
    dir: q.sort_dir ?? 'desc',
  };
}

/**
 * Orders by the sort column with the id as a tie-breaker (many rows share a
 * second), then applies limit and offset: stable pages for offset pagers.
 */
export function applyPage<DB, TB extends keyof DB, O>(
  q: SelectQueryBuilder<DB, TB, O>,
  page: Page,
  table: string,
): SelectQueryBuilder<DB, TB, O> {
  // Kysely cannot type a dynamic `${table}.column` reference; the names are ours, not input.
  /* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment */
  const col = `${table}.${page.column}` as any;
  const id = `${table}.id` as any;
  /* eslint-enable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment */
  return q.orderBy(col, page.dir).orderBy(id, page.dir).limit(page.limit).offset(page.offset);
}

/** Escapes LIKE wildcards so a fuzzy name filter matches the text literally. */
export function likeContains(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
