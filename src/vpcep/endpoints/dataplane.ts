import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.ts';
import { inChunks, IN_LIST_CHUNK } from '../../store/in-chunks.ts';
import { parseIpv4 } from '../../vpc/cidr.ts';
import { parseJsonColumn } from '../shared/json.ts';
import { servicePorts } from '../services/repository.ts';
import type { PortMapping } from '../shared/present.ts';

// What the data plane needs to carry traffic, read straight from the store
// (architecture: "the data plane follows the store, not the API"). Not scoped
// by project: the data plane acts for every tenant.

export interface ForwardingEndpoint {
  endpointId: string;
  projectId: string;
  /** The consumer's account. */
  domainId: string;
  /** The consumer's VPC (the `proxy_vni` TLV identifies it). */
  vpcId: string;
  subnetId: string;
  /** The endpoint's address in the consumer subnet: where listeners bind. */
  ip: string;
  markerId: number;
  dnsNames: string[];
  enableWhitelist: boolean;
  /** IPv4 addresses and CIDR blocks admitted when enableWhitelist is on. */
  whitelist: string[];
  serviceId: string;
  serviceName: string;
  tcpProxy: string;
  /**
   * Where traffic goes: for a tenant's service, the IPv4 address of its
   * backend port, a live port of the service's project in a subnet of the
   * service's VPC; for an operator public service, its configured
   * `backend_ip`. Null when there is none. A tenant's free-text `ip` is never
   * used: it would let the tenant aim the forwarder at any host.
   */
  backendIp: string | null;
  /** True when backendIp is an operator's public-service target rather than a tenant's port. */
  operatorBackend: boolean;
  /** The VPC of the tenant's backend port (the service's VPC); absent for operator targets. */
  backendVpcId?: string;
  /** In the service's order. */
  ports: PortMapping[];
}

export interface ForwardingFilter {
  /** Only these endpoints (e.g. the one a change notification named). */
  endpointIds?: readonly string[];
  /** Only endpoints of these services. Give one of the two filters at most. */
  serviceIds?: readonly string[];
}

/**
 * Every interface endpoint that should carry traffic now: accepted, enabled,
 * with an address, and connected to an available service, joined with the
 * service's port mappings, backend address and tcp_proxy mode. Two queries in
 * all, whatever the number of endpoints.
 */
export async function acceptedInterfaceEndpoints(
  db: Kysely<Database>,
  filter: ForwardingFilter = {},
): Promise<ForwardingEndpoint[]> {
  if (filter.endpointIds?.length === 0 || filter.serviceIds?.length === 0) return [];
  const ids = filter.endpointIds ?? filter.serviceIds;
  if (ids !== undefined && ids.length > IN_LIST_CHUNK) {
    return inChunks(ids, (part) =>
      acceptedInterfaceEndpoints(db, filter.endpointIds ? { endpointIds: part } : { serviceIds: part }),
    );
  }
  let q = db
    .selectFrom('endpoints as e')
    .innerJoin('endpoint_services as s', 's.id', 'e.service_id')
    // The port and its subnet must still belong to the service's project and VPC.
    .leftJoin('ports as p', (join) =>
      join.onRef('p.id', '=', 's.port_id').onRef('p.project_id', '=', 's.project_id'),
    )
    .leftJoin('subnets as n', (join) =>
      join
        .onRef('n.id', '=', 'p.network_id')
        .onRef('n.project_id', '=', 's.project_id')
        .onRef('n.vpc_id', '=', 's.vpc_id'),
    )
    .select([
      'e.id as endpointId',
      'e.project_id as projectId',
      'e.domain_id as domainId',
      'e.vpc_id as vpcId',
      'e.subnet_id as subnetId',
      'e.ip as ip',
      'e.marker_id as markerId',
      'e.dns_names as dnsNames',
      'e.enable_whitelist as enableWhitelist',
      'e.whitelist as whitelist',
      's.id as serviceId',
      's.service_name as serviceName',
      's.tcp_proxy as tcpProxy',
      's.ip as serviceIp',
      's.is_public as isPublic',
      'n.id as portSubnetId',
      'p.ip_address as portIp',
      'n.vpc_id as portVpcId',
    ])
    .where('e.status', '=', 'accepted')
    .where('e.service_type', '=', 'interface')
    .where('e.enable_status', '=', 'enable')
    .where('e.ip', 'is not', null)
    .where('s.status', '=', 'available');
  if (filter.endpointIds) q = q.where('e.id', 'in', [...filter.endpointIds]);
  if (filter.serviceIds) q = q.where('e.service_id', 'in', [...filter.serviceIds]);
  const rows = await q.orderBy('e.created_at').orderBy('e.id').execute();
  if (rows.length === 0) return [];

  const portsBy = await servicePorts(db, [...new Set(rows.map((r) => r.serviceId))]);

  return rows.map((r) => ({
    endpointId: r.endpointId,
    projectId: r.projectId,
    domainId: r.domainId,
    vpcId: r.vpcId,
    subnetId: r.subnetId ?? '',
    ip: r.ip ?? '',
    markerId: Number(r.markerId),
    dnsNames: parseJsonColumn<string[]>(r.dnsNames, []),
    enableWhitelist: r.enableWhitelist === 1,
    whitelist: parseJsonColumn<string[]>(r.whitelist, []),
    serviceId: r.serviceId,
    serviceName: r.serviceName,
    tcpProxy: r.tcpProxy,
    ...backendOf(r),
    ...(r.portVpcId !== null && r.isPublic !== 1 ? { backendVpcId: r.portVpcId } : {}),
    ports: portsBy.get(r.serviceId) ?? [],
  }));
}

