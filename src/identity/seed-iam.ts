// The IAM part of an account declared in the configuration: its users (the
// first is the account's own user), the `admin` group every account has,
// custom policies, groups, memberships and grants. Like the rest of seeding it
// adds and updates what the file names and removes nothing.
import type { Kysely } from 'kysely';
import { parseCustomPolicy } from '../auth/policy/document.ts';
import { hashPassword, verifyPassword } from '../auth/password.ts';
import type { AccountConfig, GrantConfig } from '../config/schema.ts';
import { hexId } from '../context/ids.ts';
import { ApiError } from '../errors/api-error.ts';
import type { Database } from '../store/schema.ts';
import { CredentialsRepository } from './credentials/repository.ts';
import { GrantsRepository, type GrantScope } from './grants/repository.ts';
import { declaredScope, grantTypeProblem } from './grants/rules.ts';
import { GroupsRepository, type GroupRow } from './groups/repository.ts';
import { ADMIN_GROUP } from './groups/service.ts';
import { PoliciesRepository } from './roles/repository.ts';
import {
  SECURITY_ADMINISTRATOR_ID,
  systemRoleByName,
  TENANT_ADMINISTRATOR_ID,
} from './roles/system-roles.ts';
import { bumpGeneration } from './shared/generation.ts';
import { UsersRepository } from './users/repository.ts';

type Db = Kysely<Database>;

async function upsertUsers(db: Db, domainId: string, account: AccountConfig, now: number): Promise<void> {
  const users = new UsersRepository(db);
  const keys = new CredentialsRepository(db);
  const hasOwner = (await users.owner(domainId)) !== undefined;
  for (const [index, u] of (account.users ?? []).entries()) {
    let user = await users.findByName(domainId, u.name);
    if (!user) {
      user = {
        id: hexId(),
        domain_id: domainId,
        name: u.name,
        password_hash: u.password !== undefined ? await hashPassword(u.password) : null,
        created_at: now,
        enabled: u.enabled === false ? 0 : 1,
        // The first user of a new account is the account's own user.
        is_domain_owner: !hasOwner && index === 0 ? 1 : 0,
        description: u.description ?? '',
        email: null,
        updated_at: now,
        password_changed_at: u.password !== undefined ? now : null,
      };
      await users.insert(user);
    } else {
      // Re-hash only when the password changed, so restarts stay fast.
      const samePassword =
        u.password === undefined ||
        (user.password_hash !== null && (await verifyPassword(u.password, user.password_hash)));
      const patch = {
        ...(samePassword || u.password === undefined
          ? {}
          : { password_hash: await hashPassword(u.password) }),
        ...(u.enabled !== undefined && (u.enabled ? 1 : 0) !== user.enabled
          ? { enabled: u.enabled ? 1 : 0 }
          : {}),
        ...(u.description !== undefined && u.description !== user.description
          ? { description: u.description }
          : {}),
      };
      if (Object.keys(patch).length > 0) await users.update(user.id, { ...patch, updated_at: now });
    }
    if (user.is_domain_owner === 1 && u.enabled === false) {
      throw new Error(
        `user '${u.name}' is the account's own user of '${account.name}' and cannot be disabled`,
      );
    }
    for (const key of u.access_keys ?? []) {
      const existing = await keys.get(key.ak);
      if (existing && existing.user_id !== user.id) {
        throw new Error(`access key ${key.ak} already belongs to another user`);
      }
      const status = key.status ?? 'active';
      if (!existing) {
        await keys.insert({
          ak: key.ak,
          sk: key.sk,
          user_id: user.id,
          created_at: now,
          status,
          description: '',
        });
      } else if (existing.sk !== key.sk || existing.status !== status) {
        await keys.update(key.ak, { sk: key.sk, status });
      }
    }
  }
}

async function ensureGroup(db: Db, domainId: string, name: string, description: string, now: number) {
  const groups = new GroupsRepository(db);
  let group = await groups.findByName(domainId, name);
  if (!group) {
    group = { id: hexId(), domain_id: domainId, name, description, created_at: now };
    await groups.insert(group);
  } else if (group.description !== description) {
    await groups.update(group.id, { description });
  }
  return group;
}

