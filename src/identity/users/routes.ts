import type { FastifyRequest } from 'fastify';
import type { App } from '../../api/types.ts';
import type { LoginThrottle } from '../../auth/login-throttle.ts';
import { ctxOf } from '../../api/types.ts';
import type { Principal } from '../../context/request-context.ts';
import { groupView } from '../groups/views.ts';
import { requestBaseUrl } from '../../api/base-url.ts';
import type { IdentityDeps } from '../shared/deps.ts';
import { listLinks } from '../shared/views.ts';
import {
  ChangePasswordBody,
  CreateUserBody,
  KeystoneCreateUserBody,
  KeystoneUpdateUserBody,
  ListUsersQuery,
  UpdateUserBody,
  UpdateUserInfoBody,
  UserIdParams,
} from './schemas.ts';
import * as users from './service.ts';
import { createdUser, detailedUser, keystoneUser } from './views.ts';

// The user APIs of the official IAM client: Keystone's /v3/users and IAM's
// /v3.0/OS-USER/users. Reading one's own record needs no permission (IAM's
// self-service); everything else names its iam:users:* action.

const tags = ['iam'];

/** The request is about the caller's own user record. */
export function isSelf(request: FastifyRequest, principal: Principal): boolean {
  return (request.params as { user_id?: unknown }).user_id === principal.userId;
}

export function registerUserRoutes(app: App, deps: IdentityDeps, throttle: LoginThrottle): void {
  app.post(
    '/v3.0/OS-USER/users',
    {
      config: { action: 'iam:users:createUser' },
      schema: { tags, summary: 'Create an IAM user', body: CreateUserBody },
    },
    async (request, reply) => {
      const { user } = request.body;
      const row = await users.createUser(deps, ctxOf(request).principal, user);
      return reply.code(201).send({ user: createdUser(requestBaseUrl(request), row) });
    },
  );

  app.post(
    '/v3/users',
    {
      config: { action: 'iam:users:createUser' },
      schema: { tags, summary: 'Create an IAM user (Keystone)', body: KeystoneCreateUserBody },
    },
    async (request, reply) => {
      const row = await users.createUser(deps, ctxOf(request).principal, request.body.user);
      return reply.code(201).send({ user: keystoneUser(requestBaseUrl(request), row) });
    },
  );

  app.get(
    '/v3/users',
    {
      config: { action: 'iam:users:listUsers' },
      schema: { tags, summary: 'List the users of the account', querystring: ListUsersQuery },
    },
    async (request) => {
      const { principal } = ctxOf(request);
      const { domain_id, name, enabled } = request.query;
      const base = requestBaseUrl(request);
      // Another account's users are nobody's business: its id lists nothing.
      const rows =
        domain_id !== undefined && domain_id !== principal.domainId
          ? []
          : await users.listUsers(deps, principal, { name, enabled });
      return { users: rows.map((u) => keystoneUser(base, u)), links: listLinks(`${base}/v3/users`) };
    },
  );

  app.get(
    '/v3/users/:user_id',
    {
      config: { action: 'iam:users:getUser', self: isSelf },
      schema: { tags, summary: 'Show a user (Keystone)', params: UserIdParams },
    },
    async (request) => {
      const row = await users.getUser(deps, ctxOf(request).principal, request.params.user_id);
      return { user: keystoneUser(requestBaseUrl(request), row) };
    },
  );

  app.get(
    '/v3.0/OS-USER/users/:user_id',
    {
      config: { action: 'iam:users:getUser', self: isSelf },
      schema: { tags, summary: 'Show the details of a user', params: UserIdParams },
    },
    async (request) => {
      const row = await users.getUser(deps, ctxOf(request).principal, request.params.user_id);
      return { user: detailedUser(requestBaseUrl(request), row) };
    },
  );

  app.put(
    '/v3.0/OS-USER/users/:user_id',
    {
      config: { action: 'iam:users:updateUser' },
      schema: { tags, summary: 'Modify a user', params: UserIdParams, body: UpdateUserBody },
    },
    async (request) => {
      const row = await users.updateUser(
        deps,
        ctxOf(request).principal,
        request.params.user_id,
        request.body.user,
      );
      return { user: createdUser(requestBaseUrl(request), row) };
    },
  );

  app.patch(
    '/v3/users/:user_id',
    {
      config: { action: 'iam:users:updateUser' },
      schema: {
        tags,
        summary: 'Modify a user (Keystone)',
        params: UserIdParams,
        body: KeystoneUpdateUserBody,
      },
    },
    async (request) => {
      const row = await users.updateUser(
        deps,
        ctxOf(request).principal,
        request.params.user_id,
        request.body.user,
      );
      return { user: keystoneUser(requestBaseUrl(request), row) };
    },
  );

  app.put(
    '/v3.0/OS-USER/users/:user_id/info',
    {
      // Only ever one's own record: the service refuses anyone else's.
      config: { anyCaller: true },
      schema: { tags, summary: "Change one's own email", params: UserIdParams, body: UpdateUserInfoBody },
    },
    async (request, reply) => {
      const { principal } = ctxOf(request);
      await users.updateOwnInfo(deps, principal, request.params.user_id, request.body.user.email);
      return reply.code(204).send();
    },
  );

  app.post(
    '/v3/users/:user_id/password',
    {
      config: { anyCaller: true },
      schema: { tags, summary: "Change one's own password", params: UserIdParams, body: ChangePasswordBody },
    },
    async (request, reply) => {
      const { original_password, password } = request.body.user;
      const { principal } = ctxOf(request);
      // The socket's peer, as for logins: X-Forwarded-For is the client's to write.
      await users.changeOwnPassword(deps, principal, request.params.user_id, original_password, password, {
        throttle,
        clientAddress: request.socket.remoteAddress ?? '',
      });
      return reply.code(204).send();
    },
  );

  app.delete(
    '/v3/users/:user_id',
    {
      config: { action: 'iam:users:deleteUser' },
      schema: { tags, summary: 'Delete a user with its access keys', params: UserIdParams },
    },
    async (request, reply) => {
      await users.deleteUser(deps, ctxOf(request).principal, request.params.user_id);
      return reply.code(204).send();
    },
  );

  app.get(
    '/v3/users/:user_id/groups',
    {
      config: { action: 'iam:groups:listGroupsForUser', self: isSelf },
      schema: { tags, summary: 'List the groups a user belongs to', params: UserIdParams },
    },
    async (request) => {
      const rows = await users.groupsOfUser(deps, ctxOf(request).principal, request.params.user_id);
      const base = requestBaseUrl(request);
      return {
        groups: rows.map((g) => groupView(base, g)),
        links: listLinks(`${base}/v3/users/${request.params.user_id}/groups`),
      };
    },
  );
}
