import { formatTime } from '../../context/clock.ts';
import { uuid } from '../../context/ids.ts';
import type { RequestContext } from '../../context/request-context.ts';
import { apiError } from '../../errors/api-error.ts';
import { cancelJobs, enqueueJob, hasPendingJob } from '../../jobs/index.ts';
import { isUniqueViolation } from '../../store/open.ts';
import { inTransaction } from '../../store/seeding.ts';
import { getPort, getVpc, holdPort, type PortRow } from '../../vpc/inventory.ts';
import type { VpcepDeps } from '../deps.ts';
import { ENDPOINT_DEVICE_OWNER } from '../endpoints/new-endpoint.ts';
import { assertServiceTransition, BLOCKING_ENDPOINT_STATUSES, JOB_KINDS } from '../shared/lifecycle.ts';
import { pageOf } from '../shared/pagination.ts';
import type { PortMapping } from '../shared/present.ts';
import { lockService } from '../shared/locks.ts';
import { chargeQuota } from '../shared/quota.ts';
import { insertTags } from '../shared/tag-rows.ts';
import { validateTags } from '../shared/tags.ts';
import { composeServiceName, validateDescription } from '../shared/text.ts';
import { usageOf } from '../shared/usage.ts';
import * as repo from './repository.ts';
import type { Db, ServiceChange, ServiceRow } from './repository.ts';
import {
  checkNamePart,
  checkPorts,
  checkServerType,
  checkServiceIp,
  checkServiceType,
  describeConflict,
} from './rules.ts';
import type {
  CreateServiceBody,
  DescribeServiceQuery,
  ListPublicServicesQuery,
  ListServicesQuery,
  UpdateServiceBody,
} from './schemas.ts';
import { ownServiceView, serviceViewOf, serviceViewsFor, type ServiceView } from './views.ts';

// The endpoint-service operations: each runs in one transaction, enqueues the
// job of an asynchronous transition in that same transaction, and only after
// it commits wakes the worker and tells the data plane.

function notFound(id: string) {
  return apiError('EndPoint.0005', `The endpoint service ${id} does not exist.`);
}

/** Service states in which PUT (and rename) answer EndPoint.3045: the row is in flux. */
const FROZEN_STATES: readonly string[] = ['creating', 'deleting'];

/**
 * The backend port of a tenant service: a port of the service's VPC in the
 * caller's project, and not a VPC endpoint's address (a service forwarding to
 * an endpoint could be pointed back at itself). Returned locked (holdPort), so
 * it cannot be deleted before the service referring to it commits.
 */
async function backendPort(db: Db, projectId: string, vpcId: string, portId: string): Promise<PortRow> {
  const found = portId === '' ? undefined : await getPort(db, projectId, portId);
  // 3008 (400) rather than 4012 (404): a 404 would tell clients the service itself is missing.
  const missing = () => apiError('EndPoint.3008', `The port ${portId} does not exist.`);
  if (!found) throw missing();
  if (found.vpc_id !== vpcId) {
    throw apiError('EndPoint.3042', `The port ${portId} does not belong to the VPC ${vpcId}.`);
  }
  // Checked before the lock: an endpoint's own deletion locks its quota row and then its port.
  if (found.device_owner === ENDPOINT_DEVICE_OWNER) {
    throw apiError(
      'EndPoint.3004',
      `The port ${portId} holds a VPC endpoint's address; it cannot be a backend.`,
    );
  }
  const port = await holdPort(db, projectId, portId);
  if (!port) throw missing();
  return port;
}

/**
 * `vip_port_id` need not name a port (decision #15); when it names one of the
 * project's ports, that port is locked like the backend port, so deleting it
 * is refused while the service refers to it.
 */
async function holdVipPort(db: Db, projectId: string, vipPortId: string | undefined): Promise<void> {
  if (vipPortId !== undefined && vipPortId !== '') await holdPort(db, projectId, vipPortId);
}

/** A given `ip` must be the backend port's address: it is echoed, never used to route. */
function assertIpOfPort(ip: string | null, port: PortRow): void {
  if (ip !== null && ip !== port.ip_address) {
    throw apiError(
      'EndPoint.3010',
      `Invalid IP address ${ip}: ip must be the address of the backend port ${port.id} (${port.ip_address}).`,
    );
  }
}

