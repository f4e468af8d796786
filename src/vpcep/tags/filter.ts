import { apiError } from '../../errors/api-error.ts';
import type { VpcepDeps } from '../deps.ts';
import { tagsOf } from '../shared/tag-rows.ts';
import { MAX_TAGS_PER_RESOURCE, type Tag, type TaggedResource } from '../shared/tags.ts';
import { countFilteredResources, filteredResourcesPage, type ResourceFilter } from './resources.ts';
import type { ResourceQueryBody, TagValues } from './schemas.ts';

// `POST {resource_type}/resource_instances/action`: the tenant's resources of
// one type filtered by tags, in Huawei's tag-query semantics:
//   tags          every listed key present, each with one of its values (AND/OR)
//   tags_any      at least one listed key present with one of its values (OR/OR)
//   not_tags      excludes resources that would match `tags` with this list
//   not_tags_any  excludes resources that would match `tags_any` with this list
//   values: []    the key with any value
//   matches       resource_name contains the value, case-insensitively ('' = exact)
//   without_any_tag: true   only untagged resources; the tag lists are ignored
// Checked here, evaluated in SQL (resources.ts), so paging and total_count are
// exact however many resources a tenant has.

const MAX_LIMIT = 1000;
/** Query-side bounds of the reference (wider than the bounds of stored tags). */
const MAX_QUERY_KEY = 127;
const MAX_QUERY_VALUE = 255;
const MAX_VALUES_PER_KEY = 10;

/** Accepts `"10"` or `10`; `what` picks the reference's code for a bad value. */
export function parseCount(
  value: string | number | undefined,
  fallback: number,
  min: number,
  max: number,
  what: 'limit' | 'offset',
): number {
  if (value === undefined) return fallback;
  const n = typeof value === 'number' ? value : /^\d{1,10}$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw apiError(
      what === 'limit' ? 'EndPoint.0006' : 'EndPoint.0010',
      `Invalid ${what}: it must be an integer from ${min} to ${max}.`,
    );
  }
  return n;
}

function checkTagList(list: readonly TagValues[] | undefined): void {
  if (!list) return;
  if (list.length > MAX_TAGS_PER_RESOURCE) throw apiError('EndPoint.3069');
  const keys = new Set<string>();
  for (const t of list) {
    if (t.key.length === 0) throw apiError('EndPoint.3066', 'The tag key cannot be empty.');
    if (t.key.length > MAX_QUERY_KEY) throw apiError('EndPoint.3072');
    if (keys.has(t.key)) throw apiError('EndPoint.3067');
    keys.add(t.key);
    if (t.values.length > MAX_VALUES_PER_KEY) {
      throw apiError('EndPoint.3069', `At most ${MAX_VALUES_PER_KEY} values can be given per key.`);
    }
    const values = new Set<string>();
    for (const v of t.values) {
      if (v.length > MAX_QUERY_VALUE) throw apiError('EndPoint.3073');
      if (values.has(v)) throw apiError('EndPoint.3071');
      values.add(v);
    }
  }
}

/**
 * Resources are in the default enterprise project ("0"), the only one this
 * server has: a `_sys_enterprise_project_id` filter naming it (or naming no
 * value) keeps everything, any other system tag filter matches nothing.
 */
function sysTagsMatchAll(list: readonly TagValues[] | undefined): boolean {
  return (list ?? []).every(
    (t) => t.key === '_sys_enterprise_project_id' && (t.values.length === 0 || t.values.includes('0')),
  );
}

function filterOf(body: ResourceQueryBody): ResourceFilter {
  return {
    matchNothing: !sysTagsMatchAll(body.sys_tags),
    nameContains: (body.matches ?? []).map((m) => m.value),
    withoutAnyTag: body.without_any_tag === true,
    all: body.tags ?? [],
    any: body.tags_any ?? [],
    notAll: body.not_tags ?? [],
    notAny: body.not_tags_any ?? [],
  };
}

export interface ResourceHit {
  resource_id: string;
  resource_name: string;
  resource_detail: null;
  tags: Tag[];
}

export async function queryResources(
  deps: VpcepDeps,
  projectId: string,
  type: TaggedResource,
  body: ResourceQueryBody,
): Promise<{ resources: ResourceHit[]; total_count: number } | { total_count: number }> {
  for (const list of [body.tags, body.tags_any, body.not_tags, body.not_tags_any, body.sys_tags])
    checkTagList(list);
  // Only `filter` pages; `count` ignores limit and offset but still refuses bad ones.
  const limit = parseCount(body.limit, MAX_LIMIT, 1, MAX_LIMIT, 'limit');
  const offset = parseCount(body.offset, 0, 0, 2_147_483_647, 'offset');
  const filter = filterOf(body);
  const total = await countFilteredResources(deps.db, type, projectId, filter);
  if (body.action === 'count') return { total_count: total };
  const rows = await filteredResourcesPage(deps.db, type, projectId, filter, { limit, offset });
  const tags = await tagsOf(
    deps.db,
    rows.map((r) => r.id),
  );
  return {
    resources: rows.map((r) => ({
      resource_id: r.id,
      resource_name: r.name,
      resource_detail: null,
      // Code-point order on both dialects (PostgreSQL's collation differs from SQLite's).
      tags: (tags.get(r.id) ?? []).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
    })),
    total_count: total,
  };
}
