import type { App } from '../../api/types.ts';
import type { VpcepDeps } from '../deps.ts';
import {
  DescribedService,
  DescribeServiceQuery,
  ListPublicServicesQuery,
  ProjectParams,
  PublicServiceList,
} from './schemas.ts';
import * as ops from './service.ts';

// Reads every tenant may make (seed 004 §4.2.10, §4.2.11): the operator's public
// services, and the basic facts of any service a consumer wants to connect to.
// These static paths sit next to the parametric `/{id}` route; the router
// prefers a static segment, so `/public` never reaches the show-service handler.

const tags = ['endpoint services'];

export function registerPublicRoutes(app: App, deps: VpcepDeps): void {
  app.get(
    '/v1/:project_id/vpc-endpoint-services/public',
    {
      config: { action: 'vpcep:pubEpservices:list' },
      schema: {
        tags,
        summary: 'List the public (operator-defined) endpoint services',
        params: ProjectParams,
        querystring: ListPublicServicesQuery,
        response: { 200: PublicServiceList },
      },
    },
    async (request) => ops.listPublicServices(deps, request.query),
  );

  app.get(
    '/v1/:project_id/vpc-endpoint-services/describe',
    {
      config: { action: 'vpcep:epserviceDesc:get' },
      schema: {
        tags,
        summary: 'Basic information about any endpoint service, by id or by full name',
        params: ProjectParams,
        querystring: DescribeServiceQuery,
        response: { 200: DescribedService },
      },
    },
    async (request) => ops.describeService(deps, request.query),
  );
}