/** Writes a mapping list, reporting a taken server_port+protocol on the same backend as 3044. */
async function writePorts(db: Db, row: ServiceRow, ports: readonly PortMapping[]): Promise<void> {
  const key = repo.mappingKey(row);
  const conflicts = await repo.conflictingPorts(db, key, ports, row.id);
  if (conflicts.length > 0) throw apiError('EndPoint.3044', describeConflict(conflicts));
  try {
    await repo.replacePorts(db, row.id, key, ports);
  } catch (err) {
    // A concurrent transaction took the pair after our check: the unique index decides.
    if (isUniqueViolation(err)) throw apiError('EndPoint.3044');
    throw err;
  }
}

async function serviceDeleteJob(deps: VpcepDeps, db: Db, id: string, now: number): Promise<void> {
  await enqueueJob(db, {
    kind: JOB_KINDS.serviceDelete,
    resourceId: id,
    runAt: now + deps.config.lifecycle.endpoint_service_delete,
    now,
  });
}

/** The checks of a create body that need no database (the test bed runs them before creating anything). */
export function checkServiceFields(body: CreateServiceBody, maxPorts: number) {
  const fields = {
    serverType: checkServerType(body.server_type),
    serviceType: checkServiceType(body.service_type),
    name: checkNamePart(body.service_name),
    description: validateDescription(body.description),
    tags: validateTags(body.tags),
    ports: checkPorts(body.ports, maxPorts),
    ip: body.ip === undefined ? null : checkServiceIp(body.ip),
  };
  if (body.vpc_id === '') throw apiError('EndPoint.2011');
  return fields;
}

export async function createService(
  deps: VpcepDeps,
  ctx: RequestContext,
  body: CreateServiceBody,
): Promise<ServiceView> {
  const { serverType, serviceType, name, description, tags, ports, ip } = checkServiceFields(
    body,
    deps.config.limits.port_mappings,
  );

  const { projectId } = ctx;
  const id = uuid();
  const view = await inTransaction(deps.db, async (trx) => {
    const vpc = await getVpc(trx, projectId, body.vpc_id);
    if (!vpc) throw apiError('EndPoint.2001', `The VPC ${body.vpc_id} does not exist.`);
    assertIpOfPort(ip, await backendPort(trx, projectId, vpc.id, body.port_id));
    await holdVipPort(trx, projectId, body.vip_port_id);
    await chargeQuota(trx, projectId, 'endpoint_service', deps.config.quotas);

    const now = deps.clock.now();
    const row: ServiceRow = {
      id,
      project_id: projectId,
      domain_id: ctx.principal.domainId,
      name,
      service_name: composeServiceName(deps.config.region, name, id),
      port_id: body.port_id,
      vip_port_id: body.vip_port_id ?? null,
      vpc_id: vpc.id,
      pool_id: body.pool_id ?? null,
      server_type: serverType,
      service_type: serviceType,
      approval_enabled: body.approval_enabled === false ? 0 : 1,
      status: 'creating',
      tcp_proxy: body.tcp_proxy ?? 'close',
      description,
      ip,
      ip_version: body.ip_version ?? null,
      snat_network_id: body.snat_network_id ?? null,
      cidr_type: body.cidr_type ?? null,
      enable_policy: body.enable_policy === true ? 1 : 0,
      is_public: 0,
      owner: null,
      is_charge: 0,
      error: '[]',
      created_at: now,
      updated_at: now,
    };
    await repo.insertService(trx, row);
    await writePorts(trx, row, ports);
    await insertTags(trx, 'endpoint_service', id, projectId, tags);
    await enqueueJob(trx, {
      kind: JOB_KINDS.serviceCreate,
      resourceId: id,
      runAt: now + deps.config.lifecycle.endpoint_service_create,
      now,
    });
    return serviceViewOf(trx, row);
  });
  deps.wakeJobs();
  deps.notifyChange({ kind: 'service', id });
  ctx.log.info({ serviceId: id, vpcId: body.vpc_id, portId: body.port_id }, 'endpoint service created');
  return view;
}

