import type { Principal } from '../../context/request-context.ts';
import { apiError } from '../../errors/api-error.ts';
import type { IdentityDeps } from '../shared/deps.ts';
import { iamChange } from '../shared/mutate.ts';
import { isDescription } from '../shared/names.ts';
import { getUser } from '../users/service.ts';
import { CredentialsRepository, type AccessKeyRow } from './repository.ts';
import { newKeyPair } from './secrets.ts';

// Permanent access keys. A user manages its own keys without any permission
// (IAM's self-service); managing another user's needs iam:credentials:*.
// The secret is answered once, at creation.

export function keyNotFound(ak: string) {
  return apiError('IAM.0004', `Could not find credential: ${ak.slice(0, 64)}.`);
}

/** Whether the key exists and is the caller's own: decides self-service before any action check. */
export async function isOwnKey(deps: IdentityDeps, caller: Principal, ak: string): Promise<boolean> {
  const key = await new CredentialsRepository(deps.db).get(ak);
  return key !== undefined && key.user_id === caller.userId;
}

export async function getKey(deps: IdentityDeps, caller: Principal, ak: string): Promise<AccessKeyRow> {
  const key = await new CredentialsRepository(deps.db).get(ak);
  if (!key || key.domain_id !== caller.domainId) throw keyNotFound(ak);
  const { domain_id: _account, ...row } = key;
  return row;
}

function checkDescription(description: string | undefined): void {
  if (description !== undefined && !isDescription(description)) {
    throw apiError('IAM.0007', 'Request parameter description is invalid.');
  }
}

export async function createKey(
  deps: IdentityDeps,
  caller: Principal,
  userId: string,
  description: string | undefined,
): Promise<AccessKeyRow> {
  checkDescription(description);
  await getUser(deps, caller, userId);
  const { ak, sk } = newKeyPair();
  const row: AccessKeyRow = {
    ak,
    sk,
    user_id: userId,
    created_at: deps.clock.now(),
    status: 'active',
    description: description ?? '',
  };
  await iamChange(deps, async (trx) => {
    const keys = new CredentialsRepository(trx);
    if ((await keys.ofUser(userId)).length >= deps.config.iam.max_access_keys) {
      throw apiError(
        'IAM.0007',
        `akSkNumExceed: the user already has ${deps.config.iam.max_access_keys} access keys, the maximum.`,
      );
    }
    await keys.insert(row);
  });
  return row;
}

export async function listKeys(
  deps: IdentityDeps,
  caller: Principal,
  userId: string,
): Promise<AccessKeyRow[]> {
  await getUser(deps, caller, userId);
  return new CredentialsRepository(deps.db).ofUser(userId);
}

export async function updateKey(
  deps: IdentityDeps,
  caller: Principal,
  ak: string,
  patch: { status?: 'active' | 'inactive' | undefined; description?: string | undefined },
): Promise<AccessKeyRow> {
  checkDescription(patch.description);
  const before = await getKey(deps, caller, ak);
  const change = {
    ...(patch.status !== undefined ? { status: patch.status } : {}),
    ...(patch.description !== undefined ? { description: patch.description } : {}),
  };
  await iamChange(deps, (trx) => new CredentialsRepository(trx).update(ak, change));
  return { ...before, ...change };
}

export async function deleteKey(deps: IdentityDeps, caller: Principal, ak: string): Promise<void> {
  await getKey(deps, caller, ak);
  await iamChange(deps, (trx) => new CredentialsRepository(trx).delete(ak));
}
