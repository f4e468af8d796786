import { Type, type Static } from 'typebox';
import type { FastifyRequest } from 'fastify';
import { LoginThrottle } from '../../auth/login-throttle.ts';
import { formatKeystoneTime } from '../../context/clock.ts';
import { apiError } from '../../errors/api-error.ts';
import { loginWithPassword, type PasswordLogin } from '../../identity/login.ts';
import type { ProjectRow } from '../../identity/repository.ts';
import type { AppServices } from '../app.ts';
import { ctxOf, type App } from '../types.ts';
import { requestBaseUrl, serviceCatalog } from './catalog.ts';

// The IAM (Keystone v3) subset the SDKs, the Terraform providers and IAM clients
// call: password tokens, the service catalog, and the project and account
// look-ups behind `withRegion(...)` and provider start-up.

const Named = Type.Object(
  { id: Type.Optional(Type.String({ maxLength: 64 })), name: Type.Optional(Type.String({ maxLength: 64 })) },
  { additionalProperties: false },
);

const TokenRequest = Type.Object(
  {
    auth: Type.Object(
      {
        identity: Type.Object(
          {
            methods: Type.Array(Type.String(), { minItems: 1 }),
            password: Type.Object(
              {
                user: Type.Object(
                  {
                    id: Type.Optional(Type.String({ maxLength: 64 })),
                    name: Type.Optional(Type.String({ maxLength: 64 })),
                    password: Type.String({ maxLength: 256 }),
                    domain: Type.Optional(Named),
                  },
                  { additionalProperties: false },
                ),
              },
              { additionalProperties: false },
            ),
          },
          { additionalProperties: false },
        ),
        scope: Type.Optional(
          Type.Object(
            {
              project: Type.Optional(
                Type.Object(
                  {
                    id: Type.Optional(Type.String({ maxLength: 64 })),
                    name: Type.Optional(Type.String({ maxLength: 64 })),
                    domain: Type.Optional(Named),
                  },
                  { additionalProperties: false },
                ),
              ),
              domain: Type.Optional(Named),
            },
            { additionalProperties: false },
          ),
        ),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
type TokenRequest = Static<typeof TokenRequest>;

function toLogin(body: TokenRequest): PasswordLogin {
  const { identity, scope } = body.auth;
  if (!identity.methods.includes('password')) {
    throw apiError('EndPoint.0002', 'Parameter error: only the password method is supported.');
  }
  const user = identity.password.user;
  if (user.id === undefined && (user.name === undefined || user.domain === undefined)) {
    throw apiError('EndPoint.0002', 'Parameter error: the user needs an id, or a name and a domain.');
  }
  let loginScope: PasswordLogin['scope'];
  if (scope?.project) {
    if (scope.project.id === undefined && scope.project.name === undefined) {
      throw apiError('EndPoint.0002', 'Parameter error: the project scope needs an id or a name.');
    }
    loginScope = { kind: 'project', id: scope.project.id, name: scope.project.name };
  } else if (scope?.domain) {
    loginScope = { kind: 'domain', id: scope.domain.id, name: scope.domain.name };
  }
  return {
    userId: user.id,
    userName: user.name,
    password: user.password,
    domainId: user.domain?.id,
    domainName: user.domain?.name,
    scope: loginScope,
  };
}

// Links and catalog URLs name the host the caller used (catalog.ts checks it).
const baseUrl = requestBaseUrl;

/**
 * Answers that hold a token or a catalog built from the caller's Host header
 * are for that caller only: no shared cache may keep one for another.
 */
const PRIVATE = 'no-store';

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

export function registerIdentityRoutes(app: App, services: AppServices): void {
  const { identity, tokens, clock, config, authenticator } = services;
  // One per API process: failed logins are counted in this node's memory (docs/authentication.md).
  const login = {
    repo: identity,
    tokens,
    clock,
    ttlSeconds: config.token_ttl_seconds,
    throttle: new LoginThrottle(config.login_lockout, clock),
  };

  app.post(
    '/v3/auth/tokens',
    {
      config: { public: true },
      schema: {
        tags: ['iam'],
        summary: 'Obtain a user token (password method)',
        querystring: Type.Object({ nocatalog: Type.Optional(Type.String()) }),
        body: TokenRequest,
      },
    },
    async (request, reply) => {
      // Checked before the password, so a refused Host never costs a login attempt.
      const base = baseUrl(request);
      // The socket's peer: X-Forwarded-For is the client's to write, so it is not believed.
      const issued = await loginWithPassword(
        login,
        toLogin(request.body),
        request.socket.remoteAddress ?? '',
      );
      const domainRef = { id: issued.domain.id, name: issued.domain.name };
      const catalog =
        request.query.nocatalog === 'true'
          ? undefined
          : serviceCatalog(base, config.region, issued.project?.id ?? null);
      const token = {
        expires_at: formatKeystoneTime(issued.expiresAt),
        issued_at: formatKeystoneTime(issued.issuedAt),
        methods: ['password'],
        ...(catalog ? { catalog } : {}),
        domain: domainRef,
        ...(issued.project
          ? { project: { id: issued.project.id, name: issued.project.name, domain: domainRef } }
          : {}),
        roles: [{ id: '0', name: 'te_admin' }],
        user: {
          id: issued.user.id,
          name: issued.user.name,
          password_expires_at: '',
          domain: domainRef,
        },
      };
      return reply
        .code(201)
        .header('x-subject-token', issued.token)
        .header('cache-control', PRIVATE)
        .send({ token });
    },
  );

  app.get(
    '/v3/auth/catalog',
    {
      schema: {
        tags: ['iam'],
        summary: "The service catalog of the caller's project (token scope or X-Project-Id)",
      },
    },
    async (request, reply) => {
      const { principal } = ctxOf(request);
      const projectId = await authenticator.headerProject(principal, request.headers);
      const base = baseUrl(request);
      reply.header('cache-control', PRIVATE);
      return {
        catalog: serviceCatalog(base, config.region, projectId),
        links: { self: `${base}/v3/auth/catalog`, previous: null, next: null },
      };
    },
  );

  app.get(
    '/v3/projects',
    { schema: { tags: ['iam'], summary: 'List projects of the caller', querystring: ProjectsQuery } },
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
    { schema: { tags: ['iam'], summary: 'List projects the caller can use' } },
    async (request) => {
      const { principal } = ctxOf(request);
      return projectsBody(request, await identity.listProjects(principal.domainId), '/v3/auth/projects');
    },
  );

  app.get(
    '/v3/auth/domains',
    { schema: { tags: ['iam'], summary: "List the caller's account" } },
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
