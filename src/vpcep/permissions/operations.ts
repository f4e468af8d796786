import type { Transaction } from 'kysely';
import { formatTime } from '../../context/clock.ts';
import { uuid } from '../../context/ids.ts';
import { apiError } from '../../errors/api-error.ts';
import type { Database } from '../../store/schema.ts';
import { inTransaction } from '../../store/seeding.ts';
import { lockOwnService, requireOwnService } from '../connections/own-service.ts';
import type { VpcepDeps } from '../deps.ts';
import { pageOf, type Page } from '../shared/pagination.ts';
import { validateDescription } from '../shared/text.ts';
import { checkPermissions, type PermissionType } from './format.ts';
import {
  countPermissionRows,
  deletePermissionRowsById,
  deletePermissionRowsByText,
  insertPermissionRows,
  listPermissionRows,
  permissionRowsById,
  permissionRowsByText,
  setPermissionDescription,
  type PermissionRow,
} from './repository.ts';

// The service whitelist: which other accounts may connect endpoints to a
// service. The owner's own account is always admitted implicitly and is never
// stored (isDomainAllowed in access.ts answers true for it), so the list shows
// only what the owner added. Writes are idempotent: adding a record that is
// already there, or removing one that is not, succeeds without change. The
// whitelist only gates the creation of new endpoints (as in the cloud, existing
// connections stay until the owner rejects them), so the data plane is not told.

export function permissionView(row: PermissionRow) {
  return {
    id: row.id,
    permission: row.permission,
    permission_type: row.permission_type,
    description: row.description,
    created_at: formatTime(row.created_at),
  };
}
export type PermissionView = ReturnType<typeof permissionView>;

export async function listPermissions(
  deps: VpcepDeps,
  projectId: string,
  serviceId: string,
  query: Parameters<typeof pageOf>[0] & { permission?: string | undefined },
): Promise<{ permissions: PermissionView[]; total_count: number }> {
  await requireOwnService(deps.db, projectId, serviceId);
  const page: Page = pageOf(query);
  const [rows, total] = await Promise.all([
    listPermissionRows(deps.db, serviceId, query.permission, page),
    countPermissionRows(deps.db, serviceId, query.permission),
  ]);
  return { permissions: rows.map(permissionView), total_count: total };
}

interface NewRecord {
  permission: string;
  /** Undefined: keep an existing record's description (the string-only `action` API). */
  description: string | undefined;
}

/**
 * Adds records inside the caller's transaction (service row already locked),
 * refusing to go beyond the per-service limit (EndPoint.3049). Returns every
 * requested record's row, new or existing, in request order without repeats.
 */
async function addRecords(
  trx: Transaction<Database>,
  deps: VpcepDeps,
  serviceId: string,
  type: PermissionType,
  records: readonly NewRecord[],
): Promise<PermissionRow[]> {
  // A record given twice counts once; its last description wins.
  const wanted = new Map<string, string | undefined>();
  for (const r of records) wanted.set(r.permission, r.description ?? wanted.get(r.permission));
  const existing = new Map(
    (await permissionRowsByText(trx, serviceId, [...wanted.keys()])).map((r) => [r.permission, r]),
  );
  const fresh = [...wanted.keys()].filter((p) => !existing.has(p));
  const stored = await countPermissionRows(trx, serviceId);
  if (stored + fresh.length > deps.config.limits.permissions) {
    throw apiError(
      'EndPoint.3049',
      `A service can have at most ${deps.config.limits.permissions} whitelist records; remove some or use '*'.`,
    );
  }
  const now = deps.clock.now();
  const inserted = fresh.map((permission) => ({
    id: uuid(),
    service_id: serviceId,
    permission,
    permission_type: type,
    description: wanted.get(permission) ?? '',
    created_at: now,
  }));
  await insertPermissionRows(trx, inserted);
  for (const row of inserted) existing.set(row.permission, row);
  const out: PermissionRow[] = [];
  for (const [permission, description] of wanted) {
    const row = existing.get(permission) as PermissionRow;
    if (description !== undefined && description !== row.description) {
      await setPermissionDescription(trx, serviceId, row.id, description);
      row.description = description;
    }
    out.push(row);
  }
  return out;
}

