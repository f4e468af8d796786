import type { Kysely } from 'kysely';
import type { Clock } from '../context/clock.ts';
import type { RequestContext } from '../context/request-context.ts';
import { apiError } from '../errors/api-error.ts';
import type { Database } from '../store/schema.ts';
import type { HostRanges } from './host-ranges.ts';
import { createPortIn, deleteUnusedPortIn } from './ports/operations.ts';
import { findPort, listPorts } from './ports/repository.ts';
import { findRouteTable, listRouteTables } from './route-tables/repository.ts';
import type {
  CreatePortBody,
  CreateSubnetBody,
  CreateVpcBody,
  ListPortsQuery,
  ListRouteTablesQuery,
  ListSubnetsQuery,
  ListVpcsQuery,
  PortView,
  RouteTableListItem,
  RouteTableView,
  SubnetView,
  UpdateSubnetBody,
  UpdateVpcBody,
  VpcView,
} from './schemas.ts';
import { notFound } from './shared/not-found.ts';
import type { Db, Position } from './shared/repository.ts';
import { createSubnetIn, deleteSubnetIn, updateSubnetIn } from './subnets/operations.ts';
import {
  findSubnet,
  findSubnetByAnyId,
  listSubnets,
  subnetsByIds,
  subnetsOfVpc,
  type SubnetRow,
} from './subnets/repository.ts';
import { portView, routeTableListItem, routeTableView, subnetView, vpcView } from './views.ts';
import { createVpcIn, deleteVpcIn, updateVpcIn } from './vpcs/operations.ts';
import { findVpc, listVpcs } from './vpcs/repository.ts';

// The VPC API's behaviour: scoping to the caller's project, transactions, paging
// and the translation between request bodies and the inventory operations. No
// HTTP here: the route module hands in validated bodies and sends what comes back.

/** The cloud's page size when `limit` is absent (or 0), and the most one page holds. */
export const PAGE_MAX = 2000;

function pageSize(limit: number | undefined): number {
  return limit === undefined || limit === 0 ? PAGE_MAX : Math.min(limit, PAGE_MAX);
}

async function markerPosition(
  find: (id: string) => Promise<Position | undefined>,
  marker: string | undefined,
): Promise<Position | undefined> {
  if (marker === undefined) return undefined;
  const row = await find(marker);
  // A marker must be an item the caller could have seen on a previous page.
  if (!row) throw apiError('VPC.0002', `Invalid marker '${marker}': no such resource in this project.`);
  return { created_at: row.created_at, id: row.id };
}

interface DnsFields {
  primary_dns?: string | undefined;
  secondary_dns?: string | undefined;
  dnsList?: string[] | undefined;
}

/** Merges primary_dns / secondary_dns and dnsList (two ways of saying the same thing). */
function dnsOf(body: DnsFields, current: { primary: string | null; secondary: string | null }) {
  const list = body.dnsList;
  if (list && body.primary_dns !== undefined && list[0] !== body.primary_dns) {
    throw apiError('VPC.0002', 'dnsList must start with primary_dns when both are given.');
  }
  if (list && body.secondary_dns !== undefined && list[1] !== body.secondary_dns) {
    throw apiError('VPC.0002', 'The second entry of dnsList must be secondary_dns when both are given.');
  }
  const primary = body.primary_dns ?? (list ? (list[0] ?? null) : current.primary);
  const secondary = body.secondary_dns ?? (list ? (list[1] ?? null) : current.secondary);
  if (secondary !== null && primary === null) {
    throw apiError('VPC.0002', 'secondary_dns needs primary_dns.');
  }
  return { primary, secondary };
}

