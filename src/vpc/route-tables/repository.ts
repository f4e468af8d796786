// SQL for the inventory's route tables, and nothing else: no rules, no HTTP.
// Every function takes the database handle first so callers can pass a
// transaction, and every read of a resource is scoped by project so tenancy
// cannot be forgotten.
import type { RouteTablesTable } from '../../store/schema.ts';
import { afterPosition, type Db, type PageQuery } from '../shared/repository.ts';

export type RouteTableRow = RouteTablesTable;

export async function insertRouteTable(db: Db, row: RouteTableRow): Promise<void> {
  await db.insertInto('route_tables').values(row).execute();
}

export function findRouteTable(db: Db, projectId: string, id: string): Promise<RouteTableRow | undefined> {
  return db
    .selectFrom('route_tables')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export function defaultRouteTableOf(db: Db, vpcId: string): Promise<RouteTableRow | undefined> {
  return db
    .selectFrom('route_tables')
    .selectAll()
    .where('vpc_id', '=', vpcId)
    .where('is_default', '=', 1)
    .executeTakeFirst();
}

export function listRouteTables(
  db: Db,
  projectId: string,
  q: PageQuery & { id?: string | undefined; vpcId?: string | undefined; defaultOnly?: boolean },
): Promise<RouteTableRow[]> {
  let query = db.selectFrom('route_tables').selectAll().where('project_id', '=', projectId);
  if (q.id !== undefined) query = query.where('id', '=', q.id);
  if (q.vpcId !== undefined) query = query.where('vpc_id', '=', q.vpcId);
  if (q.defaultOnly) query = query.where('is_default', '=', 1);
  if (q.after) query = query.where(afterPosition(q.after));
  return query.orderBy('created_at').orderBy('id').limit(q.limit).execute();
}
