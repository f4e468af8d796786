import type { Kysely } from 'kysely';
import type { RequestContext } from '../../context/request-context.ts';
import { uuid } from '../../context/ids.ts';
import { apiError } from '../../errors/api-error.ts';
import { enqueueJob } from '../../jobs/index.ts';
import type { Database } from '../../store/schema.ts';
import { inTransaction } from '../../store/seeding.ts';
import {
  checkAddress,
  createPortOf,
  defaultRouteTable,
  getRouteTable,
  getSubnet,
  getVpc,
  type PortRow,
  type SubnetRow,
} from '../../vpc/inventory.ts';
import type { VpcepDeps } from '../deps.ts';
import { isDomainAllowed } from '../permissions/access.ts';
import { shareLockServiceToConnect } from '../shared/locks.ts';
import { chargeQuota } from '../shared/quota.ts';
import { insertTags } from '../shared/tag-rows.ts';
import { createInOneCall } from './create-in-one-call.ts';
import {
  checkEndpointFields,
  connectRefused,
  endpointCreateJob,
  endpointPortRequest,
  newEndpointRow,
  serviceMissing,
  serviceUnavailable,
  subnetElsewhere,
  subnetMissing,
  vpcMissing,
  type CheckedFields,
  type MadeEndpoint,
} from './new-endpoint.ts';
import { insertEndpoint, nextMarkerId, routeTablesTaken, type ServiceRow } from './repository.ts';
import { portIpError, translatePortError } from './rules.ts';
import type { CreateEndpointBody } from './schemas.ts';
import { endpointView } from '../shared/present.ts';
import { endpointViewFor, type EndpointViewJson } from './views.ts';

type Db = Kysely<Database>;

/**
 * Who may connect to a service (decision #21, peers §3.4): anyone to an
 * operator-defined public service, the owner's own account always, and another
 * account only when the service's whitelist names it (or `*`).
 */
export async function mayConnect(
  db: Db,
  service: Pick<ServiceRow, 'id' | 'domain_id' | 'is_public'>,
  domainId: string,
): Promise<boolean> {
  if (service.is_public === 1) return true;
  return isDomainAllowed(db, service.id, service.domain_id, domainId);
}

/**
 * POST /vpc-endpoints (seed 004 §4.3.1). Everything the request can get wrong
 * without the database is checked before the store is asked; then the checks
 * and writes follow one lock order (service row shared, quota row, subnet row),
 * which every endpoint writer shares, so racing creates serialise instead of
 * deadlocking: two creates for the last unit of quota or the same address
 * cannot both succeed. On PostgreSQL the common create is one call
 * (createInOneCall); the rest run as a transaction of statements.
 */
export async function createEndpoint(
  deps: VpcepDeps,
  ctx: Pick<RequestContext, 'projectId' | 'principal'>,
  body: CreateEndpointBody,
): Promise<EndpointViewJson> {
  if (body.endpoint_service_id === '') throw apiError('EndPoint.2029');
  if (body.vpc_id === '') throw apiError('EndPoint.2011');
  const fields = checkEndpointFields(body, deps.config.limits.endpoint_whitelist);
  const id = uuid();
  const made =
    (await createInOneCall(deps, ctx, body, fields, id)) ??
    (await createInTransaction(deps, ctx, body, fields, id));
  const { row, serviceName } = made;

  // The create job is due after the lifecycle delay (1 s by default): the worker
  // polls then rather than now, when it would find nothing to do.
  deps.wakeJobs(row.created_at + deps.config.lifecycle.endpoint_create);
  deps.notifyChange({ kind: 'endpoint', id });
  // Without tags the answer is known without reading anything back; tags are read
  // back for the order the store sorts them in (its collation, not JavaScript's).
  return fields.tags.length === 0
    ? endpointView(row, { serviceName, tags: [] })
    : endpointViewFor(deps.db, row);
}

