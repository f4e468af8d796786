import { createHash } from 'node:crypto';
import { uuid } from '../context/ids.ts';
import { apiError } from '../errors/api-error.ts';
import { isUniqueViolation } from '../store/open.ts';
import { broadcastOf, formatCidr, formatIpv4, mustParseCidr, parseIpv4, type Cidr } from './cidr.ts';
import { onHost, type HostRanges } from './host-ranges.ts';
import * as repo from './repository.ts';
import type { Db, PortRow, SubnetRow, VpcRow } from './repository.ts';
import {
  addressError,
  addressProblem,
  gatewayAddress,
  hostSubnetCidr,
  subnetCidr,
  vpcCidr,
  vpcCidrHoldsSubnets,
  type AddressProblem,
} from './rules.ts';

// Writes of the inventory with their rules, shared by the API service, the
// configuration seeder and (for endpoint ports) the VPCEP module. They must run
// inside a transaction: each locks the parent row it checks against first, so a
// check and the write it guards cannot be interleaved with another writer's.

const notFound = (what: string, id: string) => apiError('VPC.0005', `The ${what} ${id} does not exist.`);

/** Neutron-style MAC derived from the port id: the same port always shows the same MAC. */
export function macFor(portId: string): string {
  const h = createHash('sha256').update(portId).digest();
  return ['fa', '16', '3e', ...[...h.subarray(0, 3)].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

/** The cloud shows a port as ACTIVE once something is plugged into it. */
export function portStatus(deviceOwner: string): string {
  return deviceOwner === '' ? 'DOWN' : 'ACTIVE';
}

// ---- VPCs ------------------------------------------------------------------------

export interface NewVpc {
  id?: string | undefined;
  name: string;
  description: string;
  cidr: string;
}

async function assertNameFree(db: Db, projectId: string, name: string, self?: string): Promise<void> {
  if (name === '') return;
  const other = await repo.findVpcByName(db, projectId, name);
  if (other && other.id !== self) {
    throw apiError('VPC.0003', `The project already has a VPC named '${name}' (${other.id}).`);
  }
}

/** Inserts, mapping a unique-index race on the VPC name to the error the pre-check gives. */
async function guardName<T>(name: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isUniqueViolation(err)) throw apiError('VPC.0003', `The project already has a VPC named '${name}'.`);
    throw err;
  }
}

/** Creates a VPC and its default route table (every VPC in the cloud has one). */
export async function createVpcIn(db: Db, now: number, projectId: string, input: NewVpc): Promise<VpcRow> {
  const cidr = vpcCidr(input.cidr);
  await assertNameFree(db, projectId, input.name);
  const row: VpcRow = {
    id: input.id ?? uuid(),
    project_id: projectId,
    name: input.name,
    description: input.description,
    cidr: formatCidr(cidr),
    status: 'OK',
    created_at: now,
    updated_at: now,
  };
  await guardName(input.name, () => repo.insertVpc(db, row));
  await ensureDefaultRouteTable(db, now, row);
  return row;
}

export async function ensureDefaultRouteTable(db: Db, now: number, vpc: VpcRow): Promise<void> {
  if (await repo.defaultRouteTableOf(db, vpc.id)) return;
  await repo.insertRouteTable(db, {
    id: uuid(),
    project_id: vpc.project_id,
    vpc_id: vpc.id,
    name: `rtb-${vpc.name === '' ? vpc.id.slice(0, 8) : vpc.name}`,
    description: '',
    is_default: 1,
    routes: '[]',
    created_at: now,
    updated_at: now,
  });
}

export interface VpcChange {
  name?: string | undefined;
  description?: string | undefined;
  cidr?: string | undefined;
}

export async function updateVpcIn(db: Db, now: number, vpc: VpcRow, change: VpcChange): Promise<VpcRow> {
  if (!(await repo.lockVpc(db, vpc.project_id, vpc.id))) throw notFound('VPC', vpc.id);
  const next: VpcRow = { ...vpc };
  if (change.name !== undefined && change.name !== vpc.name) {
    await assertNameFree(db, vpc.project_id, change.name, vpc.id);
    next.name = change.name;
  }
  if (change.description !== undefined) next.description = change.description;
  if (change.cidr !== undefined && change.cidr !== vpc.cidr) {
    const cidr = vpcCidr(change.cidr);
    vpcCidrHoldsSubnets(cidr, await repo.subnetsOfVpc(db, vpc.id));
    next.cidr = formatCidr(cidr);
  }
  if (next.name === vpc.name && next.description === vpc.description && next.cidr === vpc.cidr) return vpc;
  next.updated_at = now;
  const { name, description, cidr, updated_at } = next;
  await guardName(name, () => repo.updateVpc(db, vpc.id, { name, description, cidr, updated_at }));
  return next;
}

