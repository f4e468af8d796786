import type { FastifyInstance } from 'fastify';
import { ApiError, errorBody } from '../errors/api-error.ts';
import type { Readiness } from '../health/readiness.ts';

// The operator's probes, public (no credentials) and cheap: /healthz says the
// process answers HTTP and touches nothing; /readyz runs the node's readiness
// checks (health/checks.ts), at most once a second whatever the request rate.
// Neither says anything about tenants. Not ready is 503 VPCEP.0503 in the
// catalog's shape, whose message names the failing checks; the body also lists
// every check, as the 200 answer does.

const probe = { config: { public: true }, schema: { hide: true } } as const;

export function registerHealthRoutes(app: FastifyInstance, readiness: Readiness): void {
  app.get('/healthz', probe, async (_request, reply) => {
    void reply.header('cache-control', 'no-store');
    return { status: 'ok' };
  });

  app.get('/readyz', probe, async (request, reply) => {
    const report = await readiness.report();
    void reply.header('cache-control', 'no-store');
    if (report.ready) return { status: 'ready', checks: report.checks };
    const failing = report.checks.filter((c) => c.state !== 'ready').map((c) => `${c.name} (${c.reason})`);
    const err = new ApiError('VPCEP.0503', `The server is not ready: ${failing.join(', ')}.`);
    return reply
      .code(err.status)
      .header('content-type', 'application/json;charset=UTF-8')
      .header('x-request-id', request.id)
      .send({ ...errorBody(err, request.id), checks: report.checks });
  });
}
