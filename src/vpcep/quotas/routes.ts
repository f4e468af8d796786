import { Type, type Static } from 'typebox';
import { ctxOf, type App } from '../../api/types.ts';
import type { VpcepDeps } from '../deps.ts';
import { quotaOf, usageOf, type QuotaType } from '../shared/usage.ts';

// GET /v1/{project_id}/quotas[?type=endpoint_service|endpoint] (seed 004 §4.4.1).
// `used` is the project's usage counter, the same one quota checks take units
// from, so the answer agrees with what the next create will be told; `quota` is
// the operator's per-project override or the configured default (decision #16).
// An unknown type fails schema validation: 400 EndPoint.0002.

const QuotaQuery = Type.Object({
  type: Type.Optional(Type.Union([Type.Literal('endpoint_service'), Type.Literal('endpoint')])),
});
type QuotaQuery = Static<typeof QuotaQuery>;

const QuotaResponse = Type.Object({
  quotas: Type.Object({
    resources: Type.Array(Type.Object({ type: Type.String(), used: Type.Integer(), quota: Type.Integer() })),
  }),
});

/** The order of the reference's example: endpoints first. */
const ALL_TYPES: readonly QuotaType[] = ['endpoint', 'endpoint_service'];

export function registerQuotaRoutes(app: App, deps: VpcepDeps): void {
  app.get(
    '/v1/:project_id/quotas',
    {
      config: { action: 'vpcep:quotas:get' },
      schema: {
        tags: ['quotas'],
        summary: 'Show the quotas of VPC endpoint services and VPC endpoints',
        params: Type.Object({ project_id: Type.String({ maxLength: 64 }) }),
        querystring: QuotaQuery,
        response: { 200: QuotaResponse },
      },
    },
    async (request) => {
      const { projectId } = ctxOf(request);
      const query: QuotaQuery = request.query;
      const types = query.type ? [query.type] : ALL_TYPES;
      const resources = await Promise.all(
        types.map(async (type) => {
          const [used, quota] = await Promise.all([
            usageOf(deps.db, projectId, type),
            quotaOf(deps.db, projectId, type, deps.config.quotas),
          ]);
          return { type, used, quota };
        }),
      );
      return { quotas: { resources } };
    },
  );
}
