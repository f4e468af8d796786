import { Type, type Static } from 'typebox';
import type { Kysely } from 'kysely';
import { apiError } from '../../errors/api-error.ts';
import type { Database } from '../../store/schema.ts';

// Tag rules of the reference (decision #13): keys 1–36 and values 0–43
// characters, none of = * < > \ , | /, no leading or trailing space, unique
// keys, at most 10 on create and 20 per resource in all.

export const TagSchema = Type.Object(
  { key: Type.String(), value: Type.Optional(Type.String()) },
  { additionalProperties: false },
);
export type TagInput = Static<typeof TagSchema>;
export interface Tag {
  key: string;
  value: string;
}

export const MAX_TAGS_ON_CREATE = 10;
export const MAX_TAGS_PER_RESOURCE = 20;
const FORBIDDEN = /[=*<>\\,|/]/;

export function validateTagKey(key: string): void {
  if (key.length === 0) throw apiError('EndPoint.3066', 'The tag key cannot be empty.');
  if (key.length > 36) throw apiError('EndPoint.3072');
  if (FORBIDDEN.test(key) || key.trim() !== key) throw apiError('EndPoint.3068');
}

export function validateTagValue(value: string): void {
  if (value.length > 43) throw apiError('EndPoint.3073');
  if (FORBIDDEN.test(value) || value.trim() !== value) throw apiError('EndPoint.3068');
}

/** Validates tags given inline on create and returns them with values filled in. */
export function validateTags(tags: readonly TagInput[] | undefined, max = MAX_TAGS_ON_CREATE): Tag[] {
  if (!tags) return [];
  if (tags.length > max) throw apiError('EndPoint.3069');
  const seen = new Set<string>();
  const out: Tag[] = [];
  for (const t of tags) {
    validateTagKey(t.key);
    const value = t.value ?? '';
    validateTagValue(value);
    if (seen.has(t.key)) throw apiError('EndPoint.3067');
    seen.add(t.key);
    out.push({ key: t.key, value });
  }
  return out;
}

export type TaggedResource = 'endpoint_service' | 'endpoint';

export async function insertTags(
  db: Kysely<Database>,
  resourceType: TaggedResource,
  resourceId: string,
  projectId: string,
  tags: readonly Tag[],
): Promise<void> {
  if (tags.length === 0) return;
  await db
    .insertInto('resource_tags')
    .values(
      tags.map((t) => ({
        resource_type: resourceType,
        resource_id: resourceId,
        project_id: projectId,
        ...t,
      })),
    )
    .execute();
}

/** Tags of many resources in one query, in key order. */
export async function tagsOf(
  db: Kysely<Database>,
  resourceIds: readonly string[],
): Promise<Map<string, Tag[]>> {
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

export async function deleteTagsOf(db: Kysely<Database>, resourceId: string): Promise<void> {
  await db.deleteFrom('resource_tags').where('resource_id', '=', resourceId).execute();
}
