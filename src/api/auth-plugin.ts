import type { FastifyInstance } from 'fastify';
import type { Authenticator } from '../auth/authenticator.ts';
import { readGetBody } from './body-plugin.ts';

/**
 * Authenticates every non-public route before validation, so an anonymous
 * caller gets 401 whatever its body looks like, then binds the request to the
 * project its path names.
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
  app.addHook('preValidation', async (request) => {
    if (request.is404 || request.routeOptions.config.public === true) {
      if (request.bodyError) throw request.bodyError;
      return;
    }
    if (request.method === 'GET' || request.method === 'HEAD') {
      request.rawBody = await readGetBody(request.raw, bodyLimit);
    }
    const principal = await authenticator.authenticate({
      method: request.method,
      rawUrl: request.raw.url ?? request.url,
      headers: request.headers,
      body: request.rawBody,
    });
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
