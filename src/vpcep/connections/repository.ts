import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../store/schema.ts';
import type { EndpointsTable } from '../../store/vpcep-schema.ts';
import { applyPage, type Page } from '../shared/pagination.ts';

// Connections are endpoints seen from the service's side. Every query here
// reads endpoints of OTHER projects (the consumers'), scoped only by the
// service id; hence the `CrossTenant` in the names. Callers must have proven
// the service is the caller's own first (requireOwnService / lockOwnService),
// and must never pass rows from here to the consumer-side views. The row lock
// of one connection is lockEndpoint(…, { serviceId }, …) in shared/locks.ts.

type Db = Kysely<Database> | Transaction<Database>;

export interface ConnectionFilter {
  endpointId?: string | undefined;
  markerId?: number | undefined;
  status?: string | undefined;
}

function filtered(db: Db, serviceId: string, f: ConnectionFilter) {
  let q = db.selectFrom('endpoints').where('endpoints.service_id', '=', serviceId);
  if (f.endpointId !== undefined) q = q.where('endpoints.id', '=', f.endpointId);
  if (f.markerId !== undefined) q = q.where('endpoints.marker_id', '=', f.markerId);
  if (f.status !== undefined) q = q.where('endpoints.status', '=', f.status);
  return q;
}

/** One page of a service's connections; served by the (service_id, created_at, id) index. */
export async function listConnectionsCrossTenant(
  db: Db,
  serviceId: string,
  f: ConnectionFilter,
  page: Page,
): Promise<EndpointsTable[]> {
  return applyPage(filtered(db, serviceId, f).selectAll('endpoints'), page, 'endpoints').execute();
}

export async function countConnectionsCrossTenant(
  db: Db,
  serviceId: string,
  f: ConnectionFilter,
): Promise<number> {
  const row = await filtered(db, serviceId, f)
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Endpoints of the service among `ids` (others and unknown ids are simply absent). */
export async function connectionsByIdCrossTenant(
  db: Db,
  serviceId: string,
  ids: readonly string[],
): Promise<EndpointsTable[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('endpoints')
    .selectAll()
    .where('service_id', '=', serviceId)
    .where('id', 'in', [...ids])
    .execute();
}

export async function setConnectionStatusCrossTenant(
  trx: Transaction<Database>,
  endpointId: string,
  change: { status: string; updated_at: number; ip_visible?: number },
): Promise<void> {
  await trx.updateTable('endpoints').set(change).where('id', '=', endpointId).execute();
}

export async function setConnectionDescriptionCrossTenant(
  trx: Transaction<Database>,
  serviceId: string,
  endpointId: string,
  description: string,
): Promise<void> {
  await trx
    .updateTable('endpoints')
    .set({ connection_description: description })
    .where('id', '=', endpointId)
    .where('service_id', '=', serviceId)
    .execute();
}
