import { apiError } from '../../errors/api-error.ts';
import { ctxOf, type App } from '../../api/types.ts';
import type { VpcepDeps } from '../deps.ts';
import {
  batchCreatePermissions,
  batchDeletePermissions,
  changePermissions,
  describePermission,
  listPermissions,
} from './operations.ts';
import {
  BatchCreateBody,
  BatchDeleteBody,
  DescribePermissionBody,
  PermissionActionBody,
  PermissionEcho,
  PermissionList,
  PermissionParams,
  PermissionRows,
  PermissionsQuery,
  ServiceParams,
} from './schemas.ts';

// The whitelist of an endpoint service, owner only (404 EndPoint.0005 for a
// service that is not the caller's). `batch-create` and `batch-delete` are
// static segments, so find-my-way matches them before `{permission_id}`.

const BASE = '/v1/:project_id/vpc-endpoint-services/:vpc_endpoint_service_id/permissions';
const tags = ['permissions'];

export function registerPermissionRoutes(app: App, deps: VpcepDeps): void {
  app.get(
    BASE,
    {
      config: { action: 'vpcep:permissions:list' },
      schema: {
        tags,
        summary: 'List the whitelist records of an endpoint service',
        params: ServiceParams,
        querystring: PermissionsQuery,
        response: { 200: PermissionList },
      },
    },
    async (request) =>
      listPermissions(deps, ctxOf(request).projectId, request.params.vpc_endpoint_service_id, request.query),
  );

  app.post(
    `${BASE}/action`,
    {
      config: { action: 'vpcep:permissions:update' },
      schema: {
        tags,
        summary: 'Add or remove whitelist records',
        params: ServiceParams,
        body: PermissionActionBody,
        response: { 200: PermissionEcho },
      },
    },
    async (request) => {
      const { action, permissions, permission_type } = request.body;
      if (action !== 'add' && action !== 'remove') {
        throw apiError('EndPoint.3035', "Invalid action: it must be 'add' or 'remove'.");
      }
      return changePermissions(
        deps,
        ctxOf(request).projectId,
        request.params.vpc_endpoint_service_id,
        action,
        permissions,
        permission_type ?? 'domainId',
      );
    },
  );

  app.post(
    `${BASE}/batch-create`,
    {
      config: { action: 'vpcep:permissions:update' },
      schema: {
        tags,
        summary: 'Add whitelist records with descriptions',
        params: ServiceParams,
        body: BatchCreateBody,
        response: { 200: PermissionRows },
      },
    },
    async (request) => ({
      permissions: await batchCreatePermissions(
        deps,
        ctxOf(request).projectId,
        request.params.vpc_endpoint_service_id,
        request.body.permissions,
        request.body.permission_type ?? 'domainId',
      ),
    }),
  );

  app.post(
    `${BASE}/batch-delete`,
    {
      config: { action: 'vpcep:permissions:update' },
      schema: {
        tags,
        summary: 'Remove whitelist records by id',
        params: ServiceParams,
        body: BatchDeleteBody,
        response: { 200: PermissionRows },
      },
    },
    async (request) => ({
      permissions: await batchDeletePermissions(
        deps,
        ctxOf(request).projectId,
        request.params.vpc_endpoint_service_id,
        request.body.permissions.map((p) => p.id),
      ),
    }),
  );

  app.put(
    `${BASE}/:permission_id`,
    {
      config: { action: 'vpcep:permissions:update' },
      schema: {
        tags,
        summary: 'Change the description of a whitelist record',
        params: PermissionParams,
        body: DescribePermissionBody,
        response: { 200: PermissionRows },
      },
    },
    async (request) => ({
      permissions: [
        await describePermission(
          deps,
          ctxOf(request).projectId,
          request.params.vpc_endpoint_service_id,
          request.params.permission_id,
          request.body.permission.description,
        ),
      ],
    }),
  );
}
