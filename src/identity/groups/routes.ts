import type { App } from '../../api/types.ts';
import { ctxOf } from '../../api/types.ts';
import { requestBaseUrl } from '../../api/base-url.ts';
import type { IdentityDeps } from '../shared/deps.ts';
import { listLinks } from '../shared/views.ts';
import { keystoneUser } from '../users/views.ts';
import { CreateGroupBody, GroupIdParams, ListGroupsQuery, MemberParams, UpdateGroupBody } from './schemas.ts';
import * as groups from './service.ts';
import { groupView } from './views.ts';

// Groups and memberships (Keystone's /v3/groups). Joining a group is how an
// IAM user gets rights, so adding a member needs its own action, also for
// adding oneself.

const tags = ['iam'];

export function registerGroupRoutes(app: App, deps: IdentityDeps): void {
  app.post(
    '/v3/groups',
    {
      config: { action: 'iam:groups:createGroup' },
      schema: { tags, summary: 'Create a group', body: CreateGroupBody },
    },
    async (request, reply) => {
      const row = await groups.createGroup(deps, ctxOf(request).principal, request.body.group);
      return reply.code(201).send({ group: groupView(requestBaseUrl(request), row) });
    },
  );

  app.get(
    '/v3/groups',
    {
      config: { action: 'iam:groups:listGroups' },
      schema: { tags, summary: 'List the groups of the account', querystring: ListGroupsQuery },
    },
    async (request) => {
      const { principal } = ctxOf(request);
      const { domain_id, name } = request.query;
      const base = requestBaseUrl(request);
      const rows =
        domain_id !== undefined && domain_id !== principal.domainId
          ? []
          : await groups.listGroups(deps, principal, name);
      return { groups: rows.map((g) => groupView(base, g)), links: listLinks(`${base}/v3/groups`) };
    },
  );

  app.get(
    '/v3/groups/:group_id',
    {
      config: { action: 'iam:groups:getGroup' },
      schema: { tags, summary: 'Show a group', params: GroupIdParams },
    },
    async (request) => {
      const row = await groups.getGroup(deps, ctxOf(request).principal, request.params.group_id);
      return { group: groupView(requestBaseUrl(request), row) };
    },
  );

  app.patch(
    '/v3/groups/:group_id',
    {
      config: { action: 'iam:groups:updateGroup' },
      schema: { tags, summary: 'Modify a group', params: GroupIdParams, body: UpdateGroupBody },
    },
    async (request) => {
      const { principal } = ctxOf(request);
      const row = await groups.updateGroup(deps, principal, request.params.group_id, request.body.group);
      return { group: groupView(requestBaseUrl(request), row) };
    },
  );

  app.delete(
    '/v3/groups/:group_id',
    {
      config: { action: 'iam:groups:deleteGroup' },
      schema: { tags, summary: 'Delete a group with its memberships and grants', params: GroupIdParams },
    },
    async (request, reply) => {
      await groups.deleteGroup(deps, ctxOf(request).principal, request.params.group_id);
      return reply.code(204).send();
    },
  );

  app.get(
    '/v3/groups/:group_id/users',
    {
      config: { action: 'iam:users:listUsersForGroup' },
      schema: { tags, summary: 'List the members of a group', params: GroupIdParams },
    },
    async (request) => {
      const rows = await groups.members(deps, ctxOf(request).principal, request.params.group_id);
      const base = requestBaseUrl(request);
      return {
        users: rows.map((u) => keystoneUser(base, u)),
        links: listLinks(`${base}/v3/groups/${request.params.group_id}/users`),
      };
    },
  );

  app.put(
    '/v3/groups/:group_id/users/:user_id',
    {
      config: { action: 'iam:permissions:addUserToGroup' },
      schema: { tags, summary: 'Add a user to a group', params: MemberParams },
    },
    async (request, reply) => {
      const { group_id, user_id } = request.params;
      await groups.addMember(deps, ctxOf(request).principal, group_id, user_id);
      return reply.code(204).send();
    },
  );

  app.head(
    '/v3/groups/:group_id/users/:user_id',
    {
      config: { action: 'iam:permissions:checkUserInGroup' },
      schema: { tags, summary: 'Whether a user is in a group (204, else 404)', params: MemberParams },
    },
    async (request, reply) => {
      const { group_id, user_id } = request.params;
      const member = await groups.isMember(deps, ctxOf(request).principal, group_id, user_id);
      return reply.code(member ? 204 : 404).send();
    },
  );

  app.delete(
    '/v3/groups/:group_id/users/:user_id',
    {
      config: { action: 'iam:permissions:removeUserFromGroup' },
      schema: { tags, summary: 'Remove a user from a group', params: MemberParams },
    },
    async (request, reply) => {
      const { group_id, user_id } = request.params;
      await groups.removeMember(deps, ctxOf(request).principal, group_id, user_id);
      return reply.code(204).send();
    },
  );
}
