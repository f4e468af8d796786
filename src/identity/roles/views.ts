import type { PolicyRow } from './repository.ts';
import type { RoleLike } from './service.ts';
import type { SystemRole } from './system-roles.ts';

// RoleResult, the one shape /v3/roles, grant lists and the custom-policy APIs share.

export function systemRoleView(base: string, r: SystemRole) {
  return {
    id: r.id,
    name: r.name,
    display_name: r.display_name,
    type: r.type,
    catalog: r.catalog,
    description: r.description,
    description_cn: r.description_cn,
    domain_id: null,
    ...(r.flag ? { flag: r.flag } : {}),
    policy: r.policy,
    links: { self: `${base}/v3/roles/${r.id}`, previous: null, next: null },
  };
}

export function customPolicyView(base: string, p: PolicyRow) {
  return {
    id: p.id,
    name: p.name,
    display_name: p.display_name,
    type: p.type,
    catalog: 'CUSTOMED',
    description: p.description,
    description_cn: p.description_cn ?? '',
    domain_id: p.domain_id,
    policy: JSON.parse(p.policy) as unknown,
    links: { self: `${base}/v3/roles/${p.id}`, previous: null, next: null },
    created_time: String(p.created_at),
    updated_time: String(p.updated_at),
  };
}

export function roleView(base: string, role: RoleLike) {
  return role.kind === 'system' ? systemRoleView(base, role.role) : customPolicyView(base, role.row);
}

/** One page of a list (page and per_page come together; a page past the end is empty). */
export function pageOf<T>(items: T[], page?: number, perPage?: number): T[] {
  if (page === undefined || perPage === undefined) return items;
  return items.slice((page - 1) * perPage, page * perPage);
}