export async function showService(deps: VpcepDeps, ctx: RequestContext, id: string): Promise<ServiceView> {
  const view = await ownServiceView(deps.db, ctx.projectId, id);
  if (!view) throw notFound(id);
  return view;
}

/**
 * Reads the caller's service under its row lock, so a concurrent DELETE or PUT
 * is either fully before or fully after this transaction's checks.
 */
async function lockedOwnService(deps: VpcepDeps, db: Db, projectId: string, id: string): Promise<ServiceRow> {
  const row = await lockService(db, deps.dialect, { projectId }, id, 'update');
  if (!row) throw notFound(id);
  return row;
}

function assertModifiable(row: ServiceRow): void {
  if (FROZEN_STATES.includes(row.status)) {
    throw apiError(
      'EndPoint.3045',
      `The endpoint service is ${row.status}; it can be modified once it is available (or failed).`,
    );
  }
}

export async function updateService(
  deps: VpcepDeps,
  ctx: RequestContext,
  id: string,
  body: UpdateServiceBody,
): Promise<ServiceView> {
  if (body.port_id !== undefined && body.ip !== undefined) throw apiError('EndPoint.3052');
  if (body.vip_port_id !== undefined && body.ip !== undefined) throw apiError('EndPoint.3053');
  const name = body.service_name !== undefined ? checkNamePart(body.service_name) : undefined;
  const description = body.description !== undefined ? validateDescription(body.description) : undefined;
  const ports =
    body.ports !== undefined ? checkPorts(body.ports, deps.config.limits.port_mappings) : undefined;
  const ip = body.ip !== undefined ? checkServiceIp(body.ip) : undefined;

  const view = await deps.db.transaction().execute(async (trx) => {
    const row = await lockedOwnService(deps, trx, ctx.projectId, id);
    assertModifiable(row);
    const change: ServiceChange = {};
    if (body.approval_enabled !== undefined) change.approval_enabled = body.approval_enabled ? 1 : 0;
    if (name !== undefined) {
      change.name = name;
      change.service_name = composeServiceName(deps.config.region, name, id);
    }
    if (body.tcp_proxy !== undefined) change.tcp_proxy = body.tcp_proxy;
    if (description !== undefined) change.description = description;
    if (ip !== undefined) {
      // port_id and ip never come together (3052): the service keeps its port.
      if (ip !== null) assertIpOfPort(ip, await backendPort(trx, ctx.projectId, row.vpc_id, row.port_id));
      change.ip = ip;
    }
    if (body.vip_port_id !== undefined) {
      await holdVipPort(trx, ctx.projectId, body.vip_port_id);
      change.vip_port_id = body.vip_port_id;
    }
    if (body.port_id !== undefined && body.port_id !== row.port_id) {
      const port = await backendPort(trx, ctx.projectId, row.vpc_id, body.port_id);
      change.port_id = body.port_id;
      // A stored ip follows the backend (older stores may hold free text there).
      if (row.ip !== null && row.ip !== '') change.ip = port.ip_address;
    }
    const next: ServiceRow = { ...row, ...change, updated_at: deps.clock.now() };
    // A new backend port re-keys every mapping, so the kept ones are re-checked against it too.
    if (ports !== undefined || change.port_id !== undefined) {
      const current = ports ?? (await repo.servicePorts(trx, [id])).get(id) ?? [];
      await writePorts(trx, next, current);
    }
    await repo.updateService(trx, id, { ...change, updated_at: next.updated_at });
    return serviceViewOf(trx, next);
  });
  deps.notifyChange({ kind: 'service', id });
  return view;
}

/** PUT …/{id}/name: the composed name after the change. */
export async function renameService(
  deps: VpcepDeps,
  ctx: RequestContext,
  id: string,
  nameInput: string | undefined,
): Promise<string> {
  const view = await updateService(deps, ctx, id, { service_name: nameInput ?? '' });
  return view.service_name;
}

