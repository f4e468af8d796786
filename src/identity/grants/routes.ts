import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { App } from '../../api/types.ts';
import { ctxOf } from '../../api/types.ts';
import type { IamAction } from '../../auth/policy/actions.ts';
import { roleView } from '../roles/views.ts';
import { requestBaseUrl } from '../../api/base-url.ts';
import type { IdentityDeps } from '../shared/deps.ts';
import { listLinks } from '../shared/views.ts';
import type { GrantScope } from './repository.ts';
import * as grants from './service.ts';

// Grants on a project, on the account, and on all projects of the account
// (OS-INHERIT), each with grant (PUT), check (HEAD), revoke (DELETE) and list.

const tags = ['iam'];
const Id = Type.String({ minLength: 1, maxLength: 64 });

interface Family {
  scope: GrantScope;
  /** The path up to the group's roles; `:target` is the project or account id. */
  prefix: string;
  /** After the role id (OS-INHERIT ends in /inherited_to_projects). */
  suffix: string;
  targetParam: 'project_id' | 'domain_id';
  actions: { grant: IamAction; check: IamAction; revoke: IamAction; list: IamAction };
  what: string;
}

const FAMILIES: Family[] = [
  {
    scope: 'project',
    prefix: '/v3/projects/:project_id/groups/:group_id/roles',
    suffix: '',
    targetParam: 'project_id',
    what: 'on a project',
    actions: {
      grant: 'iam:permissions:grantRoleToGroupOnProject',
      check: 'iam:permissions:checkRoleForGroupOnProject',
      revoke: 'iam:permissions:revokeRoleFromGroupOnProject',
      list: 'iam:permissions:listRolesForGroupOnProject',
    },
  },
  {
    scope: 'domain',
    prefix: '/v3/domains/:domain_id/groups/:group_id/roles',
    suffix: '',
    targetParam: 'domain_id',
    what: 'on the account (global services)',
    actions: {
      grant: 'iam:permissions:grantRoleToGroupOnDomain',
      check: 'iam:permissions:checkRoleForGroupOnDomain',
      revoke: 'iam:permissions:revokeRoleFromGroupOnDomain',
      list: 'iam:permissions:listRolesForGroupOnDomain',
    },
  },
  {
    scope: 'inherited',
    prefix: '/v3/OS-INHERIT/domains/:domain_id/groups/:group_id/roles',
    suffix: '/inherited_to_projects',
    targetParam: 'domain_id',
    what: 'on all projects of the account',
    actions: {
      grant: 'iam:permissions:grantRoleToGroup',
      check: 'iam:permissions:checkRoleForGroup',
      revoke: 'iam:permissions:revokeRoleFromGroup',
      list: 'iam:permissions:listRolesForGroup',
    },
  },
];

type Params = Record<string, string>;

export function registerGrantRoutes(app: App, deps: IdentityDeps): void {
  for (const f of FAMILIES) {
    const one = Type.Object({ [f.targetParam]: Id, group_id: Id, role_id: Id });
    const all = Type.Object({ [f.targetParam]: Id, group_id: Id });
    const target = (p: Params) => ({ scope: f.scope, id: p[f.targetParam] ?? '' });
    const onOne =
      (run: (request: FastifyRequest, reply: FastifyReply, p: Params) => Promise<unknown>) =>
      async (request: FastifyRequest, reply: FastifyReply) =>
        run(request, reply, request.params as Params);
    const path = `${f.prefix}/:role_id${f.suffix}`;

    app.put(
      path,
      {
        config: { action: f.actions.grant },
        schema: { tags, summary: `Grant a role or policy to a group ${f.what}`, params: one },
      },
      onOne(async (request, reply, p) => {
        await grants.grant(deps, ctxOf(request).principal, target(p), p.group_id ?? '', p.role_id ?? '');
        return reply.code(204).send();
      }),
    );

    app.head(
      path,
      {
        config: { action: f.actions.check },
        schema: { tags, summary: `Whether a group holds a role ${f.what} (204, else 404)`, params: one },
      },
      onOne(async (request, reply, p) => {
        const held = await grants.isGranted(
          deps,
          ctxOf(request).principal,
          target(p),
          p.group_id ?? '',
          p.role_id ?? '',
        );
        return reply.code(held ? 204 : 404).send();
      }),
    );

    app.delete(
      path,
      {
        config: { action: f.actions.revoke },
        schema: { tags, summary: `Revoke a role or policy of a group ${f.what}`, params: one },
      },
      onOne(async (request, reply, p) => {
        await grants.revoke(deps, ctxOf(request).principal, target(p), p.group_id ?? '', p.role_id ?? '');
        return reply.code(204).send();
      }),
    );

    app.get(
      `${f.prefix}${f.suffix}`,
      {
        config: { action: f.actions.list },
        schema: { tags, summary: `List the roles and policies of a group ${f.what}`, params: all },
      },
      onOne(async (request, _reply, p) => {
        const held = await grants.grantedRoles(deps, ctxOf(request).principal, target(p), p.group_id ?? '');
        const base = requestBaseUrl(request);
        const self = `${f.prefix}${f.suffix}`.replace(/:(\w+)/g, (_m, name: string) => p[name] ?? '');
        return { roles: held.map((r) => roleView(base, r)), links: listLinks(`${base}${self}`) };
      }),
    );
  }
}
