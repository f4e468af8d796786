import { Type } from 'typebox';
import { keptJson } from '../../api/kept-json.ts';
import { ctxOf, type App } from '../../api/types.ts';
import type { VpcepDeps } from '../deps.ts';
import { createEndpoint } from './create.ts';
import {
  CreateEndpointBody,
  EndpointList,
  EndpointParams,
  EndpointTrafficView,
  EndpointView,
  ListEndpointsQuery,
  PolicyBody,
  ProjectParams,
  RoutetablesBody,
  RoutetablesResult,
  UpdateEndpointBody,
  UpgradeBody,
} from './schemas.ts';
import {
  deleteEndpoint,
  deletePolicy,
  listEndpoints,
  showEndpoint,
  updateEndpointWhitelist,
  updatePolicy,
  updateRoutetables,
  upgradeEndpoint,
} from './service.ts';
import { endpointTraffic } from './traffic.ts';

// The VPC endpoint operations at the paths of the official clients (seed 004
// §4.3, api-surface §3.3). Handlers only parse and shape; the rules live in
// create.ts and service.ts. Creates answer 200 although they are asynchronous,
// DELETE answers 204 (decision #1), the v2 upgrade 202 as its reference page says.

const tags = ['vpc-endpoints'];
const one = { 200: EndpointView };
const noContent = { 204: Type.Null() };

export function registerEndpointRoutes(app: App, deps: VpcepDeps): void {
  // GET of one endpoint is what clients poll (every create and delete waits on
  // it): an unchanged endpoint's answer is made once (views.ts, api/kept-json.ts).
  const sentOnce = keptJson();
  app.post(
    '/v1/:project_id/vpc-endpoints',
    {
      config: { action: 'vpcep:endpoints:create' },
      schema: {
        tags,
        summary: 'Create a VPC endpoint (asynchronous: answers with status creating)',
        params: ProjectParams,
        body: CreateEndpointBody,
        response: one,
      },
    },
    async (request) => createEndpoint(deps, ctxOf(request), request.body),
  );

  app.get(
    '/v1/:project_id/vpc-endpoints',
    {
      config: { action: 'vpcep:endpoints:list' },
      schema: {
        tags,
        summary: 'List VPC endpoints',
        params: ProjectParams,
        querystring: ListEndpointsQuery,
        response: { 200: EndpointList },
      },
    },
    async (request) => listEndpoints(deps, ctxOf(request), request.query),
  );

  app.get(
    '/v1/:project_id/vpc-endpoints/:vpc_endpoint_id',
    {
      config: { action: 'vpcep:endpoints:get' },
      schema: { tags, summary: 'Show a VPC endpoint', params: EndpointParams, response: one },
    },
    async (request, reply) =>
      sentOnce(reply, await showEndpoint(deps, ctxOf(request), request.params.vpc_endpoint_id)),
  );

  app.get(
    '/v1/:project_id/vpc-endpoints/:vpc_endpoint_id/traffic',
    {
      config: { action: 'vpcep:endpoints:get' },
      schema: {
        tags,
        summary: "This node's traffic counters of a VPC endpoint (a vpcep extension)",
        description:
          'Not part of the cloud API. Counts since this node started forwarding the endpoint; ' +
          '`dataplane: false` and `traffic: null` on a node that does not forward.',
        params: EndpointParams,
        response: { 200: EndpointTrafficView },
      },
    },
    async (request, reply) => {
      // Live figures: no cache may answer a later poll with an old count.
      reply.header('cache-control', 'no-store');
      return endpointTraffic(deps, ctxOf(request), request.params.vpc_endpoint_id);
    },
  );

  app.put(
    '/v1/:project_id/vpc-endpoints/:vpc_endpoint_id',
    {
      config: { action: 'vpcep:endpoints:update' },
      schema: {
        tags,
        summary: "Update a VPC endpoint's IP whitelist",
        params: EndpointParams,
        body: UpdateEndpointBody,
        response: one,
      },
    },
    async (request) =>
      updateEndpointWhitelist(deps, ctxOf(request), request.params.vpc_endpoint_id, request.body),
  );

  app.delete(
    '/v1/:project_id/vpc-endpoints/:vpc_endpoint_id',
    {
      config: { action: 'vpcep:endpoints:delete' },
      schema: {
        tags,
        summary: 'Delete a VPC endpoint (asynchronous: deleting, then 404)',
        params: EndpointParams,
        response: noContent,
      },
    },
    async (request, reply) => {
      await deleteEndpoint(deps, ctxOf(request), request.params.vpc_endpoint_id);
      return reply.code(204).send(null);
    },
  );

  app.put(
    '/v1/:project_id/vpc-endpoints/:vpc_endpoint_id/routetables',
    {
      config: { action: 'vpcep:epRouters:update' },
      schema: {
        tags,
        summary: 'Replace the route tables of a gateway VPC endpoint',
        params: EndpointParams,
        body: RoutetablesBody,
        response: { 200: RoutetablesResult },
      },
    },
    async (request) => updateRoutetables(deps, ctxOf(request), request.params.vpc_endpoint_id, request.body),
  );

  app.put(
    '/v1/:project_id/vpc-endpoints/:vpc_endpoint_id/policy',
    {
      config: { action: 'vpcep:endpoints:update' },
      schema: {
        tags,
        summary: 'Set the policy of a VPC endpoint',
        params: EndpointParams,
        body: PolicyBody,
        response: one,
      },
    },
    async (request) => updatePolicy(deps, ctxOf(request), request.params.vpc_endpoint_id, request.body),
  );

  // api-surface §3.3 (28): this DELETE answers the endpoint object with 200,
  // unlike every other DELETE (decision #1's 204). The SDK models a response
  // body here, and a 204 would hand its callers an empty object.
  app.delete(
    '/v1/:project_id/vpc-endpoints/:vpc_endpoint_id/policy',
    {
      config: { action: 'vpcep:endpoints:delete' },
      schema: { tags, summary: 'Remove the policy of a VPC endpoint', params: EndpointParams, response: one },
    },
    async (request) => deletePolicy(deps, ctxOf(request), request.params.vpc_endpoint_id),
  );

  app.post(
    '/v2/:project_id/vpc-endpoints/:vpc_endpoint_id/upgrade',
    {
      config: { action: 'vpcep:endpoints:update' },
      schema: {
        tags,
        summary: 'Upgrade a VPC endpoint to the professional edition',
        params: EndpointParams,
        body: UpgradeBody,
        // No body: Type.Null() would have fastify serialise `null`.
        response: { 202: Type.Unsafe<undefined>({ type: 'null', description: 'accepted, no body' }) },
      },
    },
    async (request, reply) => {
      await upgradeEndpoint(deps, ctxOf(request), request.params.vpc_endpoint_id, request.body);
      return reply.code(202).send(undefined);
    },
  );
}
