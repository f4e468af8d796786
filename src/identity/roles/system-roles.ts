// The system-defined roles (Version 1.0) and policies (1.1) vpcep offers, as
// IAM lists them at /v3/roles. Names, display names, types and catalogs are the
// cloud's; the statements of the VPC and VPCEP entries are not published, so
// they are vpcep's reading of the descriptions (docs/iam.md). Ids are fixed:
// grants in the store refer to them, and migration 0004 names two of them.
import type { PolicyDocument } from '../../auth/policy/document.ts';

export interface SystemRole {
  id: string;
  name: string;
  display_name: string;
  /** AA: account and projects; AX: account (global services); XA: projects. */
  type: 'AA' | 'AX' | 'XA';
  catalog: string;
  description: string;
  description_cn: string;
  /** Present on fine-grained system policies only. */
  flag?: 'fine_grained';
  policy: PolicyDocument;
}

const VPCEP_READS = ['vpcep:*:get*', 'vpcep:*:list*'];
const VPC_READS = ['vpc:*:get*', 'vpc:*:list*'];

export const TENANT_ADMINISTRATOR_ID = '6b1b0f3c5a0e4e0b9d8f1a2c3e4f5a01';
export const SECURITY_ADMINISTRATOR_ID = '6b1b0f3c5a0e4e0b9d8f1a2c3e4f5a03';

export const SYSTEM_ROLES: readonly SystemRole[] = [
  {
    id: TENANT_ADMINISTRATOR_ID,
    name: 'te_admin',
    display_name: 'Tenant Administrator',
    type: 'AA',
    catalog: 'BASE',
    description: 'Tenant Administrator (Exclude IAM)',
    description_cn: '租户管理员（除IAM管理权限）',
    policy: {
      Version: '1.0',
      Statement: [
        { Effect: 'Allow', Action: ['*'] },
        { Effect: 'Deny', Action: ['identity:*'] },
      ],
    },
  },
  {
    id: '6b1b0f3c5a0e4e0b9d8f1a2c3e4f5a02',
    name: 'readonly',
    display_name: 'Tenant Guest',
    type: 'AA',
    catalog: 'BASE',
    description: 'Tenant Guest (Exclude IAM)',
    description_cn: '租户访客（除IAM管理权限）',
    policy: {
      Version: '1.0',
      Statement: [
        { Effect: 'Allow', Action: ['*:*:Get*', '*:*:List*'] },
        { Effect: 'Deny', Action: ['identity:*'] },
      ],
    },
  },
  {
    id: SECURITY_ADMINISTRATOR_ID,
    name: 'secu_admin',
    display_name: 'Security Administrator',
    type: 'AX',
    catalog: 'BASE',
    description: 'Full permissions for Identity and Access Management',
    description_cn: '统一身份认证服务的所有权限',
    policy: { Version: '1.0', Statement: [{ Effect: 'Allow', Action: ['iam:*:*'] }] },
  },
  {
    id: '6b1b0f3c5a0e4e0b9d8f1a2c3e4f5a04',
    name: 'vpcep_adm',
    display_name: 'VPCEndpoint Administrator',
    type: 'XA',
    catalog: 'VPCEP',
    description: 'VPCEndpoint service enables you to privately connect your VPC to supported services',
    description_cn: 'VPC终端节点服务管理员',
    policy: {
      Version: '1.0',
      Statement: [{ Effect: 'Allow', Action: ['vpcep:*:*'] }],
      Depends: [
        { catalog: 'BASE', display_name: 'Server Administrator' },
        { catalog: 'VPC', display_name: 'VPC Administrator' },
        { catalog: 'DNS', display_name: 'DNS Administrator' },
      ],
    },
  },
  {
    id: '6b1b0f3c5a0e4e0b9d8f1a2c3e4f5a05',
    name: 'system_all_21',
    display_name: 'VPCEndpoint FullAccess',
    type: 'XA',
    catalog: 'VPCEP',
    description: 'Full permissions for VPC Endpoint',
    description_cn: 'VPC终端节点服务的所有权限',
    flag: 'fine_grained',
    policy: {
      Version: '1.1',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['vpcep:*:*', 'vpc:vpcs:get', 'vpc:vpcs:list', 'vpc:subnets:get', 'vpc:ports:get'],
        },
      ],
    },
  },
  {
    id: '6b1b0f3c5a0e4e0b9d8f1a2c3e4f5a06',
    name: 'system_all_22',
    display_name: 'VPCEndpoint ReadOnlyAccess',
    type: 'XA',
    catalog: 'VPCEP',
    description:
      'Read-only permissions for VPC Endpoint. Users with these permissions can only view VPC Endpoint resources.',
    description_cn: 'VPC终端节点服务的只读权限',
    flag: 'fine_grained',
    policy: { Version: '1.1', Statement: [{ Effect: 'Allow', Action: VPCEP_READS }] },
  },
  {
    id: '6b1b0f3c5a0e4e0b9d8f1a2c3e4f5a07',
    name: 'vpc_netadm',
    display_name: 'VPC Administrator',
    type: 'XA',
    catalog: 'VPC',
    description: 'VPC Administrator',
    description_cn: '虚拟私有云管理员',
    policy: {
      Version: '1.0',
      Statement: [{ Effect: 'Allow', Action: ['vpc:*:*'] }],
      Depends: [{ catalog: 'BASE', display_name: 'Tenant Guest' }],
    },
  },
  {
    id: '6b1b0f3c5a0e4e0b9d8f1a2c3e4f5a08',
    name: 'system_all_7',
    display_name: 'VPC FullAccess',
    type: 'XA',
    catalog: 'VPC',
    description: 'All permissions of VPC service',
    description_cn: '虚拟私有云服务的所有权限',
    flag: 'fine_grained',
    policy: { Version: '1.1', Statement: [{ Effect: 'Allow', Action: ['vpc:*:*'] }] },
  },
  {
    id: '6b1b0f3c5a0e4e0b9d8f1a2c3e4f5a09',
    name: 'system_all_5',
    display_name: 'VPC ReadOnlyAccess',
    type: 'XA',
    catalog: 'VPC',
    description:
      'The read-only permissions to all VPC resources, which can be used for statistics and survey',
    description_cn: '虚拟私有云服务的只读权限',
    flag: 'fine_grained',
    policy: { Version: '1.1', Statement: [{ Effect: 'Allow', Action: VPC_READS }] },
  },
];

const BY_ID = new Map(SYSTEM_ROLES.map((r) => [r.id, r]));

export function systemRoleById(id: string): SystemRole | undefined {
  return BY_ID.get(id);
}

/** A system role by its `name` (`te_admin`) or `display_name` (`Tenant Administrator`). */
export function systemRoleByName(name: string): SystemRole | undefined {
  return SYSTEM_ROLES.find((r) => r.name === name || r.display_name === name);
}
