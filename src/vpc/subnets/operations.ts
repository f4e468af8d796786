// Writes of the inventory's subnets with their rules (the VPC's block, its
// siblings, the host's shared ranges, the ports they hold), shared by the API
// service and the configuration seeder.
// They must run inside a transaction: each locks the parent row it checks
// against first, so a check and the write it guards cannot be interleaved with
// another writer's.
import { uuid } from '../../context/ids.ts';
import { apiError } from '../../errors/api-error.ts';
import { formatCidr, formatIpv4, mustParseCidr, type Cidr } from '../cidr.ts';
import { onHost, type HostRanges } from '../host-ranges.ts';
import { countPorts, portsOfSubnet } from '../ports/repository.ts';
import { addressProblem, gatewayAddress, hostSubnetCidr, subnetCidr } from '../rules.ts';
import { notFound } from '../shared/not-found.ts';
import type { Db } from '../shared/repository.ts';
import { findVpc, lockVpc, type VpcRow } from '../vpcs/repository.ts';
import {
  deleteSubnet,
  foreignSubnetCidrs,
  insertSubnet,
  lockHostNetwork,
  lockSubnet,
  subnetsOfVpc,
  updateSubnet,
  type SubnetRow,
} from './repository.ts';

export interface NewSubnet {
  id?: string | undefined;
  name: string;
  description: string;
  cidr: string;
  gatewayIp?: string | undefined;
  dhcpEnable: boolean;
  primaryDns: string | null;
  secondaryDns: string | null;
  availabilityZone: string | null;
}

/**
 * The host-network rule of a subnet (rules.ts hostSubnetCidr), under the lock
 * every project's subnet writers share, so that two projects claiming one range
 * at the same moment cannot both pass. Subnets off the host's shared ranges
 * skip both the lock and the rule.
 */
async function assertHostRangeFree(db: Db, ranges: HostRanges, projectId: string, cidr: Cidr): Promise<void> {
  if (!onHost(ranges, cidr)) return;
  // The reserved ranges need no store: refuse before queueing for the lock.
  hostSubnetCidr(cidr, ranges, []);
  await lockHostNetwork(db);
  hostSubnetCidr(cidr, ranges, await foreignSubnetCidrs(db, projectId, cidr.network >>> 24));
}

export async function createSubnetIn(
  db: Db,
  now: number,
  vpc: VpcRow,
  input: NewSubnet,
  ranges: HostRanges,
): Promise<SubnetRow> {
  if (!(await lockVpc(db, vpc.project_id, vpc.id))) throw notFound('VPC', vpc.id);
  const siblings = await subnetsOfVpc(db, vpc.id);
  const cidr = subnetCidr(input.cidr, mustParseCidr(vpc.cidr), siblings);
  await assertHostRangeFree(db, ranges, vpc.project_id, cidr);
  const gateway = gatewayAddress(cidr, input.gatewayIp);
  const id = input.id ?? uuid();
  const row: SubnetRow = {
    id,
    project_id: vpc.project_id,
    vpc_id: vpc.id,
    name: input.name,
    description: input.description,
    cidr: formatCidr(cidr),
    gateway_ip: formatIpv4(gateway),
    dhcp_enable: input.dhcpEnable ? 1 : 0,
    primary_dns: input.primaryDns,
    secondary_dns: input.secondaryDns,
    availability_zone: input.availabilityZone,
    neutron_subnet_id: uuid(),
    status: 'ACTIVE',
    created_at: now,
    updated_at: now,
    free_from: null,
  };
  await insertSubnet(db, row);
  return row;
}

export type SubnetChange = Partial<Omit<NewSubnet, 'id'>>;

/**
 * Changes a subnet. Moving its CIDR or gateway (configuration only; the API
 * cannot) is checked like a new subnet, and every port must still fit.
 */
export async function updateSubnetIn(
  db: Db,
  now: number,
  subnet: SubnetRow,
  change: SubnetChange,
  ranges: HostRanges,
): Promise<SubnetRow> {
  if (!(await lockSubnet(db, subnet.project_id, subnet.id))) throw notFound('subnet', subnet.id);
  const next: SubnetRow = { ...subnet };
  let moved = false;
  if (change.name !== undefined) next.name = change.name;
  if (change.description !== undefined) next.description = change.description;
  if (change.dhcpEnable !== undefined) next.dhcp_enable = change.dhcpEnable ? 1 : 0;
  if (change.primaryDns !== undefined) next.primary_dns = change.primaryDns;
  if (change.secondaryDns !== undefined) next.secondary_dns = change.secondaryDns;
  if (change.availabilityZone !== undefined) next.availability_zone = change.availabilityZone;
  const movesCidr = change.cidr !== undefined && change.cidr !== subnet.cidr;
  if (movesCidr || (change.gatewayIp !== undefined && change.gatewayIp !== subnet.gateway_ip)) {
    const vpc = await findVpc(db, subnet.project_id, subnet.vpc_id);
    if (!vpc || !(await lockVpc(db, vpc.project_id, vpc.id))) throw notFound('VPC', subnet.vpc_id);
    const siblings = (await subnetsOfVpc(db, vpc.id)).filter((s) => s.id !== subnet.id);
    const cidr = movesCidr
      ? subnetCidr(change.cidr ?? '', mustParseCidr(vpc.cidr), siblings)
      : mustParseCidr(subnet.cidr);
    if (movesCidr) await assertHostRangeFree(db, ranges, subnet.project_id, cidr);
    // A moved subnet without an explicit gateway gets the default one of its new block.
    const gateway = gatewayAddress(cidr, change.gatewayIp ?? (movesCidr ? undefined : subnet.gateway_ip));
    for (const port of await portsOfSubnet(db, subnet.id)) {
      const problem = addressProblem(cidr, gateway, port.ip_address, new Set());
      if (problem) {
        throw apiError(
          problem === 'gateway' ? 'VPC.0302' : 'VPC.0301',
          `The subnet ${subnet.id} cannot become ${formatCidr(cidr)} with gateway ${formatIpv4(gateway)}: port ${port.id} has ${port.ip_address}.`,
        );
      }
    }
    next.cidr = formatCidr(cidr);
    next.gateway_ip = formatIpv4(gateway);
    // The held run below free_from was counted in the old block, around the old gateway.
    next.free_from = null;
    moved = true;
  }
  next.updated_at = now;
  // free_from is the allocator's: `subnet` was read before the lock, so its
  // copy may predate a port's release; it is written only to reset it.
  const { id: _id, project_id: _p, vpc_id: _v, created_at: _c, free_from: _f, ...patch } = next;
  await updateSubnet(db, subnet.id, moved ? { ...patch, free_from: null } : patch);
  return next;
}

export async function deleteSubnetIn(db: Db, subnet: SubnetRow): Promise<void> {
  if (!(await lockSubnet(db, subnet.project_id, subnet.id))) throw notFound('subnet', subnet.id);
  const ports = await countPorts(db, subnet.id);
  if (ports > 0) {
    throw apiError('VPC.0401', `The subnet ${subnet.id} still has ${ports} port(s); delete them first.`);
  }
  await deleteSubnet(db, subnet.id);
}
