import { sql, type Expression, type Kysely, type SqlBool } from 'kysely';
import type { Database } from '../../store/schema.ts';
import { likeContains } from '../shared/pagination.ts';
import type { TaggedResource } from '../shared/tags.ts';

// The two taggable resource types, seen only through the caller's project, and
// the tag filter over them (`resource_instances/action`), in SQL only: the
// rules and error codes are in filter.ts and operations.ts. Private queries on
// purpose: tags must not depend on the services and endpoints modules'
// internals, and the scope here is tiny (same project, public operator
// services excluded).

type Db = Kysely<Database>;

export const RESOURCE_TYPES: readonly TaggedResource[] = ['endpoint_service', 'endpoint'];

/**
 * The caller's resources of one type as `{id, name, created_at}` under the
 * alias `r`, so one filter query serves both types. A service's name is its
 * full `service_name` (what clients see as its name); endpoints have no name,
 * and the reference answers the id for those.
 */
function ownResources(db: Db, type: TaggedResource, projectId: string) {
  const base =
    type === 'endpoint_service'
      ? db
          .selectFrom('endpoint_services')
          .select(['id', 'service_name as name', 'created_at'])
          .where('project_id', '=', projectId)
          .where('is_public', '=', 0)
      : db
          .selectFrom('endpoints')
          .select(['id', 'id as name', 'created_at'])
          .where('project_id', '=', projectId);
  return db.selectFrom(base.as('r'));
}

/** A tag key with the values that satisfy it; none listed means any value. */
export interface KeyValues {
  key: string;
  values: readonly string[];
}

/** A checked tag filter (filter.ts); every condition given must hold. */
export interface ResourceFilter {
  /** Nothing can match (a system-tag condition no resource here satisfies). */
  matchNothing: boolean;
  /** Conditions on the name: '' the empty name, else a case-insensitive substring. */
  nameContains: readonly string[];
  /** Only resources without any tag; the four lists are then ignored. */
  withoutAnyTag: boolean;
  /** Every key present with one of its values. */
  all: readonly KeyValues[];
  /** At least one key present with one of its values. */
  any: readonly KeyValues[];
  /** Not matching `all` with this list. */
  notAll: readonly KeyValues[];
  /** Not matching `any` with this list. */
  notAny: readonly KeyValues[];
}

/** The resource `r` carries `key` with one of `values` (any value when none are listed). */
function hasTag(t: KeyValues): Expression<SqlBool> {
  const byValue = t.values.length > 0 ? sql` and t.value in (${sql.join([...t.values])})` : sql``;
  return sql<SqlBool>`exists (select 1 from resource_tags t where t.resource_id = r.id and t.key = ${t.key}${byValue})`;
}

function allOf(list: readonly KeyValues[]): Expression<SqlBool> {
  return sql<SqlBool>`(${sql.join(list.map(hasTag), sql` and `)})`;
}

function anyOf(list: readonly KeyValues[]): Expression<SqlBool> {
  return sql<SqlBool>`(${sql.join(list.map(hasTag), sql` or `)})`;
}

// Evaluated in SQL (EXISTS per key), so paging and total_count are exact
// however many resources a tenant has.
function conditions(f: ResourceFilter): Expression<SqlBool>[] {
  const out: Expression<SqlBool>[] = [];
  if (f.matchNothing) out.push(sql<SqlBool>`1 = 0`);
  for (const name of f.nameContains) {
    out.push(
      name === ''
        ? sql<SqlBool>`r.name = ''`
        : sql<SqlBool>`lower(r.name) like ${likeContains(name)} escape '\\'`,
    );
  }
  if (f.withoutAnyTag) {
    out.push(sql<SqlBool>`not exists (select 1 from resource_tags t where t.resource_id = r.id)`);
    return out;
  }
  if (f.all.length > 0) out.push(allOf(f.all));
  if (f.any.length > 0) out.push(anyOf(f.any));
  if (f.notAll.length > 0) out.push(sql<SqlBool>`not ${allOf(f.notAll)}`);
  if (f.notAny.length > 0) out.push(sql<SqlBool>`not ${anyOf(f.notAny)}`);
  return out;
}

function filtered(db: Db, type: TaggedResource, projectId: string, f: ResourceFilter) {
  let q = ownResources(db, type, projectId);
  for (const c of conditions(f)) q = q.where(c);
  return q;
}

export async function countFilteredResources(
  db: Db,
  type: TaggedResource,
  projectId: string,
  f: ResourceFilter,
): Promise<number> {
  const row = await filtered(db, type, projectId, f)
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** One page of the matching resources, newest first (id breaking ties). */
export function filteredResourcesPage(
  db: Db,
  type: TaggedResource,
  projectId: string,
  f: ResourceFilter,
  page: { limit: number; offset: number },
): Promise<{ id: string; name: string }[]> {
  return filtered(db, type, projectId, f)
    .select(['r.id', 'r.name'])
    .orderBy('r.created_at', 'desc')
    .orderBy('r.id', 'desc')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
}
