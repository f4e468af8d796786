// Ports and their addresses: checking and allocating an address, and the
// writes of ports with their rules, shared by the API service, the
// configuration seeder and (for endpoint ports) the VPCEP module.
// They must run inside a transaction: each locks the parent row it checks
// against first, so a check and the write it guards cannot be interleaved with
// another writer's.
import { createHash } from 'node:crypto';
import { uuid } from '../../context/ids.ts';
import { apiError } from '../../errors/api-error.ts';
import { isUniqueViolation } from '../../store/open.ts';
import { broadcastOf, formatIpv4, mustParseCidr, parseIpv4 } from '../cidr.ts';
import { addressError, addressProblem, type AddressProblem } from '../rules.ts';
import { notFound } from '../shared/not-found.ts';
import type { Db } from '../shared/repository.ts';
import {
  lockAndReadSubnet,
  lockSubnet,
  lowerFreeFrom,
  raiseFreeFrom,
  type SubnetRow,
} from '../subnets/repository.ts';
import {
  deletePort,
  findPortByAddress,
  insertPort,
  insertPortAtLowestFree,
  lockPort,
  lowestFreeAddress,
  portUsers,
  updatePort,
  type PortRow,
} from './repository.ts';

/** Neutron-style MAC derived from the port id: the same port always shows the same MAC. */
export function macFor(portId: string): string {
  const h = createHash('sha256').update(portId).digest();
  return ['fa', '16', '3e', ...[...h.subarray(0, 3)].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

/** The cloud shows a port as ACTIVE once something is plugged into it. */
export function portStatus(deviceOwner: string): string {
  return deviceOwner === '' ? 'DOWN' : 'ACTIVE';
}

/**
 * The held addresses addressProblem() needs to judge `text`: that one address
 * if a port of the subnet other than `except` holds it (one indexed look-up,
 * whatever the subnet holds), else none.
 */
async function usedAddresses(db: Db, subnet: SubnetRow, text: string, except?: string): Promise<Set<number>> {
  const ip = parseIpv4(text);
  if (ip === undefined) return new Set();
  const holder = await findPortByAddress(db, subnet.id, ip);
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

/** Where the search for a free host address of `subnet` starts, where it ends, and what it skips. */
function allocationRange(subnet: SubnetRow): { from: number; last: number; gateway: number } {
  const cidr = mustParseCidr(subnet.cidr);
  const first = cidr.network + 1;
  return {
    from: Math.max(first, subnet.free_from ?? first),
    last: broadcastOf(cidr) - 1,
    gateway: parseIpv4(subnet.gateway_ip) ?? 0,
  };
}

/** The lowest free host address of `subnet` (skipping the gateway), or undefined when full. */
export async function allocateAddress(db: Db, subnet: SubnetRow): Promise<string | undefined> {
  const free = await lowestFreeAddress(db, subnet.id, allocationRange(subnet));
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

/**
 * `insert`, with a unique violation answered as address `ip` in use. The
 * subnet lock makes one unreachable in practice; the unique index is the backstop.
 */
async function inUseOnConflict<T>(insert: Promise<T>, ip: string, subnet: SubnetRow): Promise<T> {
  try {
    return await insert;
  } catch (err) {
    if (isUniqueViolation(err)) throw addressError('in-use', ip, mustParseCidr(subnet.cidr));
    throw err;
  }
}

/** What a new port holds of its own, before it has a subnet and an address. */
export function newPortFields(
  now: number,
  input: NewPort,
): Omit<PortRow, 'project_id' | 'network_id' | 'vpc_id' | 'ip_address'> {
  const id = input.id ?? uuid();
  return {
    id,
    name: input.name,
    mac_address: macFor(id),
    device_owner: input.deviceOwner,
    device_id: input.deviceId,
    status: portStatus(input.deviceOwner),
    created_at: now,
    updated_at: now,
  };
}

export async function createPortIn(db: Db, now: number, given: SubnetRow, input: NewPort): Promise<PortRow> {
  // Read again under the lock: the caller's copy may predate an update that moved the block or
  // its gateway, and an address must come from the subnet as it now is.
  const subnet = await lockAndReadSubnet(db, given.project_id, given.id);
  if (subnet === undefined) throw notFound('subnet', given.id);
  const port = {
    ...newPortFields(now, input),
    project_id: subnet.project_id,
    network_id: subnet.id,
    vpc_id: subnet.vpc_id,
  };
  if (input.ipAddress === undefined) {
    const range = allocationRange(subnet);
    const placed = await inUseOnConflict(
      insertPortAtLowestFree(db, port, range),
      formatIpv4(range.from),
      subnet,
    );
    if (placed !== undefined) return { ...port, ip_address: placed };
  }
  let ip: string;
  let allocated = false;
  if (input.ipAddress !== undefined) {
    const problem = await checkAddress(db, subnet, input.ipAddress);
    if (problem) throw addressError(problem, input.ipAddress, mustParseCidr(subnet.cidr));
    ip = input.ipAddress;
  } else {
    const free = await allocateAddress(db, subnet);
    if (free === undefined)
      throw apiError('VPC.0303', `The subnet ${subnet.id} (${subnet.cidr}) has no free address.`);
    ip = free;
    allocated = true;
  }
  const row: PortRow = { ...port, ip_address: ip };
  await inUseOnConflict(insertPort(db, row), ip, subnet);
  // The lowest free address is now held: the next search starts above it.
  if (allocated) await raiseFreeFrom(db, subnet.id, (parseIpv4(ip) ?? 0) + 1);
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
  if (!(await lockSubnet(db, subnet.project_id, subnet.id))) throw notFound('subnet', subnet.id);
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
  await updatePort(db, port.id, { name, ip_address, device_owner, status, updated_at });
  const released = parseIpv4(port.ip_address);
  if (ip_address !== port.ip_address && released !== undefined) await lowerFreeFrom(db, subnet.id, released);
  return next;
}

export async function deletePortIn(db: Db, port: PortRow): Promise<void> {
  // The subnet before the port, the order every port writer takes them in.
  await lockSubnet(db, port.project_id, port.network_id);
  await releasePort(db, port);
}

/** Deletes the port; its address is free again, so the subnet's search must start no higher. */
async function releasePort(db: Db, port: PortRow): Promise<void> {
  const gone = await deletePort(db, port.id);
  if (gone) await lowerFreeFrom(db, gone.network_id, gone.ip_number);
}

/**
 * A tenant's delete: refused (409 VPC.0401) while an endpoint service or a VPC
 * endpoint of the project refers to the port. The port row is locked before
 * the check, and whoever starts referring to a port locks it too
 * (inventory.ts holdPort), so a reference committed concurrently is either
 * seen here or finds the port gone.
 */
export async function deleteUnusedPortIn(db: Db, port: PortRow): Promise<void> {
  // The subnet before the port, the order every port writer takes them in.
  await lockSubnet(db, port.project_id, port.network_id);
  if (!(await lockPort(db, port.project_id, port.id))) throw notFound('port', port.id);
  const users = await portUsers(db, port);
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
  await releasePort(db, port);
}