export async function deleteVpcIn(db: Db, vpc: VpcRow): Promise<void> {
  if (!(await repo.lockVpc(db, vpc.project_id, vpc.id))) throw notFound('VPC', vpc.id);
  const subnets = await repo.countSubnets(db, vpc.id);
  if (subnets > 0) {
    throw apiError('VPC.0401', `The VPC ${vpc.id} still has ${subnets} subnet(s); delete them first.`);
  }
  await repo.deleteVpc(db, vpc.id);
}

// ---- Subnets ---------------------------------------------------------------------

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
  await repo.lockHostNetwork(db);
  hostSubnetCidr(cidr, ranges, await repo.foreignSubnetCidrs(db, projectId, cidr.network >>> 24));
}

export async function createSubnetIn(
  db: Db,
  now: number,
  vpc: VpcRow,
  input: NewSubnet,
  ranges: HostRanges,
): Promise<SubnetRow> {
  if (!(await repo.lockVpc(db, vpc.project_id, vpc.id))) throw notFound('VPC', vpc.id);
  const siblings = await repo.subnetsOfVpc(db, vpc.id);
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
  };
  await repo.insertSubnet(db, row);
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
  if (!(await repo.lockSubnet(db, subnet.project_id, subnet.id))) throw notFound('subnet', subnet.id);
  const next: SubnetRow = { ...subnet };
  if (change.name !== undefined) next.name = change.name;
  if (change.description !== undefined) next.description = change.description;
  if (change.dhcpEnable !== undefined) next.dhcp_enable = change.dhcpEnable ? 1 : 0;
  if (change.primaryDns !== undefined) next.primary_dns = change.primaryDns;
  if (change.secondaryDns !== undefined) next.secondary_dns = change.secondaryDns;
  if (change.availabilityZone !== undefined) next.availability_zone = change.availabilityZone;
  const movesCidr = change.cidr !== undefined && change.cidr !== subnet.cidr;
  if (movesCidr || (change.gatewayIp !== undefined && change.gatewayIp !== subnet.gateway_ip)) {
    const vpc = await repo.findVpc(db, subnet.project_id, subnet.vpc_id);
    if (!vpc || !(await repo.lockVpc(db, vpc.project_id, vpc.id))) throw notFound('VPC', subnet.vpc_id);
    const siblings = (await repo.subnetsOfVpc(db, vpc.id)).filter((s) => s.id !== subnet.id);
    const cidr = movesCidr
      ? subnetCidr(change.cidr ?? '', mustParseCidr(vpc.cidr), siblings)
      : mustParseCidr(subnet.cidr);
    if (movesCidr) await assertHostRangeFree(db, ranges, subnet.project_id, cidr);
    // A moved subnet without an explicit gateway gets the default one of its new block.
    const gateway = gatewayAddress(cidr, change.gatewayIp ?? (movesCidr ? undefined : subnet.gateway_ip));
    for (const port of await repo.portsOfSubnet(db, subnet.id)) {
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
  }
  next.updated_at = now;
  const { id: _id, project_id: _p, vpc_id: _v, created_at: _c, ...patch } = next;
  await repo.updateSubnet(db, subnet.id, patch);
  return next;
}

export async function deleteSubnetIn(db: Db, subnet: SubnetRow): Promise<void> {
  if (!(await repo.lockSubnet(db, subnet.project_id, subnet.id))) throw notFound('subnet', subnet.id);
  const ports = await repo.countPorts(db, subnet.id);
  if (ports > 0) {
    throw apiError('VPC.0401', `The subnet ${subnet.id} still has ${ports} port(s); delete them first.`);
  }
  await repo.deleteSubnet(db, subnet.id);
}

// ---- Ports and addresses ---------------------------------------------------------

/**
 * The held addresses addressProblem() needs to judge `text`: that one address
 * if a port of the subnet other than `except` holds it (one indexed look-up,
 * whatever the subnet holds), else none.
 */
async function usedAddresses(db: Db, subnet: SubnetRow, text: string, except?: string): Promise<Set<number>> {
  const ip = parseIpv4(text);
  if (ip === undefined) return new Set();
  const holder = await repo.findPortByAddress(db, subnet.id, ip);
  return holder !== undefined && holder.ip_address !== except ? new Set([ip]) : new Set();
}

/** Why `ip` cannot be given to a new port of `subnet`; undefined when it is free. */
export async function checkAddress(
  db: Db,
  subnet: SubnetRow,
  ip: string,
): Promise<AddressProblem | undefined> {
  const gateway = parseIpv4(subnet.gateway_ip) ?? 0;
  return addressProblem(mustParseCidr(subnet.cidr), gateway, ip, await usedAddresses(db, subnet, ip));
}

/** The lowest free host address of `subnet` (skipping the gateway), or undefined when full. */
export async function allocateAddress(db: Db, subnet: SubnetRow): Promise<string | undefined> {
  const cidr = mustParseCidr(subnet.cidr);
  const free = await repo.lowestFreeAddress(db, subnet.id, {
    first: cidr.network + 1,
    last: broadcastOf(cidr) - 1,
    gateway: parseIpv4(subnet.gateway_ip) ?? 0,
  });
  return free === undefined ? undefined : formatIpv4(free);
}

