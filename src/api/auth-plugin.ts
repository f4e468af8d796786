import type { FastifyInstance } from 'fastify';
import type { Authenticator } from '../auth/authenticator.ts';
import { readGetBody } from './body-plugin.ts';
import { urlTextProblem } from './storable-text.ts';

/**
 * Authenticates every non-public route before validation, so an anonymous
 * caller gets 401 whatever its URL or body looks like, then binds the request to
 * the project its path names. Public routes report a bad URL or body at once.
 */
export function installAuthentication(
  app: FastifyInstance,
  authenticator: Authenticator,
  bodyLimit: number,
): void {
  // The documentation pages are registered by a plugin that knows nothing of our
  // route config; they are public like the OpenAPI document they render.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/docs')) route.config = { ...route.config, public: true };
  });
  app.addHook('preValidation', async (request, reply) => {
    const urlError = urlTextProblem(request.raw.url ?? '');
    if (request.is404 || request.routeOptions.config.public === true) {
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
    const params = request.params as Record<string, string | undefined> | undefined;
    const pathProject = params?.project_id;
    const projectId =
      pathProject !== undefined
        ? await authenticator.resolveProject(principal, pathProject, request.headers)
        : (principal.scopeProjectId ?? '');
    request.ctx = { requestId: request.id, principal, projectId, log: request.log };
    if (request.bodyError) throw request.bodyError;
  });
}
