import type { Transaction } from 'kysely';
import type { ClaimedJob } from '../../jobs/index.ts';
import { enqueueJob } from '../../jobs/index.ts';
import type { Database } from '../../store/schema.ts';
import { deletePort } from '../../vpc/inventory.ts';
import type { VpcepDeps } from '../deps.ts';
import { catalogEntry, tenantErrorEntry, type JobRegistry } from '../jobs.ts';
import { assertEndpointTransition, JOB_KINDS, type EndpointStatus } from '../shared/lifecycle.ts';
import { lockEndpoint } from '../shared/locks.ts';
import type { ErrorEntry } from '../shared/present.ts';
import { deleteTagsOf } from '../shared/tag-rows.ts';
import { releaseQuota } from '../shared/usage.ts';
import {
  deleteEndpointRow,
  findConnectableService,
  getEndpointById,
  updateEndpoint,
  type EndpointRow,
} from './repository.ts';

// The asynchronous halves of endpoint create and delete. A handler runs inside
// the transaction that deletes its job, re-reads the endpoint and does nothing
// unless it is still in the state the job was written for, so a job that runs
// twice (after a crash) or after a competing change (a delete overtaking a
// create) is harmless.

/** When a delete job has given up: try again this much later rather than leave the endpoint `deleting`. */
const DELETE_RETRY_MS = 60_000;

export function endpointJobs(deps: VpcepDeps): JobRegistry {
  return {
    handlers: {
      [JOB_KINDS.endpointCreate]: (trx, job) => finishCreate(deps, trx, job),
      [JOB_KINDS.endpointDelete]: (trx, job) => finishDelete(deps, trx, job),
    },
    onGiveUp: {
      [JOB_KINDS.endpointCreate]: (trx, job, error) => failCreate(deps, trx, job, error),
      [JOB_KINDS.endpointDelete]: async (trx, job) => {
        // A delete is a promise to the client (it polls until 404); keep it.
        const now = deps.clock.now();
        await enqueueJob(trx, {
          kind: JOB_KINDS.endpointDelete,
          resourceId: job.resourceId,
          runAt: now + DELETE_RETRY_MS,
          now,
        });
      },
    },
  };
}

/**
 * creating → accepted when the service needs no approval (or is an operator's
 * public service, which has no tenant who could approve), else
 * pendingAcceptance (decision #4). The address becomes visible on acceptance.
 */
async function finishCreate(deps: VpcepDeps, trx: Transaction<Database>, job: ClaimedJob): Promise<void> {
  const row = await getEndpointById(trx, job.resourceId);
  if (row?.status !== 'creating') return;
  const now = deps.clock.now();
  const service = await findConnectableService(trx, row.service_id);
  if (!service || service.status !== 'available') {
    await markFailed(trx, row, now, catalogEntry('EndPoint.2004'));
  } else {
    const accept = service.approval_enabled === 0 || service.is_public === 1;
    const next: EndpointStatus = accept ? 'accepted' : 'pendingAcceptance';
    assertEndpointTransition(row.status, next);
    await updateEndpoint(
      trx,
      row.id,
      { status: next, ...(accept ? { ip_visible: 1 } : {}), updated_at: now },
      'creating',
    );
  }
  job.afterCommit(() => deps.notifyChange({ kind: 'endpoint', id: row.id }));
}

/**
 * Removes the endpoint with everything it holds: its address, tags and unit of
 * quota, in the lock order of shared/locks.ts (the endpoint, its quota row, its
 * port, its tags).
 */
async function finishDelete(deps: VpcepDeps, trx: Transaction<Database>, job: ClaimedJob): Promise<void> {
  const row = await lockEndpoint(trx, deps.dialect, 'any-owner', job.resourceId);
  if (row?.status !== 'deleting') return;
  await releaseQuota(trx, row.project_id, 'endpoint');
  if (row.port_id !== null) await deletePort(trx, row.project_id, row.port_id);
  await deleteTagsOf(trx, row.id);
  await deleteEndpointRow(trx, row.id);
  job.afterCommit(() => deps.notifyChange({ kind: 'endpoint', id: row.id }));
}

async function failCreate(
  deps: VpcepDeps,
  trx: Transaction<Database>,
  job: ClaimedJob,
  error: unknown,
): Promise<void> {
  const row = await getEndpointById(trx, job.resourceId);
  if (row?.status !== 'creating') return;
  // Catalog text only: the error's own message (driver text, SQL) is in the worker's log.
  await markFailed(trx, row, deps.clock.now(), tenantErrorEntry(error, 'EndPoint.2022'));
  job.afterCommit(() => deps.notifyChange({ kind: 'endpoint', id: row.id }));
}

async function markFailed(trx: Transaction<Database>, row: EndpointRow, now: number, entry: ErrorEntry) {
  assertEndpointTransition(row.status, 'failed');
  await updateEndpoint(
    trx,
    row.id,
    { status: 'failed', error: JSON.stringify([entry]), updated_at: now },
    row.status,
  );
}
