/**
 * Bound parameters per statement are capped (SQLite 32,766, PostgreSQL 65,535),
 * so a query over an id list of any length sends it in parts of this size.
 */
export const IN_LIST_CHUNK = 500;

/** Runs `query` over consecutive parts of `ids` and concatenates the rows, in part order. */
export async function inChunks<T>(
  ids: readonly string[],
  query: (part: string[]) => Promise<T[]>,
): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < ids.length; i += IN_LIST_CHUNK)
    out.push(...(await query(ids.slice(i, i + IN_LIST_CHUNK))));
  return out;
}
