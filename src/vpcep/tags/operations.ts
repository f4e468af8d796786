import type { Kysely } from 'kysely';
import { apiError } from '../../errors/api-error.ts';
import type { Database } from '../../store/schema.ts';
import type { VpcepDeps } from '../deps.ts';
import { lockEndpoint, lockService } from '../shared/locks.ts';
import { deleteTag, projectTagPairs, tagKeysOf, upsertTags } from '../shared/tag-rows.ts';
import {
  MAX_TAGS_PER_RESOURCE,
  validateTagKey,
  validateTagValue,
  validateTags,
  type TagInput,
  type TaggedResource,
} from '../shared/tags.ts';

// Batch tag changes on one resource (`tags/action`) and the tenant's tag
// inventory (`GET {resource_type}/tags`). Tags never affect traffic, so the
// data plane is not told and the resource's `updated_at` does not move.

/**
 * Proves the resource is the caller's inside a write transaction and locks its
 * row (shared/locks.ts), so the per-resource tag total is checked and written
 * without a concurrent tag call (or the resource's own delete) in between.
 * 404 with the resource's own code otherwise (decision #3).
 *
 * A resource that is `deleting` is refused (its delete job removes its tags,
 * then its row): there is no point, and the job may already be under way.
 */
async function lockOwnResource(
  deps: VpcepDeps,
  trx: Kysely<Database>,
  type: TaggedResource,
  projectId: string,
  id: string,
): Promise<void> {
  if (type === 'endpoint_service') {
    const row = await lockService(trx, deps.dialect, { projectId }, id, 'update');
    if (!row) throw apiError('EndPoint.0005', 'The endpoint service does not exist.');
    if (row.status === 'deleting') {
      throw apiError('EndPoint.3045', 'The endpoint service is being deleted; its tags cannot change.');
    }
  } else {
    const row = await lockEndpoint(trx, deps.dialect, { projectId }, id);
    if (!row) throw apiError('EndPoint.2006');
    if (row.status === 'deleting') throw apiError('EndPoint.2018');
  }
}

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
      await lockOwnResource(deps, trx, type, projectId, resourceId);
      if (tags.length === 0) return;
      const keys = new Set(await tagKeysOf(trx, resourceId));
      for (const t of tags) keys.add(t.key);
      if (keys.size > MAX_TAGS_PER_RESOURCE) {
        throw apiError('EndPoint.3069', `A resource can have at most ${MAX_TAGS_PER_RESOURCE} tags.`);
      }
      await upsertTags(trx, type, resourceId, projectId, tags);
    });
    return;
  }
  for (const t of input) {
    validateTagKey(t.key);
    if (t.value !== undefined) validateTagValue(t.value);
  }
  await deps.db.transaction().execute(async (trx) => {
    await lockOwnResource(deps, trx, type, projectId, resourceId);
    for (const t of input) await deleteTag(trx, resourceId, t.key, t.value);
  });
}

/** Every key the tenant uses on resources of `type`, with the values seen for it (sorted). */
export async function projectTags(
  deps: VpcepDeps,
  projectId: string,
  type: TaggedResource,
): Promise<{ key: string; values: string[] }[]> {
  const rows = await projectTagPairs(deps.db, projectId, type);
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
