import type { Clock } from '../context/clock.ts';
import type { RequestContext } from '../context/request-context.ts';
import { apiError } from '../errors/api-error.ts';
import { containsAddress, mustParseCidr, parseIpv4 } from './cidr.ts';
import { createPortIn, deletePortIn, newPortFields } from './ports/operations.ts';
import { findPort, findPortInVpc, lockPort, type PortRow } from './ports/repository.ts';
import { defaultRouteTableOf, findRouteTable, type RouteTableRow } from './route-tables/repository.ts';
import type { Db } from './shared/repository.ts';
import { findSubnetByAnyId, type SubnetRow } from './subnets/repository.ts';
import { findVpc, type VpcRow } from './vpcs/repository.ts';

// What other modules (the VPCEP service first) may use of the VPC inventory.
// Every function takes the database handle first, so it joins the caller's
// transaction when given one, and a project scope: a request context or a bare
// project id. Look-ups answer undefined for ids that are unknown *or* belong to
// another project, so callers map both to their own "does not exist" code.

export type { Db } from './shared/repository.ts';
export type { PortRow } from './ports/repository.ts';
export type { RouteTableRow } from './route-tables/repository.ts';
export type { SubnetRow } from './subnets/repository.ts';
export type { VpcRow } from './vpcs/repository.ts';
export type { AddressProblem } from './rules.ts';

export type Scope = string | Pick<RequestContext, 'projectId'>;

function projectOf(scope: Scope): string {
  return typeof scope === 'string' ? scope : scope.projectId;
}

export function getVpc(db: Db, scope: Scope, vpcId: string): Promise<VpcRow | undefined> {
  return findVpc(db, projectOf(scope), vpcId);
}

/** A subnet by its id (the VPC API's network_id) or its neutron_subnet_id. */
export function getSubnet(db: Db, scope: Scope, subnetId: string): Promise<SubnetRow | undefined> {
  return findSubnetByAnyId(db, projectOf(scope), subnetId);
}

export function getPort(db: Db, scope: Scope, portId: string): Promise<PortRow | undefined> {
  return findPort(db, projectOf(scope), portId);
}

/**
 * The port, locked for the rest of the transaction, or undefined when it does
 * not exist (or is another project's). Call it before storing a reference to
 * the port: a concurrent DELETE through the VPC API then either waits for the
 * caller's commit and sees the reference (409), or has already removed the
 * port, which this answers as undefined.
 */
export async function holdPort(db: Db, scope: Scope, portId: string): Promise<PortRow | undefined> {
  const projectId = projectOf(scope);
  if (!(await lockPort(db, projectId, portId))) return undefined;
  return findPort(db, projectId, portId);
}

/** Subnets of a VPC never overlap, so an address names at most one port per VPC. */
export function findPortByIp(db: Db, scope: Scope, vpcId: string, ip: string): Promise<PortRow | undefined> {
  return findPortInVpc(db, projectOf(scope), vpcId, ip);
}

export async function defaultRouteTable(
  db: Db,
  scope: Scope,
  vpcId: string,
): Promise<RouteTableRow | undefined> {
  const table = await defaultRouteTableOf(db, vpcId);
  return table?.project_id === projectOf(scope) ? table : undefined;
}

export function getRouteTable(
  db: Db,
  scope: Scope,
  routeTableId: string,
): Promise<RouteTableRow | undefined> {
  return findRouteTable(db, projectOf(scope), routeTableId);
}

/** Pure: whether `ip` is an address of the subnet's block (network and broadcast included). */
export function subnetContains(subnet: Pick<SubnetRow, 'cidr'>, ip: string): boolean {
  const address = parseIpv4(ip);
  return address !== undefined && containsAddress(mustParseCidr(subnet.cidr), address);
}

// Why an address cannot be given to a new port ('invalid', 'outside', 'not-host',
// 'gateway', 'in-use'; undefined when free), and the lowest free host address.
// Either is a guarantee only inside the transaction that then creates the port.
export { allocateAddress, checkAddress } from './ports/operations.ts';

export interface PortRequest {
  id?: string;
  name?: string;
  /** Fixed address; the lowest free one when absent. */
  ipAddress?: string;
  deviceOwner: string;
  deviceId?: string;
}

/**
 * Creates a port in a subnet of the scope's project, e.g. the address of a VPC
 * endpoint. Throws the catalog's ApiError (VPC.0005, VPC.0301, VPC.0302,
 * VPC.0303) when it cannot; call it inside a transaction.
 */
export async function createPort(
  db: Db,
  clock: Clock,
  scope: Scope,
  subnetId: string,
  req: PortRequest,
): Promise<PortRow> {
  const subnet = await findSubnetByAnyId(db, projectOf(scope), subnetId);
  if (!subnet) throw apiError('VPC.0005', `The subnet ${subnetId} does not exist.`);
  return createPortOf(db, clock, subnet, req);
}

/**
 * createPort() for a subnet the caller has just read in its transaction (with
 * getSubnet, so of its project), saving a second read; the subnet's lock is taken here.
 */
export function createPortOf(db: Db, clock: Clock, subnet: SubnetRow, req: PortRequest): Promise<PortRow> {
  return createPortIn(db, clock.now(), subnet, {
    id: req.id,
    name: req.name ?? '',
    ipAddress: req.ipAddress,
    deviceOwner: req.deviceOwner,
    deviceId: req.deviceId ?? '',
  });
}

/**
 * What a port made for `req` holds before it has a subnet and an address (id,
 * name, MAC, owner, status, times): for a writer that places the port itself,
 * in one statement with its own rows (the PostgreSQL endpoint create).
 */
export function newPortOf(clock: Clock, req: Omit<PortRequest, 'ipAddress'>) {
  return newPortFields(clock.now(), {
    id: req.id,
    name: req.name ?? '',
    deviceOwner: req.deviceOwner,
    deviceId: req.deviceId ?? '',
  });
}

/** Deletes a port of the scope's project; false when there was none. */
export async function deletePort(db: Db, scope: Scope, portId: string): Promise<boolean> {
  const port = await findPort(db, projectOf(scope), portId);
  if (!port) return false;
  await deletePortIn(db, port);
  return true;
}
