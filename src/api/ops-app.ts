import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { TlsFiles } from '../config/tls-files.ts';
import { requestId } from '../context/ids.ts';
import type { Readiness } from '../health/readiness.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { installErrorHandling } from './errors-plugin.ts';
import { registerHealthRoutes } from './health-routes.ts';
import { listenerOptions } from './listener-options.ts';
import { installRequestLog, requestLogOptions } from './request-log.ts';
import { installTransportErrors } from './transport.ts';

// The small HTTP server of the operator's endpoints, /metrics, /healthz and
// /readyz: the listener of `metrics.listen`, and the only server of a node
// without the API role. Errors have the catalog's shape, as on the API.

export interface OpsAppOptions {
  logger: FastifyServerOptions['logger'];
  metrics: Metrics;
  readiness: Readiness;
  /** Count this server's requests in the metrics (a node without the API). */
  instrument: boolean;
  tls?: TlsFiles | undefined;
}

export function buildOpsApp(opts: OpsAppOptions): FastifyInstance {
  const app = Fastify({
    logger: opts.logger ?? false,
    genReqId: () => requestId(),
    requestIdHeader: false,
    ...requestLogOptions(),
    ...listenerOptions(opts.tls),
  });
  installRequestLog(app);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  installErrorHandling(app);
  installTransportErrors(app);
  if (opts.instrument) opts.metrics.instrument(app);
  opts.metrics.serve(app);
  registerHealthRoutes(app, opts.readiness);
  return app;
}
