// SQL for the inventory's ports, and nothing else: no rules, no HTTP.
// Every function takes the database handle first so callers can pass a
// transaction, and every read of a resource is scoped by project so tenancy
// cannot be forgotten.
import { PostgresAdapter, sql, type SqlBool } from 'kysely';
import { preparedInsert, preparedStatement } from '../../store/prepared.ts';
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

const insertPortRow = preparedInsert('ports', [
  'id',
  'project_id',
  'network_id',
  'vpc_id',
  'name',
  'ip_address',
  'ip_number',
  'mac_address',
  'device_owner',
  'device_id',
  'status',
  'created_at',
  'updated_at',
]);

export async function insertPort(db: Db, row: PortRow): Promise<void> {
  await insertPortRow(db, { ...row, ip_number: addressNumber(row.ip_address) });
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
 * The lowest address from `from` to `last` that is not `gateway` and no port
 * of the subnet holds, or undefined when there is none. Each step is one
 * statement of index look-ups: `from` itself if it is free, else the end of
 * the run of held addresses that starts at it; a second step only when that
 * run ends right below the gateway (which no port holds).
 */
export async function lowestFreeAddress(
  db: Db,
  subnetId: string,
  range: { from: number; last: number; gateway: number },
): Promise<number | undefined> {
  const { last, gateway } = range;
  let from = range.from;
  for (;;) {
    if (from === gateway) from++;
    if (from > last) return undefined;
    const found = await firstFreeFrom(db, subnetId, from);
    if (found !== gateway) return found <= last ? found : undefined;
    from = gateway + 1;
  }
}

/**
 * The lowest address at or above `from` that no port of subnet `net` holds, as
 * an SQL expression. The subquery walks the subnet's addresses upwards from
 * `from` in index order and stops at the first one whose successor is not
 * held: only the run that starts at `from` is read, never the rest of the
 * subnet. Each value fills one place (a compiled-once statement binds every
 * argument exactly once), hence the repeats.
 */
function lowestFreeAtOrAbove(
  [net, net2, net3]: readonly [unknown, unknown, unknown],
  [from, from2, from3]: readonly [unknown, unknown, unknown],
) {
  return sql<number | string>`CASE
    WHEN NOT EXISTS (SELECT 1 FROM ports WHERE network_id = ${net} AND ip_number = ${from})
      THEN CAST(${from2} AS BIGINT)
    ELSE (SELECT p.ip_number + 1 FROM ports p
          WHERE p.network_id = ${net2} AND p.ip_number >= ${from3}
            AND NOT EXISTS (SELECT 1 FROM ports q
                            WHERE q.network_id = ${net3} AND q.ip_number = p.ip_number + 1)
          ORDER BY p.ip_number
          LIMIT 1)
  END`;
}

const firstFree = preparedStatement(
  (_db: Db, n1: string, n2: string, n3: string, f1: number, f2: number, f3: number) =>
    sql<{ c: number | string }>`SELECT ${lowestFreeAtOrAbove([n1, n2, n3], [f1, f2, f3])} AS c`,
);

/** The lowest address at or above `from` that no port of the subnet holds. */
async function firstFreeFrom(db: Db, subnetId: string, from: number): Promise<number> {
  const [found] = await firstFree(db, subnetId, subnetId, subnetId, from, from, from);
  return Number(found?.c);
}

/**
 * PostgreSQL only (undefined elsewhere, and nothing written): a new port at the
 * lowest free address at or above `range.from`, and the subnet's `free_from`
 * moved past it, in one statement, under the subnet lock the caller holds. On
 * PostgreSQL each statement is a round trip, and from the subnet's lock to
 * COMMIT every create in the subnet waits: the search, the insert and the
 * update as three statements were half of that stretch. Also undefined when
 * the search lands on the gateway or past `range.last`: the caller then takes
 * the stepwise path (lowestFreeAddress), which knows how to step over them.
 */
export async function insertPortAtLowestFree(
  db: Db,
  port: Omit<PortRow, 'ip_address'>,
  range: { from: number; last: number; gateway: number },
): Promise<string | undefined> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return undefined;
  const net = port.network_id;
  const { from, last, gateway } = range;
  // The statement's snapshot is taken after the subnet's lock, so the search
  // sees every port the subnet's previous holder committed.
  const placed = await sql<{ ip_address: string }>`
    WITH c AS (
      SELECT ${lowestFreeAtOrAbove([net, net, net], [from, from, from])} AS ip
    ), placed AS (
      INSERT INTO ports (id, project_id, network_id, vpc_id, name, ip_address, ip_number,
                         mac_address, device_owner, device_id, status, created_at, updated_at)
      SELECT ${port.id}, ${port.project_id}, ${net}, ${port.vpc_id}, ${port.name},
             host('0.0.0.0'::inet + c.ip), c.ip, ${port.mac_address}, ${port.device_owner},
             ${port.device_id}, ${port.status}, CAST(${port.created_at} AS BIGINT),
             CAST(${port.updated_at} AS BIGINT)
      FROM c
      WHERE c.ip <> ${gateway} AND c.ip <= ${last}
      RETURNING ip_number, ip_address
    )
    UPDATE subnets SET free_from = placed.ip_number + 1
    FROM placed
    WHERE subnets.id = ${net}
    RETURNING placed.ip_address`.execute(db);
  return placed.rows[0]?.ip_address;
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

/** Deletes the port; the subnet and the address it held, for the caller to mark free. */
export function deletePort(
  db: Db,
  id: string,
): Promise<{ network_id: string; ip_number: number } | undefined> {
  return db
    .deleteFrom('ports')
    .where('id', '=', id)
    .returning(['network_id', 'ip_number'])
    .executeTakeFirst();
}

export async function countPorts(db: Db, subnetId: string): Promise<number> {
  const row = await db
    .selectFrom('ports')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('network_id', '=', subnetId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
