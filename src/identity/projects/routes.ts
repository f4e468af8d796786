import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { App } from '../../api/types.ts';
import { ctxOf } from '../../api/types.ts';
import type { IdentityRepository, ProjectRow } from '../repository.ts';
import { requestBaseUrl } from '../../api/base-url.ts';

// The project and account look-ups behind the SDKs' `withRegion(...)` and the
// Terraform providers' start-up. They show callers only their own account, so
// any authenticated caller may use them, as every SDK user must.

const baseUrl = requestBaseUrl;

function projectBody(request: FastifyRequest, p: ProjectRow) {
  return {
    id: p.id,
    name: p.name,
    domain_id: p.domain_id,
    parent_id: p.domain_id,
    is_domain: false,
    enabled: true,
    description: '',
    links: { self: `${baseUrl(request)}/v3/projects/${p.id}` },
  };
}

function projectsBody(request: FastifyRequest, projects: ProjectRow[], path: string) {
  return {
    links: { self: `${baseUrl(request)}${path}`, previous: null, next: null },
    projects: projects.map((p) => projectBody(request, p)),
  };
}

const ProjectsQuery = Type.Object({
  name: Type.Optional(Type.String({ maxLength: 64 })),
  domain_id: Type.Optional(Type.String({ maxLength: 64 })),
  enabled: Type.Optional(Type.Boolean()),
  page: Type.Optional(Type.Integer({ minimum: 1 })),
  per_page: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })),
});

export function registerProjectRoutes(app: App, identity: IdentityRepository): void {
  app.get(
    '/v3/projects',
    {
      config: { anyCaller: true },
      schema: { tags: ['iam'], summary: 'List projects of the caller', querystring: ProjectsQuery },
    },
    async (request) => {
      const { principal } = ctxOf(request);
      if (request.query.domain_id !== undefined && request.query.domain_id !== principal.domainId) {
        return projectsBody(request, [], '/v3/projects');
      }
      const projects = await identity.listProjects(principal.domainId, request.query.name);
      return projectsBody(request, projects, '/v3/projects');
    },
  );

  app.get(
    '/v3/auth/projects',
    { config: { anyCaller: true }, schema: { tags: ['iam'], summary: 'List projects the caller can use' } },
    async (request) => {
      const { principal } = ctxOf(request);
      return projectsBody(request, await identity.listProjects(principal.domainId), '/v3/auth/projects');
    },
  );

  app.get(
    '/v3/auth/domains',
    { config: { anyCaller: true }, schema: { tags: ['iam'], summary: "List the caller's account" } },
    async (request) => {
      const { principal } = ctxOf(request);
      return {
        links: { self: `${baseUrl(request)}/v3/auth/domains`, previous: null, next: null },
        domains: [
          {
            id: principal.domainId,
            name: principal.domainName,
            enabled: true,
            description: '',
            links: { self: `${baseUrl(request)}/v3/domains/${principal.domainId}` },
          },
        ],
      };
    },
  );
}
