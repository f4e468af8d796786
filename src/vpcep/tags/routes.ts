import { apiError } from '../../errors/api-error.ts';
import { ctxOf, type App } from '../../api/types.ts';
import type { VpcepDeps } from '../deps.ts';
import type { TaggedResource } from '../shared/tags.ts';
import { queryResources } from './filter.ts';
import { changeTags, projectTags } from './operations.ts';
import { RESOURCE_TYPES } from './resources.ts';
import {
  ProjectParams,
  ProjectTags,
  ResourceList,
  ResourceParams,
  ResourceQueryBody,
  TagActionBody,
} from './schemas.ts';

// The tag APIs live at `/v1/{project_id}/{resource_type}/…`, the same depth as
// `vpc-endpoint-services` and `vpc-endpoints`. Registering the two real types
// as static segments keeps find-my-way from ever routing those paths here; a
// parametric catch-all below them answers any other type with EndPoint.3070
// (find-my-way only falls back to it when no static segment matches).

const tags = ['tags'];

export function registerTagRoutes(app: App, deps: VpcepDeps): void {
  for (const type of RESOURCE_TYPES) registerFor(app, deps, type);

  const invalidType = async () => {
    throw apiError('EndPoint.3070', "Invalid resource type: it must be 'endpoint_service' or 'endpoint'.");
  };
  // The same actions as the real types': an unknown type is no way around a refusal.
  const hidden = (action: 'vpcep:tags:update' | 'vpcep:tags:list' | 'vpcep:resource:list') => ({
    config: { action },
    schema: { hide: true },
  });
  app.post(
    '/v1/:project_id/:resource_type/:resource_id/tags/action',
    hidden('vpcep:tags:update'),
    invalidType,
  );
  app.get('/v1/:project_id/:resource_type/tags', hidden('vpcep:tags:list'), invalidType);
  app.post(
    '/v1/:project_id/:resource_type/resource_instances/action',
    hidden('vpcep:resource:list'),
    invalidType,
  );
}

function registerFor(app: App, deps: VpcepDeps, type: TaggedResource): void {
  const base = `/v1/:project_id/${type}`;

  app.post(
    `${base}/:resource_id/tags/action`,
    {
      config: { action: 'vpcep:tags:update' },
      schema: {
        tags,
        summary: `Add or remove tags of one ${type}`,
        params: ResourceParams,
        body: TagActionBody,
      },
    },
    async (request, reply) => {
      const { action } = request.body;
      if (action !== 'create' && action !== 'delete') {
        throw apiError('EndPoint.0007', "Invalid action: it must be 'create' or 'delete'.");
      }
      const ctx = ctxOf(request);
      await changeTags(
        deps,
        ctx.projectId,
        type,
        request.params.resource_id,
        action,
        request.body.tags ?? [],
      );
      // Decision #1: 204 with an empty body.
      return reply.code(204).send();
    },
  );

  app.get(
    `${base}/tags`,
    {
      config: { action: 'vpcep:tags:list' },
      schema: {
        tags,
        summary: `List the tags used on the project's ${type} resources`,
        params: ProjectParams,
        response: { 200: ProjectTags },
      },
    },
    async (request) => ({ tags: await projectTags(deps, ctxOf(request).projectId, type) }),
  );

  app.post(
    `${base}/resource_instances/action`,
    {
      config: { action: 'vpcep:resource:list' },
      schema: {
        tags,
        summary: `Filter or count the project's ${type} resources by tags`,
        params: ProjectParams,
        body: ResourceQueryBody,
        response: { 200: ResourceList },
      },
    },
    async (request) => {
      const { action } = request.body;
      if (action !== 'filter' && action !== 'count') {
        throw apiError('EndPoint.0007', "Invalid action: it must be 'filter' or 'count'.");
      }
      return queryResources(deps, ctxOf(request).projectId, type, request.body);
    },
  );
}
