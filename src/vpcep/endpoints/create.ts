import type { Kysely } from 'kysely';
import type { RequestContext } from '../../context/request-context.ts';
import { uuid } from '../../context/ids.ts';
import { apiError } from '../../errors/api-error.ts';
import { enqueueJob } from '../../jobs/index.ts';
import type { Database } from '../../store/schema.ts';
import { inTransaction } from '../../store/seeding.ts';
import { parseIpv4 } from '../../vpc/cidr.ts';
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
import { JOB_KINDS } from '../shared/lifecycle.ts';
import { shareLockServiceToConnect } from '../shared/locks.ts';
import { chargeQuota } from '../shared/quota.ts';
import { insertTags } from '../shared/tag-rows.ts';
import { validateTags } from '../shared/tags.ts';
import { validateDescription } from '../shared/text.ts';
import {
  insertEndpoint,
  nextMarkerId,
  routeTablesTaken,
  type EndpointRow,
  type ServiceRow,
} from './repository.ts';
import { dnsNameOf, portIpError, translatePortError, validateWhitelist } from './rules.ts';
import type { CreateEndpointBody } from './schemas.ts';
import { endpointView } from '../shared/present.ts';
import { endpointViewFor, type EndpointViewJson } from './views.ts';

type Db = Kysely<Database>;

/** What the VPC inventory records as the device behind an endpoint's address. */
export const ENDPOINT_DEVICE_OWNER = 'network:vpcep';

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

export type EndpointFields = Pick<
  CreateEndpointBody,
  'subnet_id' | 'port_ip' | 'tags' | 'description' | 'whitelist'
>;

/**
 * The checks of an endpoint's own fields that need no database, in the order
 * the API reports them; also run on a declared endpoint at start (testbed/).
 */
export function checkEndpointFields(body: EndpointFields, maxWhitelist: number) {
  if (body.subnet_id === '') throw apiError('EndPoint.2010');
  if (body.port_ip !== undefined && parseIpv4(body.port_ip) === undefined) {
    throw portIpError('invalid', body.port_ip, '');
  }
  return {
    tags: validateTags(body.tags),
    description: validateDescription(body.description),
    whitelist: validateWhitelist(body.whitelist, maxWhitelist),
  };
}

/**
 * POST /vpc-endpoints (seed 004 §4.3.1). Everything the request can get wrong
 * without the database is checked before the transaction opens; inside it the
 * checks and writes follow one lock order (service row shared, quota row,
 * subnet row), which every endpoint writer shares, so racing
 * creates serialise instead of deadlocking: two creates for the last unit of
 * quota or the same address cannot both succeed.
 */
export async function createEndpoint(
  deps: VpcepDeps,
  ctx: Pick<RequestContext, 'projectId' | 'principal'>,
  body: CreateEndpointBody,
): Promise<EndpointViewJson> {
  if (body.endpoint_service_id === '') throw apiError('EndPoint.2029');
  if (body.vpc_id === '') throw apiError('EndPoint.2011');
  const { tags, description, whitelist } = checkEndpointFields(body, deps.config.limits.endpoint_whitelist);
  const { projectId } = ctx;
  const id = uuid();
  let serviceName = '';

  const row = await inTransaction(deps.db, async (trx) => {
    const now = deps.clock.now();
    // Share-locked: creates of one service proceed side by side, but its delete
    // (which write-locks the row) cannot decide "no endpoint is creating"
    // between our check and our commit.
    const service = await shareLockServiceToConnect(trx, deps.dialect, body.endpoint_service_id);
    if (!service) {
      throw apiError('EndPoint.2003', `The endpoint service ${body.endpoint_service_id} does not exist.`);
    }
    if (service.status !== 'available') {
      throw apiError('EndPoint.2004', `The endpoint service is ${service.status}, not available.`);
    }
    if (!(await mayConnect(trx, service, ctx.principal.domainId))) throw apiError('EndPoint.2012');
    serviceName = service.service_name;

    const vpc = await getVpc(trx, projectId, body.vpc_id);
    if (!vpc) throw apiError('EndPoint.2001', `The VPC ${body.vpc_id} does not exist.`);
    const gateway = service.service_type === 'gateway';
    let subnet: SubnetRow | undefined;
    if (body.subnet_id !== undefined) {
      subnet = await getSubnet(trx, projectId, body.subnet_id);
      if (!subnet) throw apiError('EndPoint.4004', `The subnet ${body.subnet_id} does not exist.`);
      if (subnet.vpc_id !== vpc.id) {
        throw apiError('EndPoint.2037', `The subnet ${body.subnet_id} does not belong to the VPC ${vpc.id}.`);
      }
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
    await enqueueJob(trx, {
      kind: JOB_KINDS.endpointCreate,
      resourceId: id,
      runAt: now + deps.config.lifecycle.endpoint_create,
      now,
    });
    await chargeQuota(trx, projectId, 'endpoint', deps.config.quotas);
    const port = !gateway && subnet ? await allocatePort(trx, deps, subnet, body.port_ip, id) : undefined;

    const enableDns = body.enable_dns ?? false;
    const created: EndpointRow = {
      id,
      project_id: projectId,
      domain_id: ctx.principal.domainId,
      service_id: service.id,
      service_type: service.service_type,
      vpc_id: vpc.id,
      subnet_id: subnet?.id ?? null,
      port_id: port?.id ?? null,
      ip: port?.ip_address ?? null,
      ip_visible: 0,
      marker_id: marker,
      status: 'creating',
      enable_dns: enableDns ? 1 : 0,
      // Gateway endpoints get no private name, whatever enable_dns says (seed
      // 004 §4.3.1); the flag itself is echoed so clients see what they sent.
      dns_names: JSON.stringify(
        enableDns && !gateway ? [dnsNameOf(id, deps.config.region, deps.config.dns.zone)] : [],
      ),
      enable_whitelist: body.enable_whitelist ? 1 : 0,
      whitelist: JSON.stringify(whitelist),
      routetables: JSON.stringify(routetables),
      description,
      connection_description: '',
      policy_statement: JSON.stringify(body.policy_statement ?? []),
      policy_document: body.policy_document === undefined ? null : JSON.stringify(body.policy_document),
      specification_name: body.specification_name ?? 'default',
      ip_version: body.ip_version ?? null,
      ipv6_address: body.ipv6_address ?? null,
      enable_status: 'enable',
      error: '[]',
      created_at: now,
      updated_at: now,
    };
    await insertEndpoint(trx, created);
    await insertTags(trx, 'endpoint', id, projectId, tags);
    return created;
  });

  // The create job is due after the lifecycle delay (1 s by default): the worker
  // polls then rather than now, when it would find nothing to do.
  deps.wakeJobs(row.created_at + deps.config.lifecycle.endpoint_create);
  deps.notifyChange({ kind: 'endpoint', id });
  // Without tags the answer is known without reading anything back; tags are read
  // back for the order the store sorts them in (its collation, not JavaScript's).
  return tags.length === 0 ? endpointView(row, { serviceName, tags: [] }) : endpointViewFor(deps.db, row);
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
      name: `vpcep-${endpointId}`,
      ...(portIp !== undefined ? { ipAddress: portIp } : {}),
      deviceOwner: ENDPOINT_DEVICE_OWNER,
      deviceId: endpointId,
    });
  } catch (err) {
    throw translatePortError(err, portIp, subnet.cidr);
  }
}
