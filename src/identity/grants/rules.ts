// Where a role or policy may be granted (docs/iam.md): project-level (XA) ones
// not on the account, account-level (AX) ones not on a project; AA anywhere,
// and every type on all projects. Shared by the API, seeding and the config check.
import type { GrantScope } from './repository.ts';

/** Why a role of `type` cannot be granted with `scope`, or undefined when it can. */
export function grantTypeProblem(type: string, scope: GrantScope): string | undefined {
  if (scope === 'project' && type === 'AX') {
    return 'an account-level (AX) policy cannot be granted on a project';
  }
  if (scope === 'domain' && type === 'XA') {
    return 'a project-level (XA) policy is granted on projects or on all projects, not on the account';
  }
  return undefined;
}

/** A grant as the configuration declares it: a project, or a scope. */
export interface DeclaredGrant {
  project?: string | undefined;
  scope?: 'project' | 'all_projects' | 'domain' | undefined;
}

/** The scope a declared grant means, or why it means none. */
export function declaredScope(grant: DeclaredGrant): GrantScope | { problem: string } {
  const scope = grant.scope ?? (grant.project !== undefined ? 'project' : undefined);
  if (scope === undefined) return { problem: 'needs a project or a scope (all_projects, domain)' };
  if (scope === 'project') {
    return grant.project === undefined ? { problem: "scope 'project' needs a project" } : 'project';
  }
  if (grant.project !== undefined) return { problem: "'project' goes with scope 'project' only" };
  return scope === 'all_projects' ? 'inherited' : 'domain';
}
