import { apiError } from '../../errors/api-error.ts';
import type { VpcepDeps } from '../deps.ts';
import {
  MAX_TAGS_PER_RESOURCE,
  validateTagKey,
  validateTagValue,
  validateTags,
  type TagInput,
  type TaggedResource,
} from '../shared/tags.ts';
import { lockOwnResource } from './resources.ts';

// Batch tag changes on one resource (`tags/action`) and the tenant's tag
// inventory (`GET {resource_type}/tags`). Tags never affect traffic, so the
// data plane is not told and the resource's `updated_at` does not move.

/**
 * `create` upserts by key (a key already present takes the new value) and
 * refuses to leave more than 20 tags on the resource (EndPoint.3069);
 * `delete` removes by key, or by key and value when a value is given, and
 * ignores tags that are not there. An empty or missing list changes nothing:
 * Terraform sends the old and the new tag sets without checking for emptiness.
 */
export async function changeTags(
  deps: VpcepDeps,
  projectId: string,
  type: TaggedResource,
  resourceId: string,
  action: 'create' | 'delete',
  input: readonly TagInput[],
): Promise<void> {
  if (action === 'create') {
    const tags = validateTags(input, MAX_TAGS_PER_RESOURCE);
    await deps.db.transaction().execute(async (trx) => {
      await lockOwnResource(trx, deps.dialect, type, projectId, resourceId);
      if (tags.length === 0) return;
      const present = await trx
        .selectFrom('resource_tags')
        .select('key')
        .where('resource_id', '=', resourceId)
        .execute();
      const keys = new Set(present.map((t) => t.key));
      for (const t of tags) keys.add(t.key);
      if (keys.size > MAX_TAGS_PER_RESOURCE) {
        throw apiError('EndPoint.3069', `A resource can have at most ${MAX_TAGS_PER_RESOURCE} tags.`);
      }
      await trx
        .insertInto('resource_tags')
        .values(
          tags.map((t) => ({ resource_type: type, resource_id: resourceId, project_id: projectId, ...t })),
        )
        .onConflict((oc) =>
          oc.columns(['resource_id', 'key']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })),
        )
        .execute();
    });
    return;
  }
  for (const t of input) {
    validateTagKey(t.key);
    if (t.value !== undefined) validateTagValue(t.value);
  }
  await deps.db.transaction().execute(async (trx) => {
    await lockOwnResource(trx, deps.dialect, type, projectId, resourceId);
    for (const t of input) {
      let q = trx.deleteFrom('resource_tags').where('resource_id', '=', resourceId).where('key', '=', t.key);
      if (t.value !== undefined) q = q.where('value', '=', t.value);
      await q.execute();
    }
  });
}

/** Every key the tenant uses on resources of `type`, with the values seen for it (sorted). */
export async function projectTags(
  deps: VpcepDeps,
  projectId: string,
  type: TaggedResource,
): Promise<{ key: string; values: string[] }[]> {
  const rows = await deps.db
    .selectFrom('resource_tags')
    .select(['key', 'value'])
    .distinct()
    .where('project_id', '=', projectId)
    .where('resource_type', '=', type)
    .execute();
  // Sorted here, by code point: PostgreSQL's collation would order differently from SQLite's.
  rows.sort((a, b) => cmp(a.key, b.key) || cmp(a.value, b.value));
  const out: { key: string; values: string[] }[] = [];
  for (const r of rows) {
    const last = out[out.length - 1];
    if (last && last.key === r.key) last.values.push(r.value);
    else out.push({ key: r.key, values: [r.value] });
  }
  return out;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