/** Only IPv4 literals: a host name given to the forwarder would be resolved by DNS. */
function ipv4OrNull(text: string | null): string | null {
  return text !== null && parseIpv4(text) !== undefined ? text : null;
}

function backendOf(r: {
  isPublic: number;
  serviceIp: string | null;
  portSubnetId: string | null;
  portIp: string | null;
}): Pick<ForwardingEndpoint, 'backendIp' | 'operatorBackend'> {
  // Public services are written from the operator's configuration only (bootstrap.ts).
  if (r.isPublic === 1) return { backendIp: ipv4OrNull(r.serviceIp), operatorBackend: true };
  return { backendIp: r.portSubnetId === null ? null : ipv4OrNull(r.portIp), operatorBackend: false };
}

export interface DnsRecord {
  endpointId: string;
  ip: string;
  names: string[];
}

/**
 * The private DNS records: every endpoint whose address the API shows (it
 * was accepted at least once, decision #9) and that has names, whatever its
 * connection state, until its deletion starts. Rejecting keeps the name and
 * address, as it keeps the `ip` field.
 */
export async function endpointDnsRecords(
  db: Kysely<Database>,
  filter: { endpointIds?: readonly string[] } = {},
): Promise<DnsRecord[]> {
  if (filter.endpointIds?.length === 0) return [];
  const ids = filter.endpointIds;
  if (ids !== undefined && ids.length > IN_LIST_CHUNK) {
    return inChunks(ids, (part) => endpointDnsRecords(db, { endpointIds: part }));
  }
  let q = db
    .selectFrom('endpoints')
    .select(['id', 'ip', 'dns_names'])
    .where('ip_visible', '=', 1)
    .where('ip', 'is not', null)
    .where('dns_names', '<>', '[]')
    .where('status', '<>', 'deleting');
  if (filter.endpointIds) q = q.where('id', 'in', [...filter.endpointIds]);
  const rows = await q.execute();
  return rows.map((r) => ({
    endpointId: r.id,
    ip: r.ip ?? '',
    names: parseJsonColumn<string[]>(r.dns_names, []),
  }));
}

/** Which of these endpoint ids still exist (in any state). */
export async function existingEndpointIds(
  db: Kysely<Database>,
  ids: readonly string[],
): Promise<Set<string>> {
  const rows = await inChunks(ids, (part) =>
    db.selectFrom('endpoints').select('id').where('id', 'in', part).execute(),
  );
  return new Set(rows.map((r) => r.id));
}

/**
 * A cheap summary that changes whenever an endpoint, a service or a port is
 * created, changed (every state or field change moves `updated_at`) or deleted
 * (the counts move): lets a periodic full re-read be skipped when nothing changed.
 */
export async function forwardingFingerprint(db: Kysely<Database>): Promise<string> {
  // Ports too: deleting or moving a service's backend port changes where traffic goes;
  // and subnets: which addresses two projects claim decides what may be bound.
  const summary = (table: 'endpoints' | 'endpoint_services' | 'ports' | 'subnets') =>
    db
      .selectFrom(table)
      .select((eb) => [eb.fn.countAll().as('n'), eb.fn.max('updated_at').as('u')])
      .executeTakeFirst();
  const rows = await Promise.all([
    summary('endpoints'),
    summary('endpoint_services'),
    summary('ports'),
    summary('subnets'),
  ]);
  return JSON.stringify(
    rows.flatMap((r) => [r?.n, r?.u].map((v) => (v === null || v === undefined ? null : String(v)))),
  );
}

export interface SubnetClaim {
  projectId: string;
  cidr: string;
}

/**
 * Every subnet's project and CIDR, for the data plane to find addresses two
 * projects claim on the host's shared ranges (stores written before subnets
 * of different projects were kept apart there may hold such overlaps).
 */
export function subnetClaims(db: Kysely<Database>): Promise<SubnetClaim[]> {
  return db.selectFrom('subnets').select(['project_id as projectId', 'cidr']).execute();
}