export async function deleteService(deps: VpcepDeps, ctx: RequestContext, id: string): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    if (!(await repo.getOwnService(trx, ctx.projectId, id))) throw notFound(id);
    // A create that has not run yet has nothing left to do. Cancelled before the
    // service row is locked (lock order, shared/locks.ts): a create job running
    // right now holds its job row and then writes the service row, so we wait
    // for it here instead of deadlocking with it, and then find it gone.
    await cancelJobs(trx, { kind: JOB_KINDS.serviceCreate, resourceId: id });
    const row = await lockedOwnService(deps, trx, ctx.projectId, id);
    const now = deps.clock.now();
    if (row.status === 'deleting') {
      // Idempotent repeat. A delete job that ran out of attempts is gone; a new
      // DELETE is how the owner retries it, so enqueue one when none is pending.
      const pending = await hasPendingJob(trx, { kind: JOB_KINDS.serviceDelete, resourceId: id });
      if (!pending) await serviceDeleteJob(deps, trx, id, now);
      return;
    }
    // Endpoints already `deleting` do not block: Terraform deletes the endpoint
    // and then the service without waiting (peers.md §3.2).
    const blocking = await repo.countEndpointsIn(trx, id, BLOCKING_ENDPOINT_STATUSES);
    if (blocking > 0) {
      throw apiError(
        'EndPoint.3006',
        `The endpoint service is being used by ${blocking} endpoint(s) in creating or accepted state.`,
      );
    }
    assertServiceTransition(row.status, 'deleting');
    await repo.setServiceStatus(trx, id, row.status, { status: 'deleting', updated_at: now });
    await serviceDeleteJob(deps, trx, id, now);
  });
  deps.wakeJobs();
  deps.notifyChange({ kind: 'service', id });
}

export async function listOwnServices(
  deps: VpcepDeps,
  ctx: RequestContext,
  q: ListServicesQuery,
): Promise<{ endpoint_services: ServiceView[]; total_count: number }> {
  const filter = { name: q.endpoint_service_name, id: q.id, status: q.status };
  const scope = { projectId: ctx.projectId };
  const rows = await repo.listServices(deps.db, scope, filter, pageOf(q));
  // Unfiltered, the quota counter is the number of rows: no COUNT over the project.
  const total = repo.isUnfiltered(filter)
    ? await usageOf(deps.db, ctx.projectId, 'endpoint_service')
    : await repo.countServices(deps.db, scope, filter);
  return { endpoint_services: await serviceViewsFor(deps.db, rows), total_count: total };
}

function publicItem(row: ServiceRow) {
  return {
    id: row.id,
    owner: row.owner ?? '',
    service_name: row.service_name,
    service_type: row.service_type,
    created_at: formatTime(row.created_at),
    is_charge: row.is_charge === 1,
    enable_policy: row.enable_policy === 1,
  };
}

export async function listPublicServices(deps: VpcepDeps, q: ListPublicServicesQuery) {
  const filter = { name: q.endpoint_service_name, id: q.id };
  const rows = await repo.listServices(deps.db, 'public', filter, pageOf(q));
  const total = await repo.countServices(deps.db, 'public', filter);
  return { endpoint_services: rows.map(publicItem), total_count: total };
}

/** `/describe`: basic facts of any tenant's service or a public one, by id xor full name. */
export async function describeService(deps: VpcepDeps, q: DescribeServiceQuery) {
  const name = q.endpoint_service_name ?? '';
  const id = q.id ?? '';
  if ((name === '') === (id === '')) {
    throw apiError('EndPoint.0002', 'Parameter error: give exactly one of endpoint_service_name and id.');
  }
  const row = await repo.describeAnyService(deps.db, id !== '' ? { id } : { serviceName: name });
  if (!row) throw notFound(id !== '' ? id : name);
  return {
    id: row.id,
    service_name: row.service_name,
    service_type: row.service_type,
    created_at: formatTime(row.created_at),
    is_charge: row.is_charge === 1,
    public_border_group: 'center',
    enable_policy: row.enable_policy === 1,
  };
}

/**
 * The v2 calls (upgrade, add-server-resources) are one-shot actions with no
 * readable result in the API; the emulation has one edition and one backend
 * per service, so they validate the service and the body and change nothing.
 */
export async function acknowledgeV2Action(deps: VpcepDeps, ctx: RequestContext, id: string): Promise<void> {
  const row = await repo.getOwnService(deps.db, ctx.projectId, id);
  if (!row) throw notFound(id);
  if (row.status === 'deleting') assertModifiable(row);
}
