import type { Kysely } from 'kysely';
import { apiError } from '../../errors/api-error.ts';
import type { DialectName } from '../../store/open.ts';
import type { Database } from '../../store/schema.ts';
import { lockService, type LockMode } from '../shared/locks.ts';
import { getOwnService, type ServiceRow } from '../services/repository.ts';

// The owner-side sub-resources of a service (connections, permissions) all start
// by proving the service is the caller's. A service of another project is
// answered exactly like a missing one (404 EndPoint.0005), so ids of other
// tenants' services cannot be probed.

export type OwnService = ServiceRow;

const notFound = () => apiError('EndPoint.0005', 'The endpoint service does not exist.');

export async function requireOwnService(
  db: Kysely<Database>,
  projectId: string,
  serviceId: string,
): Promise<OwnService> {
  const row = await getOwnService(db, projectId, serviceId);
  if (!row) throw notFound();
  return row;
}

/**
 * Same check inside a write transaction, with the service row locked
 * (shared/locks.ts): `share` lets concurrent accept/reject calls of one service
 * proceed while holding off a status change of the service itself (its delete
 * must not slip between our check and our commit); `update` serialises writers
 * that enforce a per-service total (the whitelist limit).
 */
export async function lockOwnService(
  db: Kysely<Database>,
  dialect: DialectName,
  projectId: string,
  serviceId: string,
  mode: LockMode,
): Promise<OwnService> {
  const row = await lockService(db, dialect, { projectId }, serviceId, mode);
  if (!row) throw notFound();
  return row;
}
