import type { ClaimedJob } from '../../jobs/index.ts';
import { getPort } from '../../vpc/inventory.ts';
import type { VpcepChange, VpcepDeps } from '../deps.ts';
import { tenantErrorEntry, type JobRegistry } from '../jobs.ts';
import { parseJsonColumn } from '../shared/json.ts';
import {
  assertEndpointTransition,
  assertServiceTransition,
  JOB_KINDS,
  type EndpointStatus,
} from '../shared/lifecycle.ts';
import { updateEndpoint } from '../endpoints/repository.ts';
import { lockService } from '../shared/locks.ts';
import type { ErrorEntry } from '../shared/present.ts';
import { deleteTagsOf } from '../shared/tag-rows.ts';
import { releaseQuota } from '../shared/usage.ts';
import * as repo from './repository.ts';
import type { Db, ServiceRow } from './repository.ts';

// The asynchronous halves of create and delete. Each handler runs in the
// transaction that deletes its job, re-reads the service and does nothing if
// it is no longer in the state the job was enqueued for, so a late, repeated
// or obsolete job is harmless.

const SERVICE_GONE: ErrorEntry = {
  error_code: 'EndPoint.2004',
  error_message: 'The endpoint service has been deleted.',
};

/** Endpoint states left alone when their service goes: already on their way out, or failed. */
const SETTLED: readonly EndpointStatus[] = ['deleting', 'failed'];

function withError(json: string, entry: ErrorEntry): string {
  return JSON.stringify([...parseJsonColumn<ErrorEntry[]>(json, []), entry]);
}

async function markFailed(db: Db, row: ServiceRow, entry: ErrorEntry, now: number): Promise<boolean> {
  assertServiceTransition(row.status, 'failed');
  return repo.setServiceStatus(db, row.id, row.status, {
    status: 'failed',
    error: withError(row.error, entry),
    updated_at: now,
  });
}

/**
 * `creating → available`. The backend port is checked once more: the VPC API
 * lets its owner delete it while the service is being created, and a service
 * pointing at nothing is `failed`, as a real backend that vanished would be.
 */
async function finishCreate(deps: VpcepDeps, db: Db, job: ClaimedJob): Promise<VpcepChange[]> {
  const row = await repo.getServiceById(db, job.resourceId);
  if (!row || row.status !== 'creating') return [];
  const now = deps.clock.now();
  if (row.is_public === 0) {
    const port = await getPort(db, row.project_id, row.port_id);
    if (!port || port.vpc_id !== row.vpc_id) {
      const entry = {
        error_code: 'EndPoint.3008',
        error_message: `The backend port ${row.port_id} does not exist.`,
      };
      await markFailed(db, row, entry, now);
      return [{ kind: 'service', id: row.id }];
    }
  }
  assertServiceTransition(row.status, 'available');
  await repo.setServiceStatus(db, row.id, 'creating', { status: 'available', updated_at: now });
  return [{ kind: 'service', id: row.id }];
}

/**
 * Removes a `deleting` service for good: its remaining endpoints (pending or
 * rejected ones, which did not block the delete) fail with EndPoint.2004 and stop
 * carrying traffic (decision #6); tags, mappings and whitelist go; the quota
 * unit comes back. In the lock order of shared/locks.ts: the service row, its
 * endpoints, the quota row, then the rows the service owns.
 */
async function finishDelete(deps: VpcepDeps, db: Db, job: ClaimedJob): Promise<VpcepChange[]> {
  const row = await lockService(db, deps.dialect, 'any-owner', job.resourceId, 'update');
  if (!row || row.status !== 'deleting') return [];
  const now = deps.clock.now();
  const changes: VpcepChange[] = [];
  for (const ep of await repo.endpointsOfServiceExcept(db, row.id, SETTLED)) {
    assertEndpointTransition(ep.status, 'failed');
    const patch = { status: 'failed', error: withError(ep.error, SERVICE_GONE), updated_at: now };
    if (await updateEndpoint(db, ep.id, patch, ep.status)) changes.push({ kind: 'endpoint', id: ep.id });
  }
  if (row.is_public === 0) await releaseQuota(db, row.project_id, 'endpoint_service');
  await deleteTagsOf(db, row.id);
  await repo.deleteServiceRow(db, row.id);
  changes.push({ kind: 'service', id: row.id });
  return changes;
}

export function serviceJobs(deps: VpcepDeps): JobRegistry {
  // Told once the transaction committed, so a listener re-reading on another
  // connection sees the new state.
  const publish = (job: ClaimedJob, changes: readonly VpcepChange[]) => {
    job.afterCommit(() => {
      for (const c of changes) deps.notifyChange(c);
    });
  };
  return {
    handlers: {
      [JOB_KINDS.serviceCreate]: async (trx, job) => publish(job, await finishCreate(deps, trx, job)),
      [JOB_KINDS.serviceDelete]: async (trx, job) => publish(job, await finishDelete(deps, trx, job)),
    },
    onGiveUp: {
      // Out of attempts: the service cannot become available; say so instead of
      // leaving it `creating` forever (clients' waiters treat `failed` as final).
      [JOB_KINDS.serviceCreate]: async (trx, job, error) => {
        const row = await repo.getServiceById(trx, job.resourceId);
        if (!row || row.status !== 'creating') return;
        // Catalog text only: the error's own message (driver text, SQL) is in the worker's log.
        const entry = tenantErrorEntry(error, 'EndPoint.0001');
        if (await markFailed(trx, row, entry, deps.clock.now()))
          publish(job, [{ kind: 'service', id: row.id }]);
      },
    },
  };
}
