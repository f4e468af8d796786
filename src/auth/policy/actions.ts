// The IAM actions vpcep knows: every action a route checks, and the documented
// actions of the same services that no emulated route uses (a policy may name
// them). Route actions come from seed 004 §6 and the current API reference
// tables (docs/iam.md lists the route of each). A route naming an action not
// listed here fails at start-up, so this table cannot drift from the routes.

export const VPCEP_ACTIONS = [
  'vpcep:epservices:create',
  'vpcep:epservices:list',
  'vpcep:epservices:get',
  'vpcep:epservices:update',
  'vpcep:epservices:delete',
  'vpcep:connections:list',
  'vpcep:connections:update',
  'vpcep:permissions:list',
  'vpcep:permissions:update',
  'vpcep:pubEpservices:list',
  'vpcep:epserviceDesc:get',
  'vpcep:endpoints:create',
  'vpcep:endpoints:list',
  'vpcep:endpoints:get',
  'vpcep:endpoints:update',
  'vpcep:endpoints:delete',
  'vpcep:epRouters:update',
  'vpcep:quotas:get',
  'vpcep:tags:update',
  'vpcep:tags:list',
  'vpcep:resource:list',
] as const;

export const VPC_ACTIONS = [
  'vpc:vpcs:create',
  'vpc:vpcs:list',
  'vpc:vpcs:get',
  'vpc:vpcs:update',
  'vpc:vpcs:delete',
  'vpc:subnets:create',
  'vpc:subnets:get',
  'vpc:subnets:update',
  'vpc:subnets:delete',
  'vpc:ports:create',
  'vpc:ports:get',
  'vpc:ports:update',
  'vpc:ports:delete',
  'vpc:routeTables:list',
  'vpc:routeTables:get',
  'vpc:routeTables:create',
  'vpc:routeTables:update',
  'vpc:routeTables:delete',
  'vpc:routeTables:associate',
] as const;

export const IAM_ACTIONS = [
  'iam:users:createUser',
  'iam:users:listUsers',
  'iam:users:getUser',
  'iam:users:updateUser',
  'iam:users:updateUserPassword',
  'iam:users:deleteUser',
  'iam:users:listUsersForGroup',
  'iam:groups:createGroup',
  'iam:groups:listGroups',
  'iam:groups:getGroup',
  'iam:groups:updateGroup',
  'iam:groups:deleteGroup',
  'iam:groups:listGroupsForUser',
  'iam:permissions:addUserToGroup',
  'iam:permissions:removeUserFromGroup',
  'iam:permissions:checkUserInGroup',
  'iam:permissions:grantRoleToGroup',
  'iam:permissions:grantRoleToGroupOnProject',
  'iam:permissions:grantRoleToGroupOnDomain',
  'iam:permissions:revokeRoleFromGroup',
  'iam:permissions:revokeRoleFromGroupOnProject',
  'iam:permissions:revokeRoleFromGroupOnDomain',
  'iam:permissions:checkRoleForGroup',
  'iam:permissions:checkRoleForGroupOnProject',
  'iam:permissions:checkRoleForGroupOnDomain',
  'iam:permissions:listRolesForGroup',
  'iam:permissions:listRolesForGroupOnProject',
  'iam:permissions:listRolesForGroupOnDomain',
  'iam:roles:listRoles',
  'iam:roles:getRole',
  'iam:roles:createRole',
  'iam:roles:updateRole',
  'iam:roles:deleteRole',
  'iam:credentials:createCredential',
  'iam:credentials:listCredentials',
  'iam:credentials:getCredential',
  'iam:credentials:updateCredential',
  'iam:credentials:deleteCredential',
  'iam:projects:listProjects',
] as const;

export type VpcepAction = (typeof VPCEP_ACTIONS)[number];
export type VpcAction = (typeof VPC_ACTIONS)[number];
export type IamAction = (typeof IAM_ACTIONS)[number];
export type Action = VpcepAction | VpcAction | IamAction;

export const ALL_ACTIONS: readonly Action[] = [...VPCEP_ACTIONS, ...VPC_ACTIONS, ...IAM_ACTIONS];

const KNOWN = new Set<string>(ALL_ACTIONS);

export function isAction(value: string): value is Action {
  return KNOWN.has(value);
}

/** Services whose actions vpcep checks; a policy naming one of them must name registered actions. */
export const SERVICES_SERVED: ReadonlySet<string> = new Set(['vpcep', 'vpc', 'iam']);

/**
 * IAM is a global service: its actions are evaluated against grants on the
 * account, VPCEP's and VPC's against grants on the project a request acts in.
 */
export function isGlobalAction(action: Action): boolean {
  return action.startsWith('iam:');
}
