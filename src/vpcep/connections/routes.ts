import { apiError } from '../../errors/api-error.ts';
import { ctxOf, type App } from '../../api/types.ts';
import type { VpcepDeps } from '../deps.ts';
import { actOnConnection, describeConnections, listConnections } from './operations.ts';
import {
  ConnectionActionBody,
  ConnectionDescriptionBody,
  ConnectionList,
  Connections,
  ConnectionsQuery,
  ServiceParams,
} from './schemas.ts';

// The service owner's view of who is connected: list, accept/reject, annotate.
// Every operation first proves the service is the caller's (404 EndPoint.0005
// otherwise, even when it exists in another project).

const BASE = '/v1/:project_id/vpc-endpoint-services/:vpc_endpoint_service_id/connections';
const tags = ['connections'];

export function registerConnectionRoutes(app: App, deps: VpcepDeps): void {
  app.get(
    BASE,
    {
      config: { action: 'vpcep:connections:list' },
      schema: {
        tags,
        summary: 'List the connections (endpoints) of an endpoint service',
        params: ServiceParams,
        querystring: ConnectionsQuery,
        response: { 200: ConnectionList },
      },
    },
    async (request) =>
      listConnections(deps, ctxOf(request).projectId, request.params.vpc_endpoint_service_id, request.query),
  );

  app.post(
    `${BASE}/action`,
    {
      config: { action: 'vpcep:connections:update' },
      schema: {
        tags,
        summary: 'Accept or reject one endpoint',
        params: ServiceParams,
        body: ConnectionActionBody,
        response: { 200: Connections },
      },
    },
    async (request) => {
      const { action, endpoints } = request.body;
      if (action !== 'receive' && action !== 'reject') {
        throw apiError('EndPoint.2027', "Invalid action: it must be 'receive' or 'reject'.");
      }
      if (endpoints.length !== 1) throw apiError('EndPoint.2031');
      const view = await actOnConnection(
        deps,
        ctxOf(request).projectId,
        request.params.vpc_endpoint_service_id,
        action,
        endpoints[0] as string,
      );
      return { connections: [view] };
    },
  );

  app.put(
    `${BASE}/description`,
    {
      config: { action: 'vpcep:connections:update' },
      schema: {
        tags,
        summary: "Set the owner's descriptions of connections",
        params: ServiceParams,
        body: ConnectionDescriptionBody,
        response: { 200: Connections },
      },
    },
    async (request) => ({
      connections: await describeConnections(
        deps,
        ctxOf(request).projectId,
        request.params.vpc_endpoint_service_id,
        request.body.connections,
      ),
    }),
  );
}
