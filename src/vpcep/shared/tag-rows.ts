import { sql, type Kysely, type RawBuilder } from 'kysely';
import { jsonArrayRows } from '../../store/json-rows.ts';
import type { Database } from '../../store/schema.ts';
import { parseJsonColumn } from './json.ts';
import type { Tag, TaggedResource } from './tags.ts';

// SQL of `resource_tags`, nothing else: the rules are in tags.ts. Rows carry
// the resource's project so a tenant's tag inventory is one indexed read.

type Db = Kysely<Database>;

/** The rows of `tags` on one resource. */
function tagRows(resourceType: TaggedResource, resourceId: string, projectId: string, tags: readonly Tag[]) {
  return tags.map((t) => ({
    resource_type: resourceType,
    resource_id: resourceId,
    project_id: projectId,
    ...t,
  }));
}

export async function insertTags(
  db: Db,
  resourceType: TaggedResource,
  resourceId: string,
  projectId: string,
  tags: readonly Tag[],
): Promise<void> {
  if (tags.length === 0) return;
  await db
    .insertInto('resource_tags')
    .values(tagRows(resourceType, resourceId, projectId, tags))
    .execute();
}

/** Tags of many resources in one query, in key order. */
export async function tagsOf(db: Db, resourceIds: readonly string[]): Promise<Map<string, Tag[]>> {
  const out = new Map<string, Tag[]>();
  if (resourceIds.length === 0) return out;
  const rows = await db
    .selectFrom('resource_tags')
    .select(['resource_id', 'key', 'value'])
    .where('resource_id', 'in', resourceIds)
    .orderBy('key')
    .execute();
  for (const r of rows) {
    const list = out.get(r.resource_id) ?? [];
    list.push({ key: r.key, value: r.value });
    out.set(r.resource_id, list);
  }
  return out;
}

export async function deleteTagsOf(db: Db, resourceId: string): Promise<void> {
  await db.deleteFrom('resource_tags').where('resource_id', '=', resourceId).execute();
}

/** The keys the resource carries now. */
export async function tagKeysOf(db: Db, resourceId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('resource_tags')
    .select('key')
    .where('resource_id', '=', resourceId)
    .execute();
  return rows.map((r) => r.key);
}

/** Writes the tags, a key already present taking the new value. */
export async function upsertTags(
  db: Db,
  resourceType: TaggedResource,
  resourceId: string,
  projectId: string,
  tags: readonly Tag[],
): Promise<void> {
  if (tags.length === 0) return;
  await db
    .insertInto('resource_tags')
    .values(tagRows(resourceType, resourceId, projectId, tags))
    .onConflict((oc) =>
      oc.columns(['resource_id', 'key']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })),
    )
    .execute();
}

/** Removes the resource's tag `key`; only while it has `value` when one is given. */
export async function deleteTag(db: Db, resourceId: string, key: string, value?: string): Promise<void> {
  let q = db.deleteFrom('resource_tags').where('resource_id', '=', resourceId).where('key', '=', key);
  if (value !== undefined) q = q.where('value', '=', value);
  await q.execute();
}

/** Every distinct key/value pair the project uses on resources of `type`, unordered. */
export function projectTagPairs(
  db: Db,
  projectId: string,
  type: TaggedResource,
): Promise<{ key: string; value: string }[]> {
  return db
    .selectFrom('resource_tags')
    .select(['key', 'value'])
    .distinct()
    .where('project_id', '=', projectId)
    .where('resource_type', '=', type)
    .execute();
}

/**
 * The tags of the row of `table` the query is on, as one JSON text of
 * [key, value] pairs, by a subquery in the words of `db`'s dialect: what lets
 * GET of one resource be one statement (prepared() builds it once per
 * dialect). Their order is not promised (tagsFromPairs).
 */
export function tagPairsJson(db: Db, table: 'endpoints' | 'endpoint_services'): RawBuilder<string> {
  return jsonArrayRows(
    db,
    sql`t."key", t."value"`,
    sql`FROM "resource_tags" AS t WHERE t."resource_id" = ${sql.ref(`${table}.id`)}`,
  );
}

const byKey = (a: Tag, b: Tag) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** The tags of a tagPairsJson() text, in key order (keys are unique per resource). */
export function tagsFromPairs(text: string | null): Tag[] {
  return parseJsonColumn<[string, string][]>(text, [])
    .map(([key, value]) => ({ key, value }))
    .sort(byKey);
}
