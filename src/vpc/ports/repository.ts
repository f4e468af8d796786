// SQL for the inventory's ports, and nothing else: no rules, no HTTP.
// Every function takes the database handle first so callers can pass a
// transaction, and every read of a resource is scoped by project so tenancy
// cannot be forgotten.
import { sql, type SqlBool } from 'kysely';
import type { PortsTable } from '../../store/schema.ts';
import { parseIpv4 } from '../cidr.ts';
import { afterPosition, touch, type Db, type PageQuery } from '../shared/repository.ts';

/** A port as the inventory hands it out; ip_number is the repository's own (see insertPort). */
export type PortRow = Omit<PortsTable, 'ip_number'>;

export interface PortFilter extends PageQuery {
  ids?: readonly string[] | undefined;
  name?: string | undefined;
  networkIds?: readonly string[] | undefined;
  deviceId?: string | undefined;
  deviceOwner?: string | undefined;
  status?: string | undefined;
  macAddress?: string | undefined;
  ipAddresses?: readonly string[] | undefined;
}

/** The number of a stored address: ports hold only addresses the API has parsed. */
function addressNumber(text: string): number {
  const n = parseIpv4(text);
  if (n === undefined) throw new Error(`unreachable: a port address '${text}' that does not parse`);
  return n;
}

export async function insertPort(db: Db, row: PortRow): Promise<void> {
  await db
    .insertInto('ports')
    .values({ ...row, ip_number: addressNumber(row.ip_address) })
    .execute();
}

/** The port of the subnet holding address `ip` (a number), by index. */
export function findPortByAddress(db: Db, subnetId: string, ip: number): Promise<PortRow | undefined> {
  return db
    .selectFrom('ports')
    .selectAll()
    .where('network_id', '=', subnetId)
    .where('ip_number', '=', ip)
    .executeTakeFirst();
}

/**
 * The lowest address from `first` to `last` that is not `gateway` and no port of
 * the subnet holds, or undefined when there is none. When the held addresses
 * run without a hole from `first` (a subnet filled in order, the usual case) one
 * indexed aggregate proves it and the answer is the next one; otherwise every
 * address right after a held one (or after the gateway) is a candidate and the
 * lowest free candidate is the answer.
 */
export async function lowestFreeAddress(
  db: Db,
  subnetId: string,
  range: { first: number; last: number; gateway: number },
): Promise<number | undefined> {
  const { first, last, gateway } = range;
  const skipGateway = (a: number) => (a === gateway ? a + 1 : a);
  const held = await db
    .selectFrom('ports')
    .select((eb) => [eb.fn.max('ip_number').as('top'), eb.fn.countAll<number>().as('n')])
    .where('network_id', '=', subnetId)
    .executeTakeFirstOrThrow();
  const n = Number(held.n);
  const top = held.top === null ? undefined : Number(held.top);
  if (n === 0 || top === undefined) {
    const a = skipGateway(first);
    return a <= last ? a : undefined;
  }
  const gatewayBelow = gateway >= first && gateway <= top ? 1 : 0;
  if (n === top - first + 1 - gatewayBelow) {
    const a = skipGateway(top + 1);
    return a <= last ? a : undefined;
  }
  const found = await sql<{ c: number }>`
    SELECT c FROM (
      SELECT CAST(${first} AS BIGINT) AS c
      UNION ALL SELECT CAST(${gateway + 1} AS BIGINT)
      UNION ALL SELECT ip_number + 1 FROM ports WHERE network_id = ${subnetId}
    ) AS candidates
    WHERE c >= ${first} AND c <= ${last} AND c <> ${gateway}
      AND NOT EXISTS (SELECT 1 FROM ports p WHERE p.network_id = ${subnetId} AND p.ip_number = candidates.c)
    ORDER BY c
    LIMIT 1`.execute(db);
  const row = found.rows[0];
  return row === undefined ? undefined : Number(row.c);
}

