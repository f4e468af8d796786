// Turns the grants a user's groups hold into the documents its permission set
// is compiled from (docs/iam.md, "Which grants apply"): for a call in project P,
// the grants on P and those on all projects; for IAM's own (global) calls, the
// grants on the account and those on all projects.
import type { Kysely } from 'kysely';
import type { PolicyDocument } from '../auth/policy/document.ts';
import { PermissionSet } from '../auth/policy/permission-set.ts';
import type { Database } from '../store/schema.ts';
import { GrantsRepository, type GrantRow } from './grants/repository.ts';
import { PoliciesRepository } from './roles/repository.ts';
import { SECURITY_ADMINISTRATOR_ID, systemRoleById, TENANT_ADMINISTRATOR_ID } from './roles/system-roles.ts';
import { UsersRepository } from './users/repository.ts';

export interface TokenRole {
  id: string;
  name: string;
}

/** The roles of the account's own user, as IAM names them in its tokens. */
const OWNER_ROLES: TokenRole[] = [
  { id: TENANT_ADMINISTRATOR_ID, name: 'te_admin' },
  { id: SECURITY_ADMINISTRATOR_ID, name: 'secu_admin' },
];

export interface LoadedPermissions {
  set: PermissionSet;
  /** The roles and policies in force, for token bodies. */
  roles: TokenRole[];
}

export function appliesTo(grant: GrantRow, projectId: string | null): boolean {
  if (grant.scope === 'inherited') return true;
  return projectId === null
    ? grant.scope === 'domain'
    : grant.scope === 'project' && grant.target_id === projectId;
}

/** Undefined when the user does not exist (deleted since it authenticated). */
export async function loadPermissions(
  db: Kysely<Database>,
  domainId: string,
  userId: string,
  projectId: string | null,
): Promise<LoadedPermissions | undefined> {
  const user = await new UsersRepository(db).get(domainId, userId);
  if (!user) return undefined;
  if (user.is_domain_owner === 1) return { set: new PermissionSet(true, []), roles: OWNER_ROLES };
  const grants = (await new GrantsRepository(db).ofUser(userId)).filter(
    (g) => g.domain_id === domainId && appliesTo(g, projectId),
  );
  const roleIds = [...new Set(grants.map((g) => g.role_id))];
  const docs: PolicyDocument[] = [];
  const roles: TokenRole[] = [];
  const customIds: string[] = [];
  for (const id of roleIds) {
    const role = systemRoleById(id);
    if (role) {
      docs.push(role.policy);
      roles.push({ id: role.id, name: role.name });
    } else {
      customIds.push(id);
    }
  }
  for (const row of await new PoliciesRepository(db).byIds(customIds)) {
    // A grant can only name a policy of its own account; this holds even if a row said otherwise.
    if (row.domain_id !== domainId) continue;
    docs.push(JSON.parse(row.policy) as PolicyDocument);
    roles.push({ id: row.id, name: row.name });
  }
  return { set: new PermissionSet(false, docs), roles };
}
