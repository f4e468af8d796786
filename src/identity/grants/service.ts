import type { Principal } from '../../context/request-context.ts';
import { apiError } from '../../errors/api-error.ts';
import { IdentityRepository } from '../repository.ts';
import { getGroup } from '../groups/service.ts';
import { findRole, typeOf, type RoleLike } from '../roles/service.ts';
import type { IdentityDeps } from '../shared/deps.ts';
import { iamChange } from '../shared/mutate.ts';
import { GrantsRepository, type GrantKey, type GrantScope } from './repository.ts';
import { grantTypeProblem } from './rules.ts';

// Grants of roles and policies to groups, where IAM allows them: project-level
// (XA) ones on projects, account-level (AX) ones on the account, both kinds (AA)
// anywhere, and any of them on all projects (docs/iam.md).

/** Where a grant request points: a project, or the account itself. */
export interface GrantTarget {
  scope: GrantScope;
  /** The project id, or the account id the path names. */
  id: string;
}

async function checkTarget(deps: IdentityDeps, caller: Principal, target: GrantTarget): Promise<void> {
  if (target.scope === 'project') {
    const project = await new IdentityRepository(deps.db).findProject(target.id);
    if (!project || project.domain_id !== caller.domainId) {
      throw apiError('IAM.0004', `Could not find project: ${target.id.slice(0, 64)}.`);
    }
  } else if (target.id !== caller.domainId) {
    throw apiError('IAM.0004', `Could not find domain: ${target.id.slice(0, 64)}.`);
  }
}

function checkType(role: RoleLike, scope: GrantScope): void {
  const problem = grantTypeProblem(typeOf(role), scope);
  if (problem) throw apiError('IAM.0007', `Request parameter role_id is invalid: ${problem}.`);
}

async function resolve(
  deps: IdentityDeps,
  caller: Principal,
  target: GrantTarget,
  groupId: string,
  roleId: string,
) {
  await checkTarget(deps, caller, target);
  await getGroup(deps, caller, groupId);
  const role = await findRole(deps, caller.domainId, roleId);
  const key: GrantKey = { groupId, roleId, scope: target.scope, targetId: target.id };
  return { role, key };
}

export async function grant(
  deps: IdentityDeps,
  caller: Principal,
  target: GrantTarget,
  groupId: string,
  roleId: string,
) {
  const { role, key } = await resolve(deps, caller, target, groupId, roleId);
  checkType(role, target.scope);
  await iamChange(deps, (trx) => new GrantsRepository(trx).insert(key, caller.domainId, deps.clock.now()));
}

export async function isGranted(
  deps: IdentityDeps,
  caller: Principal,
  target: GrantTarget,
  groupId: string,
  roleId: string,
): Promise<boolean> {
  const { key } = await resolve(deps, caller, target, groupId, roleId);
  return new GrantsRepository(deps.db).has(key);
}

export async function revoke(
  deps: IdentityDeps,
  caller: Principal,
  target: GrantTarget,
  groupId: string,
  roleId: string,
) {
  const { key } = await resolve(deps, caller, target, groupId, roleId);
  const removed = await iamChange(deps, (trx) => new GrantsRepository(trx).delete(key));
  if (!removed) throw apiError('IAM.0004', `Could not find grant: role ${roleId} of group ${groupId}.`);
}

export async function grantedRoles(
  deps: IdentityDeps,
  caller: Principal,
  target: GrantTarget,
  groupId: string,
): Promise<RoleLike[]> {
  await checkTarget(deps, caller, target);
  await getGroup(deps, caller, groupId);
  const rows = await new GrantsRepository(deps.db).forGroup(groupId, target.scope, target.id);
  const out: RoleLike[] = [];
  for (const row of rows) {
    // A custom policy deleted since cannot be: deletion waits for its grants to go.
    out.push(await findRole(deps, caller.domainId, row.role_id));
  }
  return out;
}