export class VpcService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    /** The host's shared and reserved ranges (`dataplane.bindable_cidrs`, `reserved_cidrs`). */
    private readonly ranges: HostRanges,
  ) {}

  private tx<T>(fn: (trx: Db) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  private async vpcOrThrow(db: Db, ctx: RequestContext, id: string) {
    const vpc = await findVpc(db, ctx.projectId, id);
    if (!vpc) throw notFound('VPC', id);
    return vpc;
  }

  /** A subnet addressed through a VPC path must belong to that VPC. */
  private async subnetOrThrow(db: Db, ctx: RequestContext, id: string, vpcId?: string) {
    const subnet = await findSubnet(db, ctx.projectId, id);
    if (!subnet || (vpcId !== undefined && subnet.vpc_id !== vpcId)) throw notFound('subnet', id);
    return subnet;
  }

  // ---- VPCs ------------------------------------------------------------------------

  async createVpc(ctx: RequestContext, body: CreateVpcBody['vpc']): Promise<VpcView> {
    const input = { name: body.name ?? '', description: body.description ?? '', cidr: body.cidr };
    const vpc = await this.tx((trx) => createVpcIn(trx, this.clock.now(), ctx.projectId, input));
    ctx.log.info({ vpcId: vpc.id, cidr: vpc.cidr }, 'vpc created');
    return vpcView(vpc);
  }

  async listVpcs(ctx: RequestContext, q: ListVpcsQuery): Promise<VpcView[]> {
    const after = await markerPosition((id) => findVpc(this.db, ctx.projectId, id), q.marker);
    const rows = await listVpcs(this.db, ctx.projectId, { id: q.id, limit: pageSize(q.limit), after });
    return rows.map(vpcView);
  }

  async showVpc(ctx: RequestContext, id: string): Promise<VpcView> {
    return vpcView(await this.vpcOrThrow(this.db, ctx, id));
  }

  async updateVpc(ctx: RequestContext, id: string, body: UpdateVpcBody['vpc']): Promise<VpcView> {
    const vpc = await this.tx(async (trx) => {
      const current = await this.vpcOrThrow(trx, ctx, id);
      return updateVpcIn(trx, this.clock.now(), current, body);
    });
    return vpcView(vpc);
  }

  async deleteVpc(ctx: RequestContext, id: string): Promise<void> {
    await this.tx(async (trx) => deleteVpcIn(trx, await this.vpcOrThrow(trx, ctx, id)));
    ctx.log.info({ vpcId: id }, 'vpc deleted');
  }

  // ---- Subnets ---------------------------------------------------------------------

  async createSubnet(ctx: RequestContext, body: CreateSubnetBody['subnet']): Promise<SubnetView> {
    const dns = dnsOf(body, { primary: null, secondary: null });
    const subnet = await this.tx(async (trx) => {
      const vpc = await this.vpcOrThrow(trx, ctx, body.vpc_id);
      return createSubnetIn(
        trx,
        this.clock.now(),
        vpc,
        {
          name: body.name,
          description: body.description ?? '',
          cidr: body.cidr,
          gatewayIp: body.gateway_ip,
          dhcpEnable: body.dhcp_enable ?? true,
          primaryDns: dns.primary,
          secondaryDns: dns.secondary,
          availabilityZone: body.availability_zone ?? null,
        },
        this.ranges,
      );
    });
    ctx.log.info({ subnetId: subnet.id, vpcId: subnet.vpc_id, cidr: subnet.cidr }, 'subnet created');
    return subnetView(subnet);
  }

  async listSubnets(ctx: RequestContext, q: ListSubnetsQuery): Promise<SubnetView[]> {
    const after = await markerPosition((id) => findSubnet(this.db, ctx.projectId, id), q.marker);
    const rows = await listSubnets(this.db, ctx.projectId, {
      vpcId: q.vpc_id,
      limit: pageSize(q.limit),
      after,
    });
    return rows.map(subnetView);
  }

  async showSubnet(ctx: RequestContext, id: string): Promise<SubnetView> {
    return subnetView(await this.subnetOrThrow(this.db, ctx, id));
  }

  async updateSubnet(
    ctx: RequestContext,
    vpcId: string,
    id: string,
    body: UpdateSubnetBody['subnet'],
  ): Promise<{ id: string; status: string }> {
    const subnet = await this.tx(async (trx) => {
      const current = await this.subnetOrThrow(trx, ctx, id, vpcId);
      const dns = dnsOf(body, { primary: current.primary_dns, secondary: current.secondary_dns });
      return updateSubnetIn(
        trx,
        this.clock.now(),
        current,
        {
          name: body.name,
          description: body.description,
          dhcpEnable: body.dhcp_enable,
          primaryDns: dns.primary,
          secondaryDns: dns.secondary,
        },
        this.ranges,
      );
    });
    return { id: subnet.id, status: subnet.status };
  }

  async deleteSubnet(ctx: RequestContext, vpcId: string, id: string): Promise<void> {
    await this.tx(async (trx) => deleteSubnetIn(trx, await this.subnetOrThrow(trx, ctx, id, vpcId)));
    ctx.log.info({ subnetId: id }, 'subnet deleted');
  }

  // ---- Ports -----------------------------------------------------------------------

  async createPort(ctx: RequestContext, body: CreatePortBody['port']): Promise<PortView> {
    const fixed = body.fixed_ips?.[0];
    const { port, subnet } = await this.tx(async (trx) => {
      const subnet = await findSubnet(trx, ctx.projectId, body.network_id);
      if (!subnet) throw notFound('network', body.network_id);
      if (
        fixed?.subnet_id !== undefined &&
        fixed.subnet_id !== subnet.neutron_subnet_id &&
        fixed.subnet_id !== subnet.id
      ) {
        throw apiError(
          'VPC.0002',
          `fixed_ips[0].subnet_id ${fixed.subnet_id} is not the subnet of network ${subnet.id}.`,
        );
      }
      const port = await createPortIn(trx, this.clock.now(), subnet, {
        name: body.name ?? '',
        ipAddress: fixed?.ip_address,
        deviceOwner: body.device_owner ?? '',
        deviceId: body.device_id ?? '',
      });
      return { port, subnet };
    });
    ctx.log.info({ portId: port.id, ip: port.ip_address, deviceOwner: port.device_owner }, 'port created');
    return portView(port, subnet);
  }

  /** `fixed_ips=ip_address=…` / `fixed_ips=subnet_id=…` filters, as Neutron spells them. */
  private async fixedIpFilter(ctx: RequestContext, q: ListPortsQuery) {
    const ips: string[] = [];
    let networkIds: string[] | undefined = q.network_id !== undefined ? [q.network_id] : undefined;
    for (const f of q.fixed_ips ?? []) {
      const eq = f.indexOf('=');
      const key = f.slice(0, eq);
      const value = f.slice(eq + 1);
      if (eq > 0 && key === 'ip_address') {
        ips.push(value);
      } else if (eq > 0 && key === 'subnet_id') {
        const subnet = await findSubnetByAnyId(this.db, ctx.projectId, value);
        const ids = subnet ? [subnet.id] : [];
        networkIds = networkIds === undefined ? ids : networkIds.filter((n) => ids.includes(n));
      } else {
        throw apiError('VPC.0002', `Invalid fixed_ips filter '${f}': expected ip_address=… or subnet_id=….`);
      }
    }
    return { ips, networkIds };
  }

  async listPorts(ctx: RequestContext, q: ListPortsQuery): Promise<PortView[]> {
    const after = await markerPosition((id) => findPort(this.db, ctx.projectId, id), q.marker);
    const { ips, networkIds } = await this.fixedIpFilter(ctx, q);
    const rows = await listPorts(this.db, ctx.projectId, {
      ids: q.id,
      name: q.name,
      networkIds,
      ipAddresses: ips,
      deviceId: q.device_id,
      deviceOwner: q.device_owner,
      status: q.status,
      macAddress: q.mac_address,
      limit: pageSize(q.limit),
      after,
    });
    const subnets = new Map<string, SubnetRow>();
    for (const s of await subnetsByIds(this.db, [...new Set(rows.map((r) => r.network_id))]))
      subnets.set(s.id, s);
    return rows.map((p) => portView(p, subnets.get(p.network_id)));
  }

  async showPort(ctx: RequestContext, id: string): Promise<PortView> {
    const port = await findPort(this.db, ctx.projectId, id);
    if (!port) throw notFound('port', id);
    return portView(port, await findSubnet(this.db, ctx.projectId, port.network_id));
  }

  async deletePort(ctx: RequestContext, id: string): Promise<void> {
    await this.tx(async (trx) => {
      const port = await findPort(trx, ctx.projectId, id);
      if (!port) throw notFound('port', id);
      await deleteUnusedPortIn(trx, port);
    });
    ctx.log.info({ portId: id }, 'port deleted');
  }

  // ---- Route tables ----------------------------------------------------------------

  async listRouteTables(ctx: RequestContext, q: ListRouteTablesQuery): Promise<RouteTableListItem[]> {
    let vpcId = q.vpc_id;
    if (q.subnet_id !== undefined) {
      // A subnet is associated with its VPC's default table, the only kind there is.
      const subnet = await findSubnet(this.db, ctx.projectId, q.subnet_id);
      if (!subnet || (vpcId !== undefined && vpcId !== subnet.vpc_id)) return [];
      vpcId = subnet.vpc_id;
    }
    const after = await markerPosition((id) => findRouteTable(this.db, ctx.projectId, id), q.marker);
    const rows = await listRouteTables(this.db, ctx.projectId, {
      id: q.id,
      vpcId,
      defaultOnly: q.subnet_id !== undefined,
      limit: pageSize(q.limit),
      after,
    });
    const byVpc = new Map<string, SubnetRow[]>();
    const out: RouteTableListItem[] = [];
    for (const t of rows) {
      let subnets = byVpc.get(t.vpc_id);
      if (!subnets) byVpc.set(t.vpc_id, (subnets = await subnetsOfVpc(this.db, t.vpc_id)));
      out.push(routeTableListItem(t, subnets));
    }
    return out;
  }

  async showRouteTable(ctx: RequestContext, id: string): Promise<RouteTableView> {
    const table = await findRouteTable(this.db, ctx.projectId, id);
    if (!table) throw notFound('route table', id);
    return routeTableView(table, await subnetsOfVpc(this.db, table.vpc_id));
  }
}
