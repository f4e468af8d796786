import type { App } from '../../api/types.ts';
import { ctxOf } from '../../api/types.ts';
import type { Authenticator } from '../../auth/authenticator.ts';
import type { Config } from '../../config/schema.ts';
import { requestBaseUrl } from '../../api/base-url.ts';
import { PRIVATE } from '../shared/views.ts';
import { serviceCatalog } from './catalog.ts';

/** GET /v3/auth/catalog: the caller's own sign-in data, open to any authenticated caller. */
export function registerCatalogRoutes(app: App, config: Config, authenticator: Authenticator): void {
  const baseUrl = requestBaseUrl;
  app.get(
    '/v3/auth/catalog',
    {
      config: { anyCaller: true },
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
}
