import type { Transaction } from 'kysely';
import type { RequestContext } from '../../context/request-context.ts';
import { apiError } from '../../errors/api-error.ts';
import { cancelJobs, enqueueJob } from '../../jobs/index.ts';
import type { Database } from '../../store/schema.ts';
import type { VpcepDeps } from '../deps.ts';
import { assertEndpointTransition, JOB_KINDS } from '../shared/lifecycle.ts';
import { pageOf } from '../shared/pagination.ts';
import { usageOf } from '../shared/usage.ts';
import { resolveRouteTables } from './create.ts';
import {
  countOwnEndpoints,
  getOwnEndpoint,
  hasFilter,
  ownEndpointsPage,
  updateEndpoint,
  type EndpointFilter,
  type EndpointPatch,
  type EndpointRow,
} from './repository.ts';
import { validateWhitelist } from './rules.ts';
import type {
  ListEndpointsQuery,
  PolicyBody,
  RoutetablesBody,
  UpdateEndpointBody,
  UpgradeBody,
} from './schemas.ts';
import { endpointViewFor, endpointViewsFor, ownEndpointView, type EndpointViewJson } from './views.ts';

// The endpoint operations other than create (create.ts). Each takes the
// caller's context and touches only the caller's own endpoints: another
// project's endpoint answers 404 EndPoint.2006 exactly like a missing one
// (decision #3).

type Ctx = Pick<RequestContext, 'projectId'>;

export const notFound = (id: string) => apiError('EndPoint.2006', `The VPC endpoint ${id} does not exist.`);

export async function showEndpoint(deps: VpcepDeps, ctx: Ctx, id: string): Promise<EndpointViewJson> {
  const view = await ownEndpointView(deps.db, ctx.projectId, id);
  if (!view) throw notFound(id);
  return view;
}

/**
 * GET /vpc-endpoints. Without a filter, total_count is the project's usage
 * counter (kept by the quota accounting in the same transactions that create
 * and finally remove endpoints), so a page of 10 costs an index walk of 10 rows
 * even with 100,000 endpoints; with a filter the matching rows are counted.
 */
export async function listEndpoints(
  deps: VpcepDeps,
  ctx: Ctx,
  q: ListEndpointsQuery,
): Promise<{ endpoints: EndpointViewJson[]; total_count: number }> {
  // An empty filter value means "no filter", as the SDKs omit unset parameters
  // but hand-written scripts often send `vpc_id=`.
  const filter: EndpointFilter = {
    serviceName: q.endpoint_service_name || undefined,
    vpcId: q.vpc_id || undefined,
    id: q.id || undefined,
  };
  const page = pageOf(q);
  const [rows, total] = await Promise.all([
    ownEndpointsPage(deps.db, ctx.projectId, filter, page).execute(),
    hasFilter(filter)
      ? countOwnEndpoints(deps.db, ctx.projectId, filter)
      : usageOf(deps.db, ctx.projectId, 'endpoint'),
  ]);
  return { endpoints: await endpointViewsFor(deps.db, rows), total_count: total };
}

/**
 * DELETE /vpc-endpoints/{id}: `deleting` now, gone when the job has run (then
 * GET answers 404, which is how clients detect the end). Deleting an endpoint
 * that is already `deleting` answers 204 again without a second job: the
 * request is idempotent, so a client retrying after a timeout does not fail.
 * Answers whether a delete was started.
 */
export async function deleteEndpoint(deps: VpcepDeps, ctx: Ctx, id: string): Promise<boolean> {
  const started = await deps.db.transaction().execute(async (trx) => {
    const first = await getOwnEndpoint(trx, ctx.projectId, id);
    if (!first) throw notFound(id);
    if (first.status === 'deleting') return false;
    // A create that has not run yet has nothing left to do. This comes before
    // the endpoint row is touched: the job worker locks the job row and then
    // the endpoint's, so taking them in the other order could deadlock with a
    // create handler running right now (we wait for it instead, then re-read).
    await cancelJobs(trx, { kind: JOB_KINDS.endpointCreate, resourceId: id });
    for (let attempt = 0; ; attempt++) {
      const row = await getOwnEndpoint(trx, ctx.projectId, id);
      if (!row) throw notFound(id);
      if (row.status === 'deleting') return false;
      assertEndpointTransition(row.status, 'deleting');
      const now = deps.clock.now();
      if (await updateEndpoint(trx, id, { status: 'deleting', updated_at: now }, row.status)) {
        await enqueueJob(trx, {
          kind: JOB_KINDS.endpointDelete,
          resourceId: id,
          runAt: now + deps.config.lifecycle.endpoint_delete,
          now,
        });
        return true;
      }
      // The status moved under us (an accept or reject by the owner): re-read.
      if (attempt >= 3) throw apiError('EndPoint.0001', 'The endpoint kept changing; please retry.');
    }
  });
  if (started) {
    deps.wakeJobs();
    deps.notifyChange({ kind: 'endpoint', id });
  }
  return started;
}

