import { Type } from 'typebox';
import { keptJson } from '../../api/kept-json.ts';
import { ctxOf, type App } from '../../api/types.ts';
import type { VpcepDeps } from '../deps.ts';
import {
  AddServerResourcesBody,
  CreateServiceBody,
  ListServicesQuery,
  ProjectParams,
  RenamedService,
  RenameServiceBody,
  ServiceList,
  ServiceParams,
  ServiceView,
  UpdateServiceBody,
} from './schemas.ts';
import * as ops from './service.ts';

// The tenant's own endpoint services (seed 004 §4.2.1–4.2.5, the rename call and
// the two v2 actions). `public` and `describe` live in public-routes.ts.
// Creates and updates answer 200 with the whole service; deletes and the two v2
// actions 204 with no body, as the API reference documents them (and all the
// huaweicloud Terraform provider accepts for the v2 actions).

const tags = ['endpoint services'];
const one = { 200: ServiceView };
const BASE = '/v1/:project_id/vpc-endpoint-services';
const ONE = `${BASE}/:vpc_endpoint_service_id`;
const V2_ONE = '/v2/:project_id/vpc-endpoint-services/:vpc_endpoint_service_id';

export function registerServiceRoutes(app: App, deps: VpcepDeps): void {
  // GET of one service is what a provider's tools poll: an unchanged service's
  // answer is made once (views.ts, api/kept-json.ts).
  const sentOnce = keptJson();
  app.post(
    BASE,
    {
      config: { action: 'vpcep:epservices:create' },
      schema: {
        tags,
        summary: 'Create an endpoint service (asynchronous: answers while it is creating)',
        params: ProjectParams,
        body: CreateServiceBody,
        response: one,
      },
    },
    async (request) => ops.createService(deps, ctxOf(request), request.body),
  );

  app.get(
    BASE,
    {
      config: { action: 'vpcep:epservices:list' },
      schema: {
        tags,
        summary: "List the project's endpoint services",
        params: ProjectParams,
        querystring: ListServicesQuery,
        response: { 200: ServiceList },
      },
    },
    async (request) => ops.listOwnServices(deps, ctxOf(request), request.query),
  );

  app.get(
    ONE,
    {
      config: { action: 'vpcep:epservices:get' },
      schema: { tags, summary: 'Show an endpoint service', params: ServiceParams, response: one },
    },
    async (request, reply) =>
      sentOnce(reply, await ops.showService(deps, ctxOf(request), request.params.vpc_endpoint_service_id)),
  );

  app.put(
    ONE,
    {
      config: { action: 'vpcep:epservices:update' },
      schema: {
        tags,
        summary: 'Modify an endpoint service',
        params: ServiceParams,
        body: UpdateServiceBody,
        response: one,
      },
    },
    async (request) =>
      ops.updateService(deps, ctxOf(request), request.params.vpc_endpoint_service_id, request.body),
  );

  app.delete(
    ONE,
    {
      config: { action: 'vpcep:epservices:delete' },
      schema: {
        tags,
        summary: 'Delete an endpoint service (asynchronous: it is deleting, then gone)',
        params: ServiceParams,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      await ops.deleteService(deps, ctxOf(request), request.params.vpc_endpoint_service_id);
      return reply.code(204).send(null);
    },
  );

  app.put(
    `${ONE}/name`,
    {
      config: { action: 'vpcep:epservices:update' },
      schema: {
        tags,
        summary: 'Rename an endpoint service (an absent name clears it)',
        params: ServiceParams,
        body: RenameServiceBody,
        response: { 200: RenamedService },
      },
    },
    async (request) => ({
      endpoint_service_name: await ops.renameService(
        deps,
        ctxOf(request),
        request.params.vpc_endpoint_service_id,
        request.body?.endpoint_service_name,
      ),
    }),
  );

  app.post(
    `${V2_ONE}/upgrade`,
    {
      config: { action: 'vpcep:epservices:update' },
      schema: {
        tags,
        summary: 'Upgrade an endpoint service (accepted; the emulation has one edition)',
        params: ServiceParams,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      await ops.acknowledgeV2Action(deps, ctxOf(request), request.params.vpc_endpoint_service_id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    `${V2_ONE}/add-server-resources`,
    {
      config: { action: 'vpcep:epservices:update' },
      schema: {
        tags,
        summary: 'Add backend resources to an endpoint service (validated and accepted)',
        params: ServiceParams,
        body: AddServerResourcesBody,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      await ops.acknowledgeV2Action(deps, ctxOf(request), request.params.vpc_endpoint_service_id);
      return reply.code(204).send(null);
    },
  );
}
