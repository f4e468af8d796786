import { hashPassword, verifyPassword } from '../../auth/password.ts';
import type { Principal } from '../../context/request-context.ts';
import { hexId } from '../../context/ids.ts';
import type { LoginThrottle } from '../../auth/login-throttle.ts';
import { apiError } from '../../errors/api-error.ts';
import { throttledPasswordCheck, userLockoutKey } from '../login.ts';
import { isUniqueViolation } from '../../store/open.ts';
import type { UserRow } from '../repository.ts';
import type { IdentityDeps } from '../shared/deps.ts';
import { iamChange } from '../shared/mutate.ts';
import { isDescription, isEmail, isStrongPassword, isUserName } from '../shared/names.ts';
import { GroupsRepository } from '../groups/repository.ts';
import type { UserInput } from './schemas.ts';
import { UsersRepository, type UserFilter } from './repository.ts';

// IAM users of the caller's account. Every look-up is by the caller's account:
// another account's user id is "not found", exactly like a missing one.

export function userNotFound(id: string) {
  return apiError('IAM.0004', `Could not find user: ${id.slice(0, 64)}.`);
}

export async function getUser(deps: IdentityDeps, caller: Principal, id: string): Promise<UserRow> {
  const user = await new UsersRepository(deps.db).get(caller.domainId, id);
  if (!user) throw userNotFound(id);
  return user;
}

export function listUsers(deps: IdentityDeps, caller: Principal, filter: UserFilter): Promise<UserRow[]> {
  return new UsersRepository(deps.db).list(caller.domainId, filter);
}

function checkAccount(caller: Principal, domainId: string | undefined): void {
  if (domainId !== undefined && domainId !== caller.domainId) {
    throw apiError('IAM.0002', 'A user can only be created in or moved to the caller’s own account.');
  }
}

function checkFields(input: UserInput, nameForPassword: string): void {
  if (input.name !== undefined && !isUserName(input.name)) {
    throw apiError(
      '1101',
      'Invalid username: 1 to 64 letters, digits, spaces, -, _ or ., not starting with a digit or a space.',
    );
  }
  if (input.description !== undefined && !isDescription(input.description)) throw apiError('1117');
  if (input.email !== undefined && input.email !== '' && !isEmail(input.email)) {
    throw apiError('IAM.0007', 'Request parameter email is invalid.');
  }
  if (input.password !== undefined && !isStrongPassword(input.password, nameForPassword)) {
    throw apiError(
      '1118',
      'The password is weak: 6 to 32 characters of at least two kinds (upper case, lower case, digits, others), not the user name.',
    );
  }
}

export async function createUser(deps: IdentityDeps, caller: Principal, input: UserInput): Promise<UserRow> {
  checkAccount(caller, input.domain_id);
  const name = input.name ?? '';
  checkFields({ ...input, name }, name);
  const now = deps.clock.now();
  const row: UserRow = {
    id: hexId(),
    domain_id: caller.domainId,
    name,
    password_hash: input.password !== undefined ? await hashPassword(input.password) : null,
    created_at: now,
    enabled: input.enabled === false ? 0 : 1,
    is_domain_owner: 0,
    description: input.description ?? '',
    email: input.email ?? null,
    updated_at: now,
    password_changed_at: input.password !== undefined ? now : null,
  };
  try {
    await iamChange(deps, async (trx) => {
      const users = new UsersRepository(trx);
      if (await users.findByName(caller.domainId, name)) throw apiError('1109');
      if ((await users.count(caller.domainId)) >= deps.config.iam.max_users) throw apiError('1115');
      await users.insert(row);
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw apiError('1109');
    throw err;
  }
  return row;
}

export async function updateUser(
  deps: IdentityDeps,
  caller: Principal,
  id: string,
  input: UserInput,
): Promise<UserRow> {
  checkAccount(caller, input.domain_id);
  const before = await getUser(deps, caller, id);
  checkFields(input, input.name ?? before.name);
  if (before.is_domain_owner === 1 && input.enabled === false) {
    throw apiError('IAM.0002', 'The account administrator cannot be disabled.');
  }
  const now = deps.clock.now();
  const patch = {
    ...(input.name !== undefined ? { name: input.name } : {}),
    ...(input.enabled !== undefined ? { enabled: input.enabled ? 1 : 0 } : {}),
    ...(input.description !== undefined ? { description: input.description } : {}),
    ...(input.email !== undefined ? { email: input.email === '' ? null : input.email } : {}),
    ...(input.password !== undefined
      ? { password_hash: await hashPassword(input.password), password_changed_at: now }
      : {}),
    updated_at: now,
  };
  try {
    await iamChange(deps, async (trx) => {
      const users = new UsersRepository(trx);
      if (input.name !== undefined && input.name !== before.name) {
        if (await users.findByName(caller.domainId, input.name)) throw apiError('1109');
      }
      await users.update(id, patch);
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw apiError('1109');
    throw err;
  }
  return { ...before, ...patch };
}

/** The caller's own email (self-service; the mobile number is accepted and not kept). */
export async function updateOwnInfo(
  deps: IdentityDeps,
  caller: Principal,
  id: string,
  email: string | undefined,
): Promise<void> {
  if (id !== caller.userId) throw apiError('IAM.0002', 'Users can only change their own information here.');
  if (email === undefined) return;
  await updateUser(deps, caller, id, { email });
}

/** Where a password check comes from: the login throttle counts it like a failed login. */
export interface PasswordCheckSource {
  throttle: LoginThrottle;
  clientAddress: string;
}

/**
 * The caller's own password, which it must know (self-service). The original
 * password is a guess like a login's, so it goes through the same lockout (per
 * user and per client address): a stolen token buys no unlimited guessing here.
 */
export async function changeOwnPassword(
  deps: IdentityDeps,
  caller: Principal,
  id: string,
  original: string,
  next: string,
  source: PasswordCheckSource,
): Promise<void> {
  if (id !== caller.userId) throw apiError('IAM.0002', 'Users can only change their own password.');
  const user = await getUser(deps, caller, id);
  const hash = user.password_hash;
  const right = await throttledPasswordCheck(
    source.throttle,
    userLockoutKey(user.domain_id, user.name),
    source.clientAddress,
    async () => hash !== null && (await verifyPassword(original, hash)),
  );
  if (!right) throw apiError('1103');
  if (original === next) throw apiError('1108');
  await updateUser(deps, caller, id, { password: next });
}

export async function deleteUser(deps: IdentityDeps, caller: Principal, id: string): Promise<void> {
  const user = await getUser(deps, caller, id);
  if (user.is_domain_owner === 1) throw apiError('1107');
  await iamChange(deps, (trx) => new UsersRepository(trx).delete(id));
}

export async function groupsOfUser(deps: IdentityDeps, caller: Principal, id: string) {
  await getUser(deps, caller, id);
  return new GroupsRepository(deps.db).groupsOf(id);
}
