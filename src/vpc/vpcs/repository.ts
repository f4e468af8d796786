// SQL for the inventory's VPCs, and nothing else: no rules, no HTTP.
// Every function takes the database handle first so callers can pass a
// transaction, and every read of a resource is scoped by project so tenancy
// cannot be forgotten.
import { preparedStatement } from '../../store/prepared.ts';
import type { VpcsTable } from '../../store/schema.ts';
import { afterPosition, touch, type Db, type PageQuery } from '../shared/repository.ts';

export type VpcRow = VpcsTable;

export async function insertVpc(db: Db, row: VpcRow): Promise<void> {
  await db.insertInto('vpcs').values(row).execute();
}

const vpcById = preparedStatement((db: Db, projectId: string, id: string) =>
  db.selectFrom('vpcs').selectAll().where('project_id', '=', projectId).where('id', '=', id),
);

export async function findVpc(db: Db, projectId: string, id: string): Promise<VpcRow | undefined> {
  return (await vpcById(db, projectId, id))[0];
}

/** Unscoped: only for configuration seeding, which must detect ids taken by another project. */
export function findVpcAnywhere(db: Db, id: string): Promise<VpcRow | undefined> {
  return db.selectFrom('vpcs').selectAll().where('id', '=', id).executeTakeFirst();
}

export function findVpcByName(db: Db, projectId: string, name: string): Promise<VpcRow | undefined> {
  return db
    .selectFrom('vpcs')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('name', '=', name)
    .executeTakeFirst();
}

export function listVpcs(
  db: Db,
  projectId: string,
  q: PageQuery & { id?: string | undefined },
): Promise<VpcRow[]> {
  let query = db.selectFrom('vpcs').selectAll().where('project_id', '=', projectId);
  if (q.id !== undefined) query = query.where('id', '=', q.id);
  if (q.after) query = query.where(afterPosition(q.after));
  return query.orderBy('created_at').orderBy('id').limit(q.limit).execute();
}

export async function updateVpc(
  db: Db,
  id: string,
  patch: Partial<Pick<VpcRow, 'name' | 'description' | 'cidr' | 'updated_at'>>,
): Promise<void> {
  await db.updateTable('vpcs').set(patch).where('id', '=', id).execute();
}

export async function deleteVpc(db: Db, id: string): Promise<void> {
  await db.deleteFrom('route_tables').where('vpc_id', '=', id).execute();
  await db.deleteFrom('vpcs').where('id', '=', id).execute();
}

export function lockVpc(db: Db, projectId: string, id: string): Promise<boolean> {
  return touch(db, 'vpcs', projectId, id);
}
