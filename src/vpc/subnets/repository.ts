// SQL for the inventory's subnets, and nothing else: no rules, no HTTP.
// Every function takes the database handle first so callers can pass a
// transaction, and every read of a resource is scoped by project so tenancy
// cannot be forgotten.
import { preparedStatement } from '../../store/prepared.ts';
import type { SubnetsTable } from '../../store/schema.ts';
import { afterPosition, touch, type Db, type PageQuery } from '../shared/repository.ts';

export type SubnetRow = SubnetsTable;

export async function insertSubnet(db: Db, row: SubnetRow): Promise<void> {
  await db.insertInto('subnets').values(row).execute();
}

export function findSubnet(db: Db, projectId: string, id: string): Promise<SubnetRow | undefined> {
  return db
    .selectFrom('subnets')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export function findSubnetAnywhere(db: Db, id: string): Promise<SubnetRow | undefined> {
  return db.selectFrom('subnets').selectAll().where('id', '=', id).executeTakeFirst();
}

const subnetByAnyId = preparedStatement((db: Db, projectId: string, id: string, neutronId: string) =>
  db
    .selectFrom('subnets')
    .selectAll()
    .where('project_id', '=', projectId)
    .where((eb) => eb.or([eb('id', '=', id), eb('neutron_subnet_id', '=', neutronId)])),
);

/** A subnet by its own id or by its neutron_subnet_id (what fixed_ips[].subnet_id carries). */
export async function findSubnetByAnyId(
  db: Db,
  projectId: string,
  id: string,
): Promise<SubnetRow | undefined> {
  return (await subnetByAnyId(db, projectId, id, id))[0];
}

export function subnetsOfVpc(db: Db, vpcId: string): Promise<SubnetRow[]> {
  return db
    .selectFrom('subnets')
    .selectAll()
    .where('vpc_id', '=', vpcId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

export function subnetsByIds(db: Db, ids: readonly string[]): Promise<SubnetRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('subnets')
    .selectAll()
    .where('id', 'in', [...ids])
    .execute();
}

export function listSubnets(
  db: Db,
  projectId: string,
  q: PageQuery & { vpcId?: string | undefined },
): Promise<SubnetRow[]> {
  let query = db.selectFrom('subnets').selectAll().where('project_id', '=', projectId);
  if (q.vpcId !== undefined) query = query.where('vpc_id', '=', q.vpcId);
  if (q.after) query = query.where(afterPosition(q.after));
  return query.orderBy('created_at').orderBy('id').limit(q.limit).execute();
}

export async function updateSubnet(
  db: Db,
  id: string,
  patch: Partial<Omit<SubnetRow, 'id' | 'project_id' | 'vpc_id' | 'created_at'>>,
): Promise<void> {
  await db.updateTable('subnets').set(patch).where('id', '=', id).execute();
}

export async function deleteSubnet(db: Db, id: string): Promise<void> {
  await db.deleteFrom('subnets').where('id', '=', id).execute();
}

/**
 * CIDRs of other projects' subnets that can overlap a block starting with
 * `firstOctet`: every subnet is a /8 or smaller, so two that overlap share
 * their first octet.
 */
export async function foreignSubnetCidrs(db: Db, projectId: string, firstOctet: number): Promise<string[]> {
  const rows = await db
    .selectFrom('subnets')
    .select('cidr')
    .where('project_id', '<>', projectId)
    .where('cidr', 'like', `${firstOctet}.%`)
    .execute();
  return rows.map((r) => r.cidr);
}

/** The row of the `counters` table whose lock serialises subnet writes on the host's shared ranges. */
const HOST_NETWORK_LOCK = 'lock:host_network';

/**
 * Serialises every writer of subnets on the host's shared ranges, across
 * projects (the VPC row lock covers one project only), for the rest of the
 * transaction: two projects checking "nobody else uses this range" and then
 * inserting cannot interleave. The row is created on first use; a concurrent
 * first insert waits on the unique key and then finds it.
 */
export async function lockHostNetwork(db: Db): Promise<void> {
  await db
    .insertInto('counters')
    .values({ name: HOST_NETWORK_LOCK, value: 0 })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  await db
    .updateTable('counters')
    .set((eb) => ({ value: eb.ref('value') }))
    .where('name', '=', HOST_NETWORK_LOCK)
    .execute();
}

export async function countSubnets(db: Db, vpcId: string): Promise<number> {
  const row = await db
    .selectFrom('subnets')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('vpc_id', '=', vpcId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export function lockSubnet(db: Db, projectId: string, id: string): Promise<boolean> {
  return touch(db, 'subnets', projectId, id);
}

const lockAndReadSubnetRow = preparedStatement((db: Db, projectId: string, id: string) =>
  db
    .updateTable('subnets')
    .set((eb) => ({ updated_at: eb.ref('updated_at') }))
    .where('id', '=', id)
    .where('project_id', '=', projectId)
    .returningAll(),
);

/**
 * lockSubnet() and the subnet as it is under that lock, in one statement: an
 * address is allocated from the row as it now is, and a create saves the
 * round trip of reading it again.
 */
export async function lockAndReadSubnet(
  db: Db,
  projectId: string,
  id: string,
): Promise<SubnetRow | undefined> {
  return (await lockAndReadSubnetRow(db, projectId, id))[0];
}

const setFreeFrom = preparedStatement((db: Db, id: string, to: number) =>
  db.updateTable('subnets').set({ free_from: to }).where('id', '=', id),
);

/**
 * Records that every address of the subnet below `to` (the gateway aside) is
 * held: called under the subnet's lock right after the lowest free address
 * (`to` − 1) was given to a port.
 */
export async function raiseFreeFrom(db: Db, id: string, to: number): Promise<void> {
  await setFreeFrom(db, id, to);
}

/** Address `released` of the subnet is free again: the search must start no higher. */
export async function lowerFreeFrom(db: Db, id: string, released: number): Promise<void> {
  await db
    .updateTable('subnets')
    .set({ free_from: released })
    .where('id', '=', id)
    .where('free_from', '>', released)
    .execute();
}
