import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, errorBody } from '../errors/api-error.ts';
import type { ErrorCode } from '../errors/catalog.ts';
import { describeAjvError } from '../schema/ajv.ts';
import { isStoreBusy } from '../store/open.ts';

// Query parameters whose bad values have their own code in the reference;
// everything else that fails validation is EndPoint.0002.
const QUERY_CODES: Record<string, ErrorCode> = {
  limit: 'EndPoint.0006',
  offset: 'EndPoint.0010',
  sort_key: 'EndPoint.0017',
  sort_dir: 'EndPoint.0018',
  status: 'EndPoint.0019',
  marker_id: 'EndPoint.0021',
  vpc_id: 'EndPoint.0020',
  subnet_id: 'EndPoint.0023',
};

function fromValidation(err: FastifyError): ApiError {
  const first = err.validation?.[0];
  const part = err.validationContext ?? 'body';
  if (first && part === 'querystring') {
    const param =
      first.instancePath.split('/')[1] ??
      String((first.params as { missingProperty?: string }).missingProperty ?? '');
    const code = QUERY_CODES[param];
    if (code) return new ApiError(code, `Invalid ${param}: ${first.message ?? 'bad value'}.`);
  }
  const detail = first ? describeAjvError(first, part) : err.message;
  return new ApiError('EndPoint.0002', `Parameter error: ${detail}.`);
}

/** Maps anything thrown while serving a request onto the catalog; nothing internal leaks. */
export function toApiError(err: unknown, log: FastifyRequest['log']): ApiError {
  if (err instanceof ApiError) return err;
  const fe = err as FastifyError;
  if (fe && Array.isArray(fe.validation)) return fromValidation(fe);
  switch (fe?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('EndPoint.0002', 'Parameter error: the request body is too large.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ApiError('EndPoint.0002', `Parameter error: ${fe.message}.`);
    default:
      break;
  }
  if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new ApiError('EndPoint.0002', 'Parameter error.');
  }
  if (isStoreBusy(err)) {
    // Another writer held a lock past the wait (SQLite's busy timeout, PostgreSQL's
    // lock or statement timeout): nothing was written, and a retry will do. The
    // driver's text stays in the log.
    log.warn({ err }, 'store busy: a lock was held past the wait');
    return new ApiError('VPCEP.0503', 'The database is busy (another process is writing). Please retry.');
  }
  log.error({ err }, 'internal error');
  return new ApiError('EndPoint.0001');
}

export function sendError(reply: FastifyReply, err: ApiError): FastifyReply {
  // X-Request-Id here too: replies made outside a route (router errors) skip the onSend hook.
  return reply
    .code(err.status)
    .header('content-type', 'application/json;charset=UTF-8')
    .header('x-request-id', reply.request.id)
    .send(errorBody(err, reply.request.id));
}

/** Collects route patterns so an unknown method on a known path answers 405, not 404. */
export function installErrorHandling(app: FastifyInstance): void {
  const patterns: { method: string; re: RegExp }[] = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const source = route.url
      .split('/')
      .map((seg) =>
        seg.startsWith(':') ? '[^/]+' : seg === '*' ? '.*' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
      )
      .join('/');
    const re = new RegExp(`^${source}/?$`);
    for (const m of methods) patterns.push({ method: m, re });
  });

  app.setErrorHandler((err, request, reply) => sendError(reply, toApiError(err, request.log)));

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const known = patterns.some((p) => p.re.test(path));
    return sendError(
      reply,
      known
        ? new ApiError('EndPoint.0008')
        : new ApiError('EndPoint.0005', 'The requested resource is unavailable.'),
    );
  });
}