export interface NewPort {
  id?: string | undefined;
  name: string;
  /** A fixed address; the lowest free one when absent. */
  ipAddress?: string | undefined;
  deviceOwner: string;
  deviceId: string;
}

export async function createPortIn(db: Db, now: number, given: SubnetRow, input: NewPort): Promise<PortRow> {
  if (!(await repo.lockSubnet(db, given.project_id, given.id))) throw notFound('subnet', given.id);
  // Read again under the lock: the caller's copy may predate an update that moved the block or
  // its gateway, and an address must come from the subnet as it now is.
  const subnet = await repo.findSubnet(db, given.project_id, given.id);
  if (subnet === undefined) throw notFound('subnet', given.id);
  let ip: string;
  if (input.ipAddress !== undefined) {
    const problem = await checkAddress(db, subnet, input.ipAddress);
    if (problem) throw addressError(problem, input.ipAddress, mustParseCidr(subnet.cidr));
    ip = input.ipAddress;
  } else {
    const free = await allocateAddress(db, subnet);
    if (free === undefined)
      throw apiError('VPC.0303', `The subnet ${subnet.id} (${subnet.cidr}) has no free address.`);
    ip = free;
  }
  const id = input.id ?? uuid();
  const row: PortRow = {
    id,
    project_id: subnet.project_id,
    network_id: subnet.id,
    vpc_id: subnet.vpc_id,
    name: input.name,
    ip_address: ip,
    mac_address: macFor(id),
    device_owner: input.deviceOwner,
    device_id: input.deviceId,
    status: portStatus(input.deviceOwner),
    created_at: now,
    updated_at: now,
  };
  try {
    await repo.insertPort(db, row);
  } catch (err) {
    // The subnet lock makes this unreachable in practice; the unique index is the backstop.
    if (isUniqueViolation(err)) throw addressError('in-use', ip, mustParseCidr(subnet.cidr));
    throw err;
  }
  return row;
}

export interface PortChange {
  name?: string | undefined;
  ipAddress?: string | undefined;
  deviceOwner?: string | undefined;
}

/** Configuration only: renames a port, re-addresses it or plugs it into another device kind. */
export async function updatePortIn(
  db: Db,
  now: number,
  port: PortRow,
  subnet: SubnetRow,
  change: PortChange,
): Promise<PortRow> {
  if (!(await repo.lockSubnet(db, subnet.project_id, subnet.id))) throw notFound('subnet', subnet.id);
  const next: PortRow = { ...port };
  if (change.name !== undefined) next.name = change.name;
  if (change.deviceOwner !== undefined) {
    next.device_owner = change.deviceOwner;
    next.status = portStatus(change.deviceOwner);
  }
  if (change.ipAddress !== undefined && change.ipAddress !== port.ip_address) {
    const cidr = mustParseCidr(subnet.cidr);
    const used = await usedAddresses(db, subnet, change.ipAddress, port.ip_address);
    const problem = addressProblem(cidr, parseIpv4(subnet.gateway_ip) ?? 0, change.ipAddress, used);
    if (problem) throw addressError(problem, change.ipAddress, cidr);
    next.ip_address = change.ipAddress;
  }
  if (
    next.name === port.name &&
    next.device_owner === port.device_owner &&
    next.ip_address === port.ip_address
  ) {
    return port;
  }
  next.updated_at = now;
  const { name, ip_address, device_owner, status, updated_at } = next;
  await repo.updatePort(db, port.id, { name, ip_address, device_owner, status, updated_at });
  return next;
}

export async function deletePortIn(db: Db, port: PortRow): Promise<void> {
  await repo.deletePort(db, port.id);
}

/**
 * A tenant's delete: refused (409 VPC.0401) while an endpoint service or a VPC
 * endpoint of the project refers to the port. The port row is locked before
 * the check, and whoever starts referring to a port locks it too
 * (inventory.ts holdPort), so a reference committed concurrently is either
 * seen here or finds the port gone.
 */
export async function deleteUnusedPortIn(db: Db, port: PortRow): Promise<void> {
  if (!(await repo.lockPort(db, port.project_id, port.id))) throw notFound('port', port.id);
  const users = await repo.portUsers(db, port);
  const named = [
    ...users.services.map((id) => `endpoint service ${id}`),
    ...users.endpoints.map((id) => `VPC endpoint ${id}`),
  ];
  if (named.length > 0) {
    throw apiError(
      'VPC.0401',
      `The port ${port.id} is in use by ${named.join(', ')}; delete ${named.length > 1 ? 'them' : 'it'} first.`,
    );
  }
  await repo.deletePort(db, port.id);
}
