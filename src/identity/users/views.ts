import type { UserRow } from '../repository.ts';
import { iamTime } from '../shared/views.ts';

// The user bodies of the two API families: Keystone's (/v3/users) and IAM's
// own (/v3.0/OS-USER/users), with the fields the official client models.

function common(u: UserRow) {
  return {
    id: u.id,
    name: u.name,
    domain_id: u.domain_id,
    enabled: u.enabled === 1,
    description: u.description,
    pwd_status: false,
    access_mode: 'default',
    password_expires_at: null,
  };
}

export function keystoneUser(base: string, u: UserRow) {
  return {
    ...common(u),
    pwd_strength: null,
    last_project_id: null,
    default_project_id: null,
    links: { self: `${base}/v3/users/${u.id}`, previous: null, next: null },
  };
}

/** GET /v3.0/OS-USER/users/{id}: the detailed record, with is_domain_owner. */
export function detailedUser(base: string, u: UserRow) {
  return {
    ...keystoneUser(base, u),
    xuser_id: '',
    xuser_type: '',
    areacode: '',
    email: u.email ?? '',
    phone: '',
    is_domain_owner: u.is_domain_owner === 1,
    create_time: iamTime(u.created_at),
    update_time: iamTime(u.updated_at ?? u.created_at),
    last_login_time: null,
    last_pwd_auth_time: null,
    pwd_create_time: u.password_changed_at === null ? null : iamTime(u.password_changed_at),
    modify_pwd_time: u.password_changed_at === null ? null : iamTime(u.password_changed_at),
  };
}

/** POST and PUT /v3.0/OS-USER/users answers. */
export function createdUser(base: string, u: UserRow) {
  return {
    ...common(u),
    email: u.email ?? '',
    areacode: '',
    phone: '',
    xuser_id: '',
    xuser_type: '',
    is_domain_owner: u.is_domain_owner === 1,
    status: null,
    create_time: iamTime(u.created_at),
    xdomain_id: '',
    xdomain_type: '',
    default_project_id: null,
    links: { self: `${base}/v3/users/${u.id}` },
  };
}
