import { apiError } from '../../errors/api-error.ts';
import { inTransaction } from '../../store/seeding.ts';
import type { EndpointsTable } from '../../store/vpcep-schema.ts';
import type { VpcepDeps } from '../deps.ts';
import { assertEndpointTransition, type EndpointStatus } from '../shared/lifecycle.ts';
import { lockEndpoint } from '../shared/locks.ts';
import { pageOf } from '../shared/pagination.ts';
import { connectionView } from '../shared/present.ts';
import { validateDescription } from '../shared/text.ts';
import { lockOwnService, requireOwnService, type OwnService } from './own-service.ts';
import {
  connectionsByIdCrossTenant,
  countConnectionsCrossTenant,
  listConnectionsCrossTenant,
  setConnectionDescriptionCrossTenant,
  setConnectionStatusCrossTenant,
  type ConnectionFilter,
} from './repository.ts';
import type { ConnectionsQuery } from './schemas.ts';

export type ConnectionView = ReturnType<typeof connectionView>;

/** The largest marker id an endpoint can have (decision #8: int32). */
const MAX_MARKER_ID = 2_147_483_647;
/** Descriptions of connections may be longer than other descriptions (decision #14). */
const CONNECTION_DESCRIPTION_MAX = 512;
/** Entries per description update: a bound on one statement's `IN (…)` list. */
const MAX_DESCRIPTIONS_PER_CALL = 1000;

/**
 * `marker_id` is a string in the SDK (it is a query parameter) but an integer in
 * the store; anything that is not a plain decimal int32 can never match, and
 * the reference has a code for exactly that mistake.
 */
export function parseMarkerId(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,10}$/.test(text) || Number(text) > MAX_MARKER_ID) {
    throw apiError('EndPoint.0021', 'Invalid marker_id: it must be a non-negative 32-bit integer.');
  }
  return Number(text);
}

export async function listConnections(
  deps: VpcepDeps,
  projectId: string,
  serviceId: string,
  query: ConnectionsQuery,
): Promise<{ connections: ConnectionView[]; total_count: number }> {
  const filter: ConnectionFilter = {
    endpointId: query.id,
    markerId: parseMarkerId(query.marker_id),
    status: query.status,
  };
  await requireOwnService(deps.db, projectId, serviceId);
  const [rows, total] = await Promise.all([
    listConnectionsCrossTenant(deps.db, serviceId, filter, pageOf(query)),
    countConnectionsCrossTenant(deps.db, serviceId, filter),
  ]);
  return { connections: rows.map(connectionView), total_count: total };
}

export type ConnectionAction = 'receive' | 'reject';

/**
 * A `deleting` service takes no connection changes: its delete job is about to
 * fail the remaining endpoints. Bailing out before any endpoint row is locked
 * also keeps this transaction (service, then endpoint) from deadlocking with
 * that job (endpoints, then service) on PostgreSQL.
 */
function refuseIfDeleting(service: OwnService): void {
  if (service.status === 'deleting') {
    throw apiError('EndPoint.2004', 'The endpoint service is being deleted; its connections cannot change.');
  }
}

/**
 * Why an endpoint in `status` cannot be accepted or rejected, in the codes the
 * reference uses; undefined when the state machine allows the move.
 */
function refusal(status: string, target: EndpointStatus) {
  switch (status) {
    case 'creating':
      return apiError(
        'EndPoint.2019',
        'The endpoint is still being created; retry once it is pendingAcceptance.',
      );
    case 'deleting':
      return apiError('EndPoint.2018');
    case 'failed':
      return apiError('EndPoint.2047');
    default:
      // Anything else the state machine refuses is a bug: let it fail loudly.
      assertEndpointTransition(status, target);
      return undefined;
  }
}

/**
 * Accepts or rejects one endpoint of the caller's service, synchronously
 * (decision #4): the response and every later read show the new status.
 * Asking for the state an endpoint is already in succeeds without a change,
 * so a retried call (or Terraform re-applying an approval) is harmless.
 */
export async function actOnConnection(
  deps: VpcepDeps,
  projectId: string,
  serviceId: string,
  action: ConnectionAction,
  endpointId: string,
): Promise<ConnectionView> {
  const target: EndpointStatus = action === 'receive' ? 'accepted' : 'rejected';
  const { row, changed } = await inTransaction(deps.db, async (trx) => {
    const service = await lockOwnService(trx, deps.dialect, projectId, serviceId, 'share');
    refuseIfDeleting(service);
    // Undefined alike for a missing endpoint and another service's (EndPoint.2013).
    const ep = await lockEndpoint(trx, deps.dialect, { serviceId }, endpointId);
    if (!ep) throw apiError('EndPoint.2013');
    if (ep.status === target) return { row: ep, changed: false };
    const refused = refusal(ep.status, target);
    if (refused) throw refused;
    // A service on its way out (or one that never came up) takes no new
    // traffic; rejecting stays possible so the owner can always cut access.
    if (target === 'accepted' && service.status !== 'available') throw apiError('EndPoint.2004');
    const change = {
      status: target,
      updated_at: deps.clock.now(),
      // Decision #9: the address is shown from the first acceptance on and
      // stays visible if the endpoint is rejected later.
      ...(target === 'accepted' ? { ip_visible: 1 } : {}),
    };
    await setConnectionStatusCrossTenant(trx, ep.id, change);
    return { row: { ...ep, ...change } satisfies EndpointsTable, changed: true };
  });
  // Only after the commit: the data plane re-reads the endpoint when told.
  if (changed) deps.notifyChange({ kind: 'endpoint', id: row.id });
  return connectionView(row);
}

export interface DescriptionChange {
  id: string;
  description: string;
}

/**
 * Sets the owner's notes on connections, all or nothing. The endpoint itself
 * does not change (the consumer sees no field of it move), so `updated_at`
 * stays as it is and the data plane is not told.
 */
export async function describeConnections(
  deps: VpcepDeps,
  projectId: string,
  serviceId: string,
  changes: readonly DescriptionChange[],
): Promise<ConnectionView[]> {
  if (changes.length > MAX_DESCRIPTIONS_PER_CALL) throw apiError('EndPoint.0016');
  // A repeated id: the last description given wins, and it is listed once.
  const wanted = new Map<string, string>();
  for (const c of changes) wanted.set(c.id, validateDescription(c.description, CONNECTION_DESCRIPTION_MAX));
  return deps.db.transaction().execute(async (trx) => {
    refuseIfDeleting(await lockOwnService(trx, deps.dialect, projectId, serviceId, 'share'));
    const rows = await connectionsByIdCrossTenant(trx, serviceId, [...wanted.keys()]);
    const byId = new Map(rows.map((r) => [r.id, r]));
    const missing = [...wanted.keys()].find((id) => !byId.has(id));
    if (missing !== undefined) {
      throw apiError('EndPoint.2013', `The endpoint ${missing} does not belong to the endpoint service.`);
    }
    // Rows are written in id order, so two calls naming the same endpoints in
    // different orders lock them in the same order and cannot deadlock.
    for (const id of [...wanted.keys()].sort()) {
      await setConnectionDescriptionCrossTenant(trx, serviceId, id, wanted.get(id) as string);
    }
    return [...wanted].map(([id, description]) =>
      connectionView({ ...(byId.get(id) as EndpointsTable), connection_description: description }),
    );
  });
}
