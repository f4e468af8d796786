import type { App } from '../../api/types.ts';
import { ctxOf } from '../../api/types.ts';
import { apiError } from '../../errors/api-error.ts';
import { requestBaseUrl } from '../../api/base-url.ts';
import type { IdentityDeps } from '../shared/deps.ts';
import { listLinks } from '../shared/views.ts';
import {
  CreatePolicyBody,
  ListCustomQuery,
  ListRolesQuery,
  RoleIdParams,
  UpdatePolicyBody,
} from './schemas.ts';
import * as roles from './service.ts';
import { customPolicyView, pageOf, roleView, systemRoleView } from './views.ts';

// System roles and custom policies: /v3/roles lists and shows both kinds,
// /v3.0/OS-ROLE/roles manages the account's custom policies.

const tags = ['iam'];

function checkPaging(page: number | undefined, perPage: number | undefined): void {
  if ((page === undefined) !== (perPage === undefined)) {
    throw apiError('IAM.0007', 'Request parameters page and per_page must be given together.');
  }
}

export function registerRoleRoutes(app: App, deps: IdentityDeps): void {
  app.get(
    '/v3/roles',
    {
      config: { action: 'iam:roles:listRoles' },
      schema: {
        tags,
        summary: 'List system roles and policies, or the custom policies of an account',
        querystring: ListRolesQuery,
      },
    },
    async (request) => {
      const { principal } = ctxOf(request);
      const { domain_id, page, per_page, ...filter } = request.query;
      checkPaging(page, per_page);
      const base = requestBaseUrl(request);
      let all: unknown[];
      if (domain_id === undefined) {
        all = roles.listSystemRoles(filter).map((r) => systemRoleView(base, r));
      } else if (domain_id !== principal.domainId) {
        all = [];
      } else {
        const rows = await roles.listCustomPolicies(deps, principal);
        all = rows
          .filter(
            (p) =>
              (filter.display_name === undefined || p.display_name === filter.display_name) &&
              (filter.name === undefined || p.name === filter.name),
          )
          .map((p) => customPolicyView(base, p));
      }
      return {
        roles: pageOf(all, page, per_page),
        links: listLinks(`${base}/v3/roles`),
        total_number: all.length,
      };
    },
  );

  app.get(
    '/v3/roles/:role_id',
    {
      config: { action: 'iam:roles:getRole' },
      schema: { tags, summary: 'Show a role or policy', params: RoleIdParams },
    },
    async (request) => {
      const role = await roles.findRole(deps, ctxOf(request).principal.domainId, request.params.role_id);
      return { role: roleView(requestBaseUrl(request), role) };
    },
  );

  app.get(
    '/v3.0/OS-ROLE/roles',
    {
      config: { action: 'iam:roles:listRoles' },
      schema: { tags, summary: 'List the custom policies of the account', querystring: ListCustomQuery },
    },
    async (request) => {
      const { page, per_page } = request.query;
      checkPaging(page, per_page);
      const base = requestBaseUrl(request);
      const all = (await roles.listCustomPolicies(deps, ctxOf(request).principal)).map((p) => ({
        ...customPolicyView(base, p),
        links: { self: `${base}/v3/roles/${p.id}` },
      }));
      return {
        roles: pageOf(all, page, per_page),
        links: listLinks(`${base}/v3.0/OS-ROLE/roles`),
        total_number: all.length,
      };
    },
  );

  app.get(
    '/v3.0/OS-ROLE/roles/:role_id',
    {
      config: { action: 'iam:roles:getRole' },
      schema: { tags, summary: 'Show a custom policy', params: RoleIdParams },
    },
    async (request) => {
      const { row, references } = await roles.getCustomPolicy(
        deps,
        ctxOf(request).principal,
        request.params.role_id,
      );
      return { role: { ...customPolicyView(requestBaseUrl(request), row), references } };
    },
  );

  app.post(
    '/v3.0/OS-ROLE/roles',
    {
      config: { action: 'iam:roles:createRole' },
      schema: { tags, summary: 'Create a custom policy', body: CreatePolicyBody },
    },
    async (request, reply) => {
      const row = await roles.createCustomPolicy(deps, ctxOf(request).principal, request.body.role);
      return reply.code(201).send({ role: customPolicyView(requestBaseUrl(request), row) });
    },
  );

  app.patch(
    '/v3.0/OS-ROLE/roles/:role_id',
    {
      config: { action: 'iam:roles:updateRole' },
      schema: { tags, summary: 'Modify a custom policy', params: RoleIdParams, body: UpdatePolicyBody },
    },
    async (request) => {
      const { principal } = ctxOf(request);
      const row = await roles.updateCustomPolicy(deps, principal, request.params.role_id, request.body.role);
      return { role: customPolicyView(requestBaseUrl(request), row) };
    },
  );

  app.delete(
    '/v3.0/OS-ROLE/roles/:role_id',
    {
      config: { action: 'iam:roles:deleteRole' },
      schema: { tags, summary: 'Delete a custom policy that is not granted', params: RoleIdParams },
    },
    async (request) => {
      await roles.deleteCustomPolicy(deps, ctxOf(request).principal, request.params.role_id);
      // IAM answers 200; the official client models an optional message.
      return {};
    },
  );
}