/**
 * Changes one of the caller's endpoints with `patchOf`, refusing endpoints that
 * are being deleted (EndPoint.2018) or failed (EndPoint.2047). The update is
 * conditional on the status read, so an accept/reject/delete that lands in
 * between is never overwritten with stale data; the read is simply repeated.
 */
async function modifyOwn(
  deps: VpcepDeps,
  ctx: Ctx,
  id: string,
  patchOf: (trx: Transaction<Database>, row: EndpointRow) => Promise<EndpointPatch>,
): Promise<EndpointRow> {
  const row = await deps.db.transaction().execute(async (trx) => {
    for (let attempt = 0; ; attempt++) {
      const current = await getOwnEndpoint(trx, ctx.projectId, id);
      if (!current) throw notFound(id);
      assertModifiable(current);
      const patch = { ...(await patchOf(trx, current)), updated_at: deps.clock.now() };
      if (await updateEndpoint(trx, id, patch, current.status)) return { ...current, ...patch };
      if (attempt >= 3) throw apiError('EndPoint.0001', 'The endpoint kept changing; please retry.');
    }
  });
  deps.notifyChange({ kind: 'endpoint', id });
  return row;
}

function assertModifiable(row: EndpointRow): void {
  if (row.status === 'deleting') throw apiError('EndPoint.2018');
  if (row.status === 'failed') throw apiError('EndPoint.2047');
}

/** PUT /vpc-endpoints/{id}: the IP whitelist and its switch; an empty list clears it. */
export async function updateEndpointWhitelist(
  deps: VpcepDeps,
  ctx: Ctx,
  id: string,
  body: UpdateEndpointBody,
): Promise<EndpointViewJson> {
  const whitelist =
    body.whitelist === undefined
      ? undefined
      : validateWhitelist(body.whitelist, deps.config.limits.endpoint_whitelist);
  const row = await modifyOwn(deps, ctx, id, async () => ({
    ...(whitelist !== undefined ? { whitelist: JSON.stringify(whitelist) } : {}),
    ...(body.enable_whitelist !== undefined ? { enable_whitelist: body.enable_whitelist ? 1 : 0 } : {}),
  }));
  return endpointViewFor(deps.db, row);
}

/**
 * PUT /vpc-endpoints/{id}/routetables: replaces the route tables of a gateway
 * endpoint. Every id is checked before anything changes, so the answer's
 * `error` list (per-table bind/unbind failures in the SDK model) is always
 * empty: a bad id fails the whole request with its code instead.
 */
export async function updateRoutetables(
  deps: VpcepDeps,
  ctx: Ctx,
  id: string,
  body: RoutetablesBody,
): Promise<{ routetables: string[]; error: unknown[] }> {
  let tables: string[] = [];
  await modifyOwn(deps, ctx, id, async (trx, row) => {
    if (row.service_type !== 'gateway') {
      throw apiError('EndPoint.0002', 'Parameter error: routetables apply to gateway VPC endpoints only.');
    }
    tables = await resolveRouteTables(
      trx,
      ctx.projectId,
      row.vpc_id,
      row.service_id,
      row.id,
      body.routetables,
      false,
    );
    return { routetables: JSON.stringify(tables) };
  });
  return { routetables: tables, error: [] };
}

/** PUT /vpc-endpoints/{id}/policy: sets whichever of the two policy forms is given. */
export async function updatePolicy(
  deps: VpcepDeps,
  ctx: Ctx,
  id: string,
  body: PolicyBody,
): Promise<EndpointViewJson> {
  const row = await modifyOwn(deps, ctx, id, async () => ({
    ...(body.policy_statement !== undefined
      ? { policy_statement: JSON.stringify(body.policy_statement) }
      : {}),
    ...(body.policy_document !== undefined ? { policy_document: JSON.stringify(body.policy_document) } : {}),
  }));
  return endpointViewFor(deps.db, row);
}

/**
 * DELETE /vpc-endpoints/{id}/policy: clears both policy forms and answers the
 * endpoint. Clearing an endpoint that has no policy succeeds too (a client
 * repeating the call must not fail), so EndPoint.2049 is never sent.
 */
export async function deletePolicy(deps: VpcepDeps, ctx: Ctx, id: string): Promise<EndpointViewJson> {
  const row = await modifyOwn(deps, ctx, id, async () => ({ policy_statement: '[]', policy_document: null }));
  return endpointViewFor(deps.db, row);
}

/**
 * POST /v2/{project_id}/vpc-endpoints/{id}/upgrade (basic → professional
 * edition). This implementation has a single edition, so there is nothing to
 * change: the endpoint must exist and be modifiable, and the action must be
 * `start` (EndPoint.2027 otherwise).
 */
export async function upgradeEndpoint(
  deps: VpcepDeps,
  ctx: Ctx,
  id: string,
  body: UpgradeBody,
): Promise<void> {
  if (body.action !== 'start')
    throw apiError('EndPoint.2027', `Invalid action '${body.action}': expected 'start'.`);
  const row = await getOwnEndpoint(deps.db, ctx.projectId, id);
  if (!row) throw notFound(id);
  assertModifiable(row);
}
