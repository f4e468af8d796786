import type { FastifyInstance } from 'fastify';
import type { Authenticator } from '../auth/authenticator.ts';
import type { Authorizer } from '../auth/authorizer.ts';
import { isAction, isGlobalAction, type Action } from '../auth/policy/actions.ts';
import type { Principal } from '../context/request-context.ts';
import { apiError } from '../errors/api-error.ts';
import { readGetBody } from './body-plugin.ts';
import { urlTextProblem } from './storable-text.ts';

/**
 * Refuses to register a route that says nothing about who may call it: each
 * is public, open to any authenticated caller, or names the IAM action it needs.
 */
function checkDeclared(route: { method: string | string[]; url: string; config?: object }): void {
  const config = (route.config ?? {}) as { public?: boolean; action?: string; anyCaller?: boolean };
  const declared = [config.public === true, config.action !== undefined, config.anyCaller === true];
  const where = `${String(route.method)} ${route.url}`;
  if (declared.filter(Boolean).length !== 1) {
    throw new Error(
      `route ${where} must declare exactly one of config.public, config.action, config.anyCaller`,
    );
  }
  if (config.action !== undefined && !isAction(config.action)) {
    throw new Error(`route ${where} names an unknown IAM action '${config.action}'`);
  }
}

/** /docs (Swagger UI) and /console (the web console, docs/console.md). */
function isStaticPage(url: string): boolean {
  return /^\/(docs|console)(\/|$)/.test(url);
}

/** The error of a refused action: VPCEP's code for project services, IAM's for IAM. */
function denied(action: Action) {
  return isGlobalAction(action)
    ? apiError('IAM.0003', `Policy doesn't allow ${action} to be performed.`)
    : apiError(
        'EndPoint.0004',
        `Authentication information is incorrect or you have no permissions: ${action} is not allowed.`,
      );
}

/**
 * Authenticates every non-public route before validation, so an anonymous
 * caller gets 401 whatever its URL or body looks like, binds the request to the
 * project its path names, then checks the route's IAM action against what the
 * caller may do there. Public routes report a bad URL or body at once.
 */
export function installAuthentication(
  app: FastifyInstance,
  authenticator: Authenticator,
  authorizer: Authorizer,
  bodyLimit: number,
): void {
  const authorize = async (principal: Principal, projectId: string | null, action: Action) => {
    const set =
      authorizer.cached(principal.userId, projectId) ??
      (await authorizer.permissionSet(principal.domainId, principal.userId, projectId));
    // The user was deleted after it authenticated (a cached key or token).
    if (!set) throw apiError('EndPoint.0003');
    if (!set.allows(action)) throw denied(action);
  };

  app.addHook('onRoute', (route) => {
    // The documentation pages and the console's static files are registered by
    // plugins that know nothing of our route config; they are public like the
    // OpenAPI document they render: they hold no data, and every API call the
    // console makes is authenticated.
    if (isStaticPage(route.url)) route.config = { ...route.config, public: true };
    checkDeclared(route);
  });
  app.addHook('preValidation', async (request, reply) => {
    const urlError = urlTextProblem(request.raw.url ?? '');
    const config = request.routeOptions.config;
    if (request.is404 || config.public === true) {
      const early = urlError ?? request.bodyError;
      if (early) throw early;
      return;
    }
    if (request.method === 'GET' || request.method === 'HEAD') {
      try {
        request.rawBody = await readGetBody(request.raw, bodyLimit);
      } catch (err) {
        // The rest of the body is unread: the connection cannot carry another request.
        void reply.header('connection', 'close');
        throw err;
      }
    }
    const principal = await authenticator.authenticate({
      method: request.method,
      rawUrl: request.raw.url ?? request.url,
      headers: request.headers,
      body: request.rawBody,
    });
    // Path ids reach the store from here on (the project look-up): a string it
    // cannot hold stops here, after authentication like every parameter error.
    if (urlError) throw urlError;
    const action = config.action;
    // IAM is global: a project in an IAM path is the target of a grant, not where
    // the caller acts, and its handler checks it.
    const projectScoped = action !== undefined && !isGlobalAction(action);
    const params = request.params as Record<string, string | undefined> | undefined;
    const pathProject = params?.project_id;
    const projectId =
      projectScoped && pathProject !== undefined
        ? await authenticator.resolveProject(principal, pathProject, request.headers)
        : (principal.scopeProjectId ?? '');
    request.ctx = { requestId: request.id, principal, projectId, log: request.log };
    if (action !== undefined) {
      const self = config.self !== undefined && (await config.self(request, principal));
      if (!self) await authorize(principal, projectScoped ? projectId : null, action);
    }
    if (request.bodyError) throw request.bodyError;
  });
}
