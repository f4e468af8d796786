import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../../store/schema.ts';
import type { ServicePermissionsTable } from '../../store/vpcep-schema.ts';
import { applyPage, likeContains, type Page } from '../shared/pagination.ts';

// Rows of `service_permissions`. Callers have already proven the service is
// the caller's own; these functions are scoped by service id only.

type Db = Kysely<Database> | Transaction<Database>;
export type PermissionRow = ServicePermissionsTable;

function filtered(db: Db, serviceId: string, fuzzy: string | undefined) {
  let q = db.selectFrom('service_permissions').where('service_permissions.service_id', '=', serviceId);
  if (fuzzy !== undefined && fuzzy !== '') {
    // Case-insensitive substring, wildcards in the filter taken literally.
    q = q.where(sql<boolean>`lower(service_permissions.permission) like ${likeContains(fuzzy)} escape '\\'`);
  }
  return q;
}

export async function listPermissionRows(
  db: Db,
  serviceId: string,
  fuzzy: string | undefined,
  page: Page,
): Promise<PermissionRow[]> {
  // Records have no update time: every sort key orders by creation.
  const byCreation: Page = { ...page, column: 'created_at' };
  return applyPage(
    filtered(db, serviceId, fuzzy).selectAll('service_permissions'),
    byCreation,
    'service_permissions',
  ).execute();
}

export async function countPermissionRows(db: Db, serviceId: string, fuzzy?: string): Promise<number> {
  const row = await filtered(db, serviceId, fuzzy)
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The service's records among `permissions` (matched byte for byte). */
export async function permissionRowsByText(
  db: Db,
  serviceId: string,
  permissions: readonly string[],
): Promise<PermissionRow[]> {
  if (permissions.length === 0) return [];
  return db
    .selectFrom('service_permissions')
    .selectAll()
    .where('service_id', '=', serviceId)
    .where('permission', 'in', [...permissions])
    .execute();
}

export async function permissionRowsById(
  db: Db,
  serviceId: string,
  ids: readonly string[],
): Promise<PermissionRow[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('service_permissions')
    .selectAll()
    .where('service_id', '=', serviceId)
    .where('id', 'in', [...ids])
    .execute();
}

export async function insertPermissionRows(db: Db, rows: readonly PermissionRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('service_permissions')
    .values([...rows])
    .execute();
}

export async function deletePermissionRowsByText(
  db: Db,
  serviceId: string,
  permissions: readonly string[],
): Promise<void> {
  if (permissions.length === 0) return;
  await db
    .deleteFrom('service_permissions')
    .where('service_id', '=', serviceId)
    .where('permission', 'in', [...permissions])
    .execute();
}

export async function deletePermissionRowsById(
  db: Db,
  serviceId: string,
  ids: readonly string[],
): Promise<void> {
  if (ids.length === 0) return;
  await db
    .deleteFrom('service_permissions')
    .where('service_id', '=', serviceId)
    .where('id', 'in', [...ids])
    .execute();
}

export async function setPermissionDescription(
  db: Db,
  serviceId: string,
  id: string,
  description: string,
): Promise<void> {
  await db
    .updateTable('service_permissions')
    .set({ description })
    .where('service_id', '=', serviceId)
    .where('id', '=', id)
    .execute();
}

/** The whitelist record that names exactly `domainId`, in lower case: what lower(permission) is compared with. */
export function domainGrantKey(domainId: string): string {
  return `iam:domain::${domainId.toLowerCase()}`;
}

/**
 * The domainId records that could admit `domainId`: its own record (any
 * letter case) and every record with a wildcard. Small by construction, so the
 * final decision is made in code (format.ts) on both dialects alike.
 */
export async function candidateGrants(db: Db, serviceId: string, domainId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('service_permissions')
    .select('permission')
    .where('service_id', '=', serviceId)
    .where('permission_type', '=', 'domainId')
    .where((eb) =>
      eb.or([
        eb(sql<string>`lower(permission)`, '=', domainGrantKey(domainId)),
        eb('permission', 'like', '%*%'),
      ]),
    )
    .execute();
  return rows.map((r) => r.permission);
}