/** The `admin` group: Tenant Administrator on all projects, Security Administrator on the account. */
async function ensureAdminGroup(db: Db, domainId: string, now: number): Promise<GroupRow> {
  const group = await ensureGroup(db, domainId, ADMIN_GROUP, 'Administrators of the account', now);
  const grants = new GrantsRepository(db);
  await grants.insert(
    { groupId: group.id, roleId: TENANT_ADMINISTRATOR_ID, scope: 'inherited', targetId: domainId },
    domainId,
    now,
  );
  await grants.insert(
    { groupId: group.id, roleId: SECURITY_ADMINISTRATOR_ID, scope: 'domain', targetId: domainId },
    domainId,
    now,
  );
  const owner = await new UsersRepository(db).owner(domainId);
  if (owner) await new GroupsRepository(db).addMember(group.id, owner.id, now);
  return group;
}

async function upsertPolicies(db: Db, domainId: string, account: AccountConfig, now: number): Promise<void> {
  const policies = new PoliciesRepository(db);
  for (const p of account.policies ?? []) {
    const doc = parseCustomPolicy(p.policy);
    if (doc instanceof ApiError)
      throw new Error(`policy '${p.name}' of account '${account.name}': ${doc.message}`);
    const fields = { type: p.type ?? 'XA', description: p.description ?? '', policy: JSON.stringify(doc) };
    const existing = await policies.findByDisplayName(domainId, p.name);
    if (!existing) {
      await policies.insert({
        id: hexId(),
        domain_id: domainId,
        name: await policies.nextName(domainId),
        display_name: p.name,
        description_cn: null,
        created_at: now,
        updated_at: now,
        ...fields,
      });
    } else if (
      existing.type !== fields.type ||
      existing.description !== fields.description ||
      existing.policy !== fields.policy
    ) {
      await policies.update(existing.id, { ...fields, updated_at: now });
    }
  }
}

/** The role id, the scope and the target a declared grant stands for. */
async function resolveGrant(
  db: Db,
  domainId: string,
  grant: GrantConfig,
  projects: Map<string, string>,
  where: string,
): Promise<{ roleId: string; scope: GrantScope; targetId: string }> {
  const system = systemRoleByName(grant.role);
  const custom = system
    ? undefined
    : await new PoliciesRepository(db).findByDisplayName(domainId, grant.role);
  const roleId = system?.id ?? custom?.id;
  const type = system?.type ?? custom?.type;
  if (roleId === undefined || type === undefined)
    throw new Error(`${where}: unknown role or policy '${grant.role}'`);
  const scope = declaredScope(grant);
  if (typeof scope !== 'string') throw new Error(`${where}: ${scope.problem}`);
  const problem = grantTypeProblem(type, scope);
  if (problem) throw new Error(`${where}: '${grant.role}': ${problem}`);
  if (scope !== 'project') return { roleId, scope, targetId: domainId };
  const projectId = projects.get(grant.project ?? '');
  if (projectId === undefined) throw new Error(`${where}: unknown project '${grant.project ?? ''}'`);
  return { roleId, scope, targetId: projectId };
}

async function upsertGroups(
  db: Db,
  domainId: string,
  account: AccountConfig,
  projects: Map<string, string>,
  now: number,
): Promise<void> {
  const users = new UsersRepository(db);
  const groups = new GroupsRepository(db);
  const grants = new GrantsRepository(db);
  for (const g of account.groups ?? []) {
    const where = `group '${g.name}' of account '${account.name}'`;
    const group =
      g.name === ADMIN_GROUP
        ? await ensureAdminGroup(db, domainId, now)
        : await ensureGroup(db, domainId, g.name, g.description ?? '', now);
    for (const name of g.users ?? []) {
      const user = await users.findByName(domainId, name);
      if (!user) throw new Error(`${where}: unknown user '${name}'`);
      await groups.addMember(group.id, user.id, now);
    }
    for (const grant of g.grants ?? []) {
      const { roleId, scope, targetId } = await resolveGrant(db, domainId, grant, projects, where);
      await grants.insert({ groupId: group.id, roleId, scope, targetId }, domainId, now);
    }
  }
}

/** Users, the admin group, policies and groups of one declared account, in the caller's transaction. */
export async function seedIdentity(
  db: Db,
  domainId: string,
  account: AccountConfig,
  projects: Map<string, string>,
  now: number,
): Promise<void> {
  await upsertUsers(db, domainId, account, now);
  await ensureAdminGroup(db, domainId, now);
  await upsertPolicies(db, domainId, account, now);
  await upsertGroups(db, domainId, account, projects, now);
  // Other nodes drop what they cached about these users.
  await bumpGeneration(db);
}
