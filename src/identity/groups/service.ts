import type { Principal } from '../../context/request-context.ts';
import { hexId } from '../../context/ids.ts';
import { apiError } from '../../errors/api-error.ts';
import { isUniqueViolation } from '../../store/open.ts';
import type { UserRow } from '../repository.ts';
import type { IdentityDeps } from '../shared/deps.ts';
import { iamChange } from '../shared/mutate.ts';
import { isDescription, isGroupName } from '../shared/names.ts';
import { getUser } from '../users/service.ts';
import { GroupsRepository, type GroupRow } from './repository.ts';
import type { GroupInput } from './schemas.ts';

/** The group every account has: its members administer the account (docs/iam.md). */
export const ADMIN_GROUP = 'admin';

export function groupNotFound(id: string) {
  return apiError('IAM.0004', `Could not find group: ${id.slice(0, 64)}.`);
}

export async function getGroup(deps: IdentityDeps, caller: Principal, id: string): Promise<GroupRow> {
  const group = await new GroupsRepository(deps.db).get(caller.domainId, id);
  if (!group) throw groupNotFound(id);
  return group;
}

export function listGroups(deps: IdentityDeps, caller: Principal, name?: string): Promise<GroupRow[]> {
  return new GroupsRepository(deps.db).list(caller.domainId, name);
}

function check(caller: Principal, input: GroupInput): void {
  if (input.domain_id !== undefined && input.domain_id !== caller.domainId) {
    throw apiError('IAM.0002', 'A group can only belong to the caller’s own account.');
  }
  if (input.name !== undefined && !isGroupName(input.name)) {
    throw apiError(
      'IAM.0007',
      'Request parameter name is invalid: 1 to 64 letters, digits, spaces, -, _ or ., no space at either end.',
    );
  }
  if (input.description !== undefined && !isDescription(input.description)) {
    throw apiError('IAM.0007', 'Request parameter description is invalid.');
  }
}

const nameTaken = (name: string) =>
  apiError('IAM.0005', `Conflict occurred when attempting to store group - the name ${name} is in use.`);

export async function createGroup(
  deps: IdentityDeps,
  caller: Principal,
  input: GroupInput,
): Promise<GroupRow> {
  check(caller, input);
  const name = input.name ?? '';
  const row: GroupRow = {
    id: hexId(),
    domain_id: caller.domainId,
    name,
    description: input.description ?? '',
    created_at: deps.clock.now(),
  };
  try {
    await iamChange(deps, async (trx) => {
      const groups = new GroupsRepository(trx);
      if (await groups.findByName(caller.domainId, name)) throw nameTaken(name);
      if ((await groups.count(caller.domainId)) >= deps.config.iam.max_groups) {
        throw apiError(
          'IAM.0007',
          `The number of user groups has reached the maximum (${deps.config.iam.max_groups}).`,
        );
      }
      await groups.insert(row);
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken(name);
    throw err;
  }
  return row;
}

export async function updateGroup(
  deps: IdentityDeps,
  caller: Principal,
  id: string,
  input: GroupInput,
): Promise<GroupRow> {
  check(caller, input);
  const before = await getGroup(deps, caller, id);
  if (before.name === ADMIN_GROUP && input.name !== undefined && input.name !== ADMIN_GROUP) {
    throw apiError('IAM.0002', 'The admin group cannot be renamed.');
  }
  const patch = {
    ...(input.name !== undefined ? { name: input.name } : {}),
    ...(input.description !== undefined ? { description: input.description } : {}),
  };
  try {
    await iamChange(deps, async (trx) => {
      const groups = new GroupsRepository(trx);
      if (input.name !== undefined && input.name !== before.name) {
        if (await groups.findByName(caller.domainId, input.name)) throw nameTaken(input.name);
      }
      await groups.update(id, patch);
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken(input.name ?? '');
    throw err;
  }
  return { ...before, ...patch };
}

export async function deleteGroup(deps: IdentityDeps, caller: Principal, id: string): Promise<void> {
  const group = await getGroup(deps, caller, id);
  if (group.name === ADMIN_GROUP) throw apiError('IAM.0002', 'The admin group cannot be deleted.');
  await iamChange(deps, (trx) => new GroupsRepository(trx).delete(id));
}

export async function members(deps: IdentityDeps, caller: Principal, id: string): Promise<UserRow[]> {
  await getGroup(deps, caller, id);
  return new GroupsRepository(deps.db).members(id);
}

/** Both must be of the caller's account; either missing is IAM.0004. */
async function pair(deps: IdentityDeps, caller: Principal, groupId: string, userId: string) {
  const group = await getGroup(deps, caller, groupId);
  const user = await getUser(deps, caller, userId);
  return { group, user };
}

export async function addMember(deps: IdentityDeps, caller: Principal, groupId: string, userId: string) {
  await pair(deps, caller, groupId, userId);
  await iamChange(deps, (trx) => new GroupsRepository(trx).addMember(groupId, userId, deps.clock.now()));
}

export async function isMember(deps: IdentityDeps, caller: Principal, groupId: string, userId: string) {
  await pair(deps, caller, groupId, userId);
  return new GroupsRepository(deps.db).isMember(groupId, userId);
}

export async function removeMember(deps: IdentityDeps, caller: Principal, groupId: string, userId: string) {
  const { group, user } = await pair(deps, caller, groupId, userId);
  if (group.name === ADMIN_GROUP && user.is_domain_owner === 1) {
    throw apiError('IAM.0002', 'The account administrator cannot leave the admin group.');
  }
  const removed = await iamChange(deps, (trx) => new GroupsRepository(trx).removeMember(groupId, userId));
  if (!removed) {
    throw apiError('IAM.0004', `Could not find membership: user ${userId} is not in group ${groupId}.`);
  }
}