function requireRecords(count: number): void {
  if (count === 0) throw apiError('EndPoint.3036', 'The permission list cannot be empty.');
}

/**
 * The seed's `permissions/action`: adds or removes records given as strings.
 * The response echoes the strings exactly as sent (clients compare `[0]` with
 * what they asked for), with the type they were processed as.
 */
export async function changePermissions(
  deps: VpcepDeps,
  projectId: string,
  serviceId: string,
  action: 'add' | 'remove',
  records: readonly string[],
  type: PermissionType,
): Promise<{ permissions: string[]; permission_type: PermissionType }> {
  requireRecords(records.length);
  if (records.length > deps.config.limits.permissions) {
    // More than a service can ever hold: for an add that is the limit itself,
    // for a remove merely an oversized batch.
    throw action === 'add' ? apiError('EndPoint.3049') : apiError('EndPoint.0016');
  }
  checkPermissions(records, type);
  await inTransaction(deps.db, async (trx) => {
    await lockOwnService(trx, deps.dialect, projectId, serviceId, 'update');
    if (action === 'add') {
      await addRecords(
        trx,
        deps,
        serviceId,
        type,
        records.map((permission) => ({ permission, description: undefined })),
      );
    } else {
      await deletePermissionRowsByText(trx, serviceId, [...new Set(records)]);
    }
  });
  return { permissions: [...records], permission_type: type };
}

/** `permissions/batch-create`: records with descriptions, answered as full rows. */
export async function batchCreatePermissions(
  deps: VpcepDeps,
  projectId: string,
  serviceId: string,
  records: readonly { permission: string; description?: string | undefined }[],
  type: PermissionType,
): Promise<PermissionView[]> {
  requireRecords(records.length);
  if (records.length > deps.config.limits.permissions) throw apiError('EndPoint.3049');
  checkPermissions(
    records.map((r) => r.permission),
    type,
  );
  const input = records.map((r) => ({
    permission: r.permission,
    // An explicit description (even '') replaces an existing record's one.
    description: r.description === undefined ? undefined : validateDescription(r.description),
  }));
  const rows = await deps.db.transaction().execute(async (trx) => {
    await lockOwnService(trx, deps.dialect, projectId, serviceId, 'update');
    return addRecords(trx, deps, serviceId, type, input);
  });
  return rows.map(permissionView);
}

/** `permissions/batch-delete`: by record id; answers the rows that were removed. */
export async function batchDeletePermissions(
  deps: VpcepDeps,
  projectId: string,
  serviceId: string,
  ids: readonly string[],
): Promise<PermissionView[]> {
  requireRecords(ids.length);
  if (ids.length > deps.config.limits.permissions) throw apiError('EndPoint.0016');
  const unique = [...new Set(ids)];
  const rows = await deps.db.transaction().execute(async (trx) => {
    await lockOwnService(trx, deps.dialect, projectId, serviceId, 'update');
    const found = await permissionRowsById(trx, serviceId, unique);
    await deletePermissionRowsById(
      trx,
      serviceId,
      found.map((r) => r.id),
    );
    const order = new Map(unique.map((id, i) => [id, i]));
    return found.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
  });
  return rows.map(permissionView);
}

/** `PUT permissions/{permission_id}`: a record's description only. */
export async function describePermission(
  deps: VpcepDeps,
  projectId: string,
  serviceId: string,
  permissionId: string,
  description: string,
): Promise<PermissionView> {
  const text = validateDescription(description);
  return deps.db.transaction().execute(async (trx) => {
    await lockOwnService(trx, deps.dialect, projectId, serviceId, 'update');
    const [row] = await permissionRowsById(trx, serviceId, [permissionId]);
    if (!row) throw apiError('EndPoint.0005', 'The whitelist record does not exist.');
    await setPermissionDescription(trx, serviceId, row.id, text);
    return permissionView({ ...row, description: text });
  });
}
