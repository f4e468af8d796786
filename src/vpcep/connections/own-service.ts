import type { Kysely, Transaction } from 'kysely';
import { apiError } from '../../errors/api-error.ts';
import type { DialectName } from '../../store/open.ts';
import type { Database } from '../../store/schema.ts';
import type { EndpointServicesTable } from '../../store/vpcep-schema.ts';

// The owner-side sub-resources of a service (connections, permissions) all start
// by proving the service is the caller's. This is a deliberately small private
// query so these areas do not depend on the services module's internals; a
// service of another project is answered exactly like a missing one (404
// EndPoint.0005), so ids of other tenants' services cannot be probed.

type Db = Kysely<Database> | Transaction<Database>;

export type OwnService = Pick<EndpointServicesTable, 'id' | 'project_id' | 'domain_id' | 'status'>;

export async function requireOwnService(db: Db, projectId: string, serviceId: string): Promise<OwnService> {
  const row = await db
    .selectFrom('endpoint_services')
    .select(['id', 'project_id', 'domain_id', 'status'])
    .where('id', '=', serviceId)
    .where('project_id', '=', projectId)
    .executeTakeFirst();
  if (!row) throw apiError('EndPoint.0005', 'The endpoint service does not exist.');
  return row;
}

/**
 * Same check inside a write transaction, with the service row locked on
 * PostgreSQL: `share` lets concurrent accept/reject calls of one service
 * proceed while holding off a status change of the service itself (its delete
 * must not slip between our check and our commit); `update` serialises
 * writers that enforce a per-service total (the whitelist limit). SQLite runs
 * one write transaction at a time, so it needs no row locks.
 */
export async function lockOwnService(
  trx: Transaction<Database>,
  dialect: DialectName,
  projectId: string,
  serviceId: string,
  mode: 'share' | 'update',
): Promise<OwnService> {
  let q = trx
    .selectFrom('endpoint_services')
    .select(['id', 'project_id', 'domain_id', 'status'])
    .where('id', '=', serviceId)
    .where('project_id', '=', projectId);
  if (dialect === 'postgres') q = mode === 'share' ? q.forShare() : q.forUpdate();
  const row = await q.executeTakeFirst();
  if (!row) throw apiError('EndPoint.0005', 'The endpoint service does not exist.');
  return row;
}
