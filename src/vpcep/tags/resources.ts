import type { Kysely, Transaction } from 'kysely';
import { apiError } from '../../errors/api-error.ts';
import type { DialectName } from '../../store/open.ts';
import type { Database } from '../../store/schema.ts';
import type { TaggedResource } from '../shared/tags.ts';

// The two taggable resource types, seen only through the caller's project.
// Private queries on purpose: tags must not depend on the services and
// endpoints modules' internals, and the rules here are tiny (same project,
// public operator services excluded).

type Db = Kysely<Database> | Transaction<Database>;

export const RESOURCE_TYPES: readonly TaggedResource[] = ['endpoint_service', 'endpoint'];

/**
 * Proves the resource is the caller's inside a write transaction and locks its
 * row on PostgreSQL, so the per-resource tag total is checked and written
 * without a concurrent tag call (or the resource's own delete) in between.
 * 404 with the resource's own code otherwise (decision #3).
 *
 * A resource that is `deleting` is refused (its delete job removes its tags,
 * then its row): besides being pointless, writing tags then would take the tag
 * rows after the resource row, the reverse of that job's order, which could
 * deadlock on PostgreSQL.
 */
export async function lockOwnResource(
  trx: Transaction<Database>,
  dialect: DialectName,
  type: TaggedResource,
  projectId: string,
  id: string,
): Promise<void> {
  if (type === 'endpoint_service') {
    let q = trx
      .selectFrom('endpoint_services')
      .select('status')
      .where('id', '=', id)
      .where('project_id', '=', projectId)
      .where('is_public', '=', 0);
    if (dialect === 'postgres') q = q.forUpdate();
    const row = await q.executeTakeFirst();
    if (!row) throw apiError('EndPoint.0005', 'The endpoint service does not exist.');
    if (row.status === 'deleting') {
      throw apiError('EndPoint.3045', 'The endpoint service is being deleted; its tags cannot change.');
    }
  } else {
    let q = trx
      .selectFrom('endpoints')
      .select('status')
      .where('id', '=', id)
      .where('project_id', '=', projectId);
    if (dialect === 'postgres') q = q.forUpdate();
    const row = await q.executeTakeFirst();
    if (!row) throw apiError('EndPoint.2006');
    if (row.status === 'deleting') throw apiError('EndPoint.2018');
  }
}

/**
 * The caller's resources of one type as `{id, name, created_at}` under the
 * alias `r`, so one filter query serves both types. A service's name is its
 * full `service_name` (what clients see as its name); endpoints have no name,
 * and the reference answers the id for those.
 */
export function ownResources(db: Db, type: TaggedResource, projectId: string) {
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
