import { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { loggableUrl } from '../logging/logger-options.ts';

// One log line per request, written when the response has gone out: at `info`
// for the API (so `warn` and above leave request lines out), at `debug` for the
// probes and scrapes that arrive every few seconds. fastify's own two lines per
// request are switched off (requestLogOptions()). Query values never reach the
// log, only the parameter names: a query may carry anything a client puts
// there. From `debug` on, the line also carries the request's and the
// response's headers (what a signature mismatch is debugged with), which pass
// the same scrubber as every line (logging/logger-options.ts).

/** Probes and scrapes: logged at `debug`. */
const QUIET_ROUTES: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);
/** pino's level numbers, to ask whether a level is on without pino's extra types. */
const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

/**
 * fastify's own request lines ("incoming request", "request completed") made
 * silent; its other lines, a response stream that failed among them, stay.
 */
class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
    metadata?: Record<string, unknown>,
  ): void {
    if (error) super.requestCompleted(error, request, reply, metadata);
  }
}

/** The fastify options that go with installRequestLog(). */
export function requestLogOptions(): { logController: LogController } {
  return { logController: new OneLinePerRequest() };
}

function enabled(request: FastifyRequest, level: string): boolean {
  const current = LEVELS[request.log.level] ?? Infinity;
  return current <= (LEVELS[level] ?? 0);
}

function requestLine(request: FastifyRequest, reply: FastifyReply): Record<string, unknown> {
  const route = request.is404 ? undefined : request.routeOptions.url;
  const account = request.ctx?.principal.domainId;
  return {
    method: request.method,
    ...loggableUrl(request.raw.url ?? request.url),
    ...(route !== undefined ? { route } : {}),
    status: reply.statusCode,
    ms: Math.round(reply.elapsedTime * 10) / 10,
    ip: request.ip,
    ...(account !== undefined ? { account } : {}),
  };
}

/** Logs each request of `app` once, when its response has been sent. */
export function installRequestLog(app: FastifyInstance): void {
  // A callback hook, not an async one: no promise and no extra microtask per request.
  app.addHook('onResponse', (request, reply, done) => {
    logRequest(request, reply);
    done();
  });
}

function logRequest(request: FastifyRequest, reply: FastifyReply): void {
  const level = QUIET_ROUTES.has(request.routeOptions.url ?? '') ? 'debug' : 'info';
  if (!enabled(request, level)) return;
  const line = requestLine(request, reply);
  if (enabled(request, 'debug')) {
    line.req_headers = request.headers;
    line.res_headers = reply.getHeaders();
  }
  request.log[level](line, 'request');
}
