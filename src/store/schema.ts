import type { Generated } from 'kysely';
import type { VpcepTables } from './vpcep-schema.ts';

// Row shapes shared by both dialects. Times are integer milliseconds since the
// epoch (sortable, the same in SQLite and PostgreSQL), flags are 0/1 integers and
// structured values are JSON text, so one repository implementation serves both.

export interface DomainsTable {
  id: string;
  name: string;
  created_at: number;
}

export interface ProjectsTable {
  id: string;
  domain_id: string;
  name: string;
  created_at: number;
}

export interface UsersTable {
  id: string;
  domain_id: string;
  name: string;
  /** scrypt$N$r$p$salt$hash, or null for a user who signs with keys only. */
  password_hash: string | null;
  created_at: number;
  /** 0: every sign-in and every key of the user is refused. */
  enabled: Generated<number>;
  /** 1 for the account's own user: never subject to policies, never deleted. */
  is_domain_owner: Generated<number>;
  description: Generated<string>;
  email: string | null;
  updated_at: number | null;
  password_changed_at: number | null;
}

export interface AccessKeysTable {
  ak: string;
  user_id: string;
  sk: string;
  created_at: number;
  /** 'active' or 'inactive' (refused like an unknown key). */
  status: Generated<string>;
  description: Generated<string>;
}

export interface IamGroupsTable {
  id: string;
  domain_id: string;
  name: string;
  description: string;
  created_at: number;
}

export interface IamGroupMembersTable {
  group_id: string;
  user_id: string;
  created_at: number;
}

export interface IamPoliciesTable {
  id: string;
  domain_id: string;
  /** `custom_<domain_id>_<n>`, as IAM names custom policies. */
  name: string;
  display_name: string;
  /** 'AX' (account level) or 'XA' (project level). */
  type: string;
  description: string;
  description_cn: string | null;
  /** The policy document, JSON text as the client sent it (validated). */
  policy: string;
  created_at: number;
  updated_at: number;
}

/** A role or policy granted to a group on a project, the account, or all projects. */
export interface IamGrantsTable {
  group_id: string;
  role_id: string;
  /** 'project' (target: a project id), 'domain' or 'inherited' (target: the account id). */
  scope: string;
  target_id: string;
  domain_id: string;
  created_at: number;
}

/** One row counting IAM changes, so nodes notice changes they were not told of. */
export interface IamGenerationTable {
  id: number;
  value: number;
}

export interface SettingsTable {
  key: string;
  value: string;
}

export interface VpcsTable {
  id: string;
  project_id: string;
  name: string;
  description: string;
  cidr: string;
  status: string;
  created_at: number;
  updated_at: number;
}

export interface SubnetsTable {
  id: string;
  project_id: string;
  vpc_id: string;
  name: string;
  description: string;
  cidr: string;
  gateway_ip: string;
  dhcp_enable: number;
  primary_dns: string | null;
  secondary_dns: string | null;
  availability_zone: string | null;
  neutron_subnet_id: string;
  status: string;
  created_at: number;
  updated_at: number;
  /**
   * Every address of the subnet below this one (the gateway aside) is held by
   * a port; null: not known, search from the first address (migration 0007).
   */
  free_from: number | null;
}

export interface PortsTable {
  id: string;
  project_id: string;
  /** The subnet (network) id: the VPC API's `network_id`. */
  network_id: string;
  vpc_id: string;
  name: string;
  ip_address: string;
  /** ip_address as a number, written by the repository: ordered and indexed look-ups by address. */
  ip_number: number;
  mac_address: string;
  device_owner: string;
  device_id: string;
  status: string;
  created_at: number;
  updated_at: number;
}

export interface RouteTablesTable {
  id: string;
  project_id: string;
  vpc_id: string;
  name: string;
  description: string;
  is_default: number;
  /** JSON array of {type, destination, nexthop}. */
  routes: string;
  created_at: number;
  updated_at: number;
}

export interface JobsTable {
  id: Generated<number>;
  kind: string;
  resource_id: string;
  /** JSON text. */
  payload: string;
  run_at: number;
  attempts: number;
  /** Null: the worker's configured limit (jobs.max_attempts) applies. */
  max_attempts: number | null;
  locked_by: string | null;
  locked_until: number | null;
  last_error: string | null;
  created_at: number;
}

export interface Database extends VpcepTables {
  domains: DomainsTable;
  projects: ProjectsTable;
  users: UsersTable;
  access_keys: AccessKeysTable;
  iam_groups: IamGroupsTable;
  iam_group_members: IamGroupMembersTable;
  iam_policies: IamPoliciesTable;
  iam_grants: IamGrantsTable;
  iam_generation: IamGenerationTable;
  settings: SettingsTable;
  vpcs: VpcsTable;
  subnets: SubnetsTable;
  ports: PortsTable;
  route_tables: RouteTablesTable;
  jobs: JobsTable;
}
