import { parseCustomPolicy, type PolicyDocument } from '../../auth/policy/document.ts';
import type { Principal } from '../../context/request-context.ts';
import { hexId } from '../../context/ids.ts';
import { ApiError, apiError } from '../../errors/api-error.ts';
import { isUniqueViolation } from '../../store/open.ts';
import { GrantsRepository } from '../grants/repository.ts';
import type { IdentityDeps } from '../shared/deps.ts';
import { iamChange } from '../shared/mutate.ts';
import { isDescription, isDisplayName } from '../shared/names.ts';
import { PoliciesRepository, type PolicyRow } from './repository.ts';
import type { PolicyInput } from './schemas.ts';
import { SYSTEM_ROLES, systemRoleById, type SystemRole } from './system-roles.ts';

// System roles (in code, the same for every account) and the account's own
// custom policies (in the store). Another account's policy is "not found".

export type RoleLike = { kind: 'system'; role: SystemRole } | { kind: 'custom'; row: PolicyRow };

export function roleNotFound(id: string) {
  return apiError('IAM.0004', `Could not find role: ${id.slice(0, 64)}.`);
}

/** A system role, or a custom policy of the caller's account. */
export async function findRole(deps: IdentityDeps, domainId: string, id: string): Promise<RoleLike> {
  const system = systemRoleById(id);
  if (system) return { kind: 'system', role: system };
  const row = await new PoliciesRepository(deps.db).get(domainId, id);
  if (!row) throw roleNotFound(id);
  return { kind: 'custom', row };
}

export function typeOf(role: RoleLike): string {
  return role.kind === 'system' ? role.role.type : role.row.type;
}

export function documentOf(role: RoleLike): PolicyDocument {
  return role.kind === 'system' ? role.role.policy : (JSON.parse(role.row.policy) as PolicyDocument);
}

export interface RoleFilter {
  name?: string | undefined;
  display_name?: string | undefined;
  permission_type?: string | undefined;
  type?: string | undefined;
  catalog?: string | undefined;
}

/** GET /v3/roles without domain_id: the system roles and policies, filtered as IAM filters them. */
export function listSystemRoles(filter: RoleFilter): SystemRole[] {
  return SYSTEM_ROLES.filter(
    (r) =>
      (filter.name === undefined || r.name === filter.name) &&
      (filter.display_name === undefined || r.display_name === filter.display_name) &&
      (filter.catalog === undefined || r.catalog === filter.catalog) &&
      (filter.permission_type === undefined ||
        (filter.permission_type === 'policy') === (r.policy.Version === '1.1')) &&
      // `domain` shows what can be granted on the account, `project` on projects.
      (filter.type === undefined ||
        (filter.type === 'domain' && r.type !== 'XA') ||
        (filter.type === 'project' && r.type !== 'AX')),
  );
}

export function listCustomPolicies(deps: IdentityDeps, caller: Principal): Promise<PolicyRow[]> {
  return new PoliciesRepository(deps.db).list(caller.domainId);
}

export async function getCustomPolicy(deps: IdentityDeps, caller: Principal, id: string) {
  const row = await new PoliciesRepository(deps.db).get(caller.domainId, id);
  if (!row) throw roleNotFound(id);
  return { row, references: await new GrantsRepository(deps.db).countForRole(id) };
}

interface CheckedPolicy {
  display_name?: string;
  type?: string;
  description?: string;
  description_cn?: string | null;
  policy?: string;
}

function checkPolicyInput(input: PolicyInput, creating: boolean): CheckedPolicy {
  const out: CheckedPolicy = {};
  if (input.display_name !== undefined || creating) {
    const name = input.display_name ?? '';
    if (name.length > 64)
      throw apiError('IAM.1002', `The length [${name.length}] of the display name exceeds 64 characters.`);
    if (name.trim() === '') throw apiError('IAM.1001');
    if (!isDisplayName(name)) throw apiError('IAM.1003');
    out.display_name = name;
  }
  if (input.type !== undefined || creating) {
    if (input.type !== 'AX' && input.type !== 'XA') throw apiError('IAM.1009');
    out.type = input.type;
  }
  if (input.description !== undefined || creating) {
    const d = input.description ?? '';
    if (!isDescription(d, 256)) throw apiError('IAM.1018');
    out.description = d;
  }
  if (input.description_cn !== undefined) {
    if (!isDescription(input.description_cn, 256)) throw apiError('IAM.1018', 'Invalid description_cn.');
    out.description_cn = input.description_cn;
  }
  if (input.policy !== undefined || creating) {
    const doc = parseCustomPolicy(input.policy);
    if (doc instanceof ApiError) throw doc;
    out.policy = JSON.stringify(doc);
  }
  return out;
}

const nameTaken = (name: string) =>
  apiError(
    'IAM.0005',
    `Conflict occurred when attempting to store role - the display name ${name} is in use.`,
  );

export async function createCustomPolicy(
  deps: IdentityDeps,
  caller: Principal,
  input: PolicyInput,
): Promise<PolicyRow> {
  const checked = checkPolicyInput(input, true);
  const now = deps.clock.now();
  try {
    return await iamChange(deps, async (trx) => {
      const policies = new PoliciesRepository(trx);
      if (await policies.findByDisplayName(caller.domainId, checked.display_name ?? '')) {
        throw nameTaken(checked.display_name ?? '');
      }
      if ((await policies.count(caller.domainId)) >= deps.config.iam.max_policies) {
        throw apiError(
          'IAM.0007',
          `The number of custom policies has reached the maximum (${deps.config.iam.max_policies}).`,
        );
      }
      const row: PolicyRow = {
        id: hexId(),
        domain_id: caller.domainId,
        name: await policies.nextName(caller.domainId),
        display_name: checked.display_name ?? '',
        type: checked.type ?? 'XA',
        description: checked.description ?? '',
        description_cn: checked.description_cn ?? null,
        policy: checked.policy ?? '{}',
        created_at: now,
        updated_at: now,
      };
      await policies.insert(row);
      return row;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken(checked.display_name ?? '');
    throw err;
  }
}

export async function updateCustomPolicy(
  deps: IdentityDeps,
  caller: Principal,
  id: string,
  input: PolicyInput,
): Promise<PolicyRow> {
  const { row: before, references } = await getCustomPolicy(deps, caller, id);
  const checked = checkPolicyInput(input, false);
  // Grants were checked against the type (XA on projects, AX on the account).
  if (checked.type !== undefined && checked.type !== before.type && references > 0) {
    throw apiError(
      'IAM.0005',
      'Conflict occurred when attempting to store role - revoke its grants before changing its type.',
    );
  }
  const patch = { ...checked, updated_at: deps.clock.now() };
  try {
    await iamChange(deps, async (trx) => {
      const policies = new PoliciesRepository(trx);
      if (checked.display_name !== undefined && checked.display_name !== before.display_name) {
        if (await policies.findByDisplayName(caller.domainId, checked.display_name)) {
          throw nameTaken(checked.display_name);
        }
      }
      await policies.update(id, patch);
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken(checked.display_name ?? '');
    throw err;
  }
  return { ...before, ...patch };
}

export async function deleteCustomPolicy(deps: IdentityDeps, caller: Principal, id: string): Promise<void> {
  await getCustomPolicy(deps, caller, id);
  await iamChange(deps, async (trx) => {
    const grants = await new GrantsRepository(trx).countForRole(id);
    if (grants > 0) {
      throw apiError(
        'IAM.0005',
        `Conflict occurred when attempting to delete role - it is granted ${grants} time(s); revoke the grants first.`,
      );
    }
    await new PoliciesRepository(trx).delete(id);
  });
}