/** The create as a transaction of statements: SQLite, and what createInOneCall leaves. */
async function createInTransaction(
  deps: VpcepDeps,
  ctx: Pick<RequestContext, 'projectId' | 'principal'>,
  body: CreateEndpointBody,
  fields: CheckedFields,
  id: string,
): Promise<MadeEndpoint> {
  const { projectId } = ctx;
  let serviceName = '';
  const row = await inTransaction(deps.db, async (trx) => {
    const now = deps.clock.now();
    // Share-locked: creates of one service proceed side by side, but its delete
    // (which write-locks the row) cannot decide "no endpoint is creating"
    // between our check and our commit.
    const service = await shareLockServiceToConnect(trx, deps.dialect, body.endpoint_service_id);
    if (!service) throw serviceMissing(body.endpoint_service_id);
    if (service.status !== 'available') throw serviceUnavailable(service.status);
    if (!(await mayConnect(trx, service, ctx.principal.domainId))) throw connectRefused();
    serviceName = service.service_name;

    const vpc = await getVpc(trx, projectId, body.vpc_id);
    if (!vpc) throw vpcMissing(body.vpc_id);
    const gateway = service.service_type === 'gateway';
    let subnet: SubnetRow | undefined;
    if (body.subnet_id !== undefined) {
      subnet = await getSubnet(trx, projectId, body.subnet_id);
      if (!subnet) throw subnetMissing(body.subnet_id);
      if (subnet.vpc_id !== vpc.id) throw subnetElsewhere(body.subnet_id, vpc.id);
    }
    if (!gateway && !subnet) {
      throw apiError('EndPoint.2010', 'subnet_id is required for an endpoint of an interface service.');
    }
    // The reference: "If you do not specify this parameter, the route table ID
    // of the VPC is returned"; the Huawei provider sends [] for "unset" too.
    const routetables = gateway
      ? await resolveRouteTables(trx, projectId, vpc.id, service.id, id, body.routetables ?? [], true)
      : [];

    // The statements that take no row another create of the project or subnet
    // needs run first: from the quota row's lock to COMMIT, creates of one
    // project run one at a time on PostgreSQL, so that stretch holds only what
    // must be in it (the marker is a sequence there; the job has no foreign key
    // and stays invisible, like everything else here, until COMMIT).
    const marker = await nextMarkerId(trx, deps.dialect);
    await enqueueJob(trx, endpointCreateJob(deps, id, now));
    await chargeQuota(trx, projectId, 'endpoint', deps.config.quotas);
    const port = !gateway && subnet ? await allocatePort(trx, deps, subnet, body.port_ip, id) : undefined;

    const created = newEndpointRow(deps, ctx, body, fields, id, now, {
      service,
      vpcId: vpc.id,
      subnetId: subnet?.id ?? null,
      port: port ? { id: port.id, ip: port.ip_address } : undefined,
      marker,
      routetables,
    });
    await insertEndpoint(trx, created);
    await insertTags(trx, 'endpoint', id, projectId, fields.tags);
    return created;
  });
  return { row, serviceName };
}

/**
 * The route tables of a gateway endpoint: each given id must be a route table
 * of the endpoint's VPC (EndPoint.1019) not already routing to the same service
 * from another endpoint (EndPoint.2039). With none given, the VPC's default
 * route table when `defaultWhenEmpty` (create), else none (PUT routetables []
 * unbinds all).
 */
export async function resolveRouteTables(
  db: Db,
  projectId: string,
  vpcId: string,
  serviceId: string,
  endpointId: string,
  given: readonly string[],
  defaultWhenEmpty: boolean,
): Promise<string[]> {
  const ids = [...new Set(given)];
  if (ids.length === 0) {
    if (!defaultWhenEmpty) return [];
    const table = await defaultRouteTable(db, projectId, vpcId);
    if (!table) throw apiError('EndPoint.4026');
    ids.push(table.id);
  } else {
    for (const rt of ids) {
      const table = await getRouteTable(db, projectId, rt);
      if (!table || table.vpc_id !== vpcId) {
        throw apiError('EndPoint.1019', `The route table ${rt} is not a route table of the VPC ${vpcId}.`);
      }
    }
  }
  const taken = await routeTablesTaken(db, serviceId, vpcId, ids, endpointId);
  if (taken.length > 0) {
    throw apiError(
      'EndPoint.2039',
      `The route table ${taken.join(', ')} already routes to this service for another VPC endpoint.`,
    );
  }
  return ids;
}

/**
 * The endpoint's address as a port of the consumer's subnet, so the VPC
 * inventory's UNIQUE(network_id, ip_address) is what guarantees no two holders
 * of one address. The requested address is checked first only to answer with
 * the seed's precise code; the inventory re-checks under its subnet lock.
 */
async function allocatePort(
  db: Db,
  deps: VpcepDeps,
  subnet: SubnetRow,
  portIp: string | undefined,
  endpointId: string,
): Promise<PortRow> {
  if (portIp !== undefined) {
    const problem = await checkAddress(db, subnet, portIp);
    if (problem) throw portIpError(problem, portIp, subnet.cidr);
  }
  try {
    return await createPortOf(db, deps.clock, subnet, {
      ...endpointPortRequest(endpointId),
      ...(portIp !== undefined ? { ipAddress: portIp } : {}),
    });
  } catch (err) {
    throw translatePortError(err, portIp, subnet.cidr);
  }
}