export function findPort(db: Db, projectId: string, id: string): Promise<PortRow | undefined> {
  return db
    .selectFrom('ports')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export function findPortAnywhere(db: Db, id: string): Promise<PortRow | undefined> {
  return db.selectFrom('ports').selectAll().where('id', '=', id).executeTakeFirst();
}

export function findPortInSubnet(db: Db, subnetId: string, ip: string): Promise<PortRow | undefined> {
  return db
    .selectFrom('ports')
    .selectAll()
    .where('network_id', '=', subnetId)
    .where('ip_address', '=', ip)
    .executeTakeFirst();
}

export function findPortInVpc(
  db: Db,
  projectId: string,
  vpcId: string,
  ip: string,
): Promise<PortRow | undefined> {
  return db
    .selectFrom('ports')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('vpc_id', '=', vpcId)
    .where('ip_address', '=', ip)
    .executeTakeFirst();
}

export function portsOfSubnet(db: Db, subnetId: string): Promise<PortRow[]> {
  return db.selectFrom('ports').selectAll().where('network_id', '=', subnetId).execute();
}

export function listPorts(db: Db, projectId: string, f: PortFilter): Promise<PortRow[]> {
  let query = db.selectFrom('ports').selectAll().where('project_id', '=', projectId);
  // An empty id or network list means "nothing can match", not "no filter".
  if (f.ids !== undefined)
    query = f.ids.length ? query.where('id', 'in', [...f.ids]) : query.where(sql<SqlBool>`1 = 0`);
  if (f.networkIds !== undefined) {
    query = f.networkIds.length
      ? query.where('network_id', 'in', [...f.networkIds])
      : query.where(sql<SqlBool>`1 = 0`);
  }
  if (f.ipAddresses !== undefined && f.ipAddresses.length)
    query = query.where('ip_address', 'in', [...f.ipAddresses]);
  if (f.name !== undefined) query = query.where('name', '=', f.name);
  if (f.deviceId !== undefined) query = query.where('device_id', '=', f.deviceId);
  if (f.deviceOwner !== undefined) query = query.where('device_owner', '=', f.deviceOwner);
  if (f.status !== undefined) query = query.where('status', '=', f.status);
  if (f.macAddress !== undefined) query = query.where('mac_address', '=', f.macAddress);
  if (f.after) query = query.where(afterPosition(f.after));
  return query.orderBy('created_at').orderBy('id').limit(f.limit).execute();
}

export async function updatePort(
  db: Db,
  id: string,
  patch: Partial<
    Pick<PortRow, 'name' | 'ip_address' | 'device_owner' | 'device_id' | 'status' | 'updated_at'>
  >,
): Promise<void> {
  const numbered =
    patch.ip_address === undefined ? patch : { ...patch, ip_number: addressNumber(patch.ip_address) };
  await db.updateTable('ports').set(numbered).where('id', '=', id).execute();
}

/** Takes the port row's write lock for the rest of the transaction; false when the port is gone. */
export function lockPort(db: Db, projectId: string, id: string): Promise<boolean> {
  return touch(db, 'ports', projectId, id);
}

export interface PortUsers {
  /** Endpoint services of the port's project naming it as `port_id` or `vip_port_id`. */
  services: string[];
  /** The VPC endpoint whose address the port holds. */
  endpoints: string[];
}

/**
 * What refers to a port, as a foreign key would see it: the VPCEP tables are
 * read here because the inventory must refuse to delete what they point at.
 * Only the port's own project counts, so another tenant naming the port as its
 * `vip_port_id` cannot pin it. An endpoint's port carries the endpoint's id as
 * `device_id` (endpoints/create.ts), which makes that look-up a primary-key read.
 */
export async function portUsers(
  db: Db,
  port: Pick<PortRow, 'id' | 'project_id' | 'device_id'>,
): Promise<PortUsers> {
  const services = await db
    .selectFrom('endpoint_services')
    .select('id')
    .where('project_id', '=', port.project_id)
    .where((eb) => eb.or([eb('port_id', '=', port.id), eb('vip_port_id', '=', port.id)]))
    .orderBy('id')
    .execute();
  const endpoints =
    port.device_id === ''
      ? []
      : await db
          .selectFrom('endpoints')
          .select('id')
          .where('id', '=', port.device_id)
          .where('project_id', '=', port.project_id)
          .where('port_id', '=', port.id)
          .execute();
  return { services: services.map((r) => r.id), endpoints: endpoints.map((r) => r.id) };
}

export async function deletePort(db: Db, id: string): Promise<void> {
  await db.deleteFrom('ports').where('id', '=', id).execute();
}

export async function countPorts(db: Db, subnetId: string): Promise<number> {
  const row = await db
    .selectFrom('ports')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('network_id', '=', subnetId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
