import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiError } from '../errors/api-error.ts';
import type { RequestContext } from '../context/request-context.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The body bytes exactly as received: what a request signature covers. */
    rawBody: Buffer | undefined;
    /** A body that could not be parsed; reported after authentication, not before. */
    bodyError: ApiError | undefined;
    /** Set by the authentication hook on every non-public route. */
    ctx: RequestContext | undefined;
  }
  interface FastifyContextConfig {
    /** Served without credentials (versions, token issuing, docs). */
    public?: boolean;
    /** The IAM action a route performs (`service:resource:verb`), for authorization. */
    action?: string;
  }
}

export type App = FastifyInstance<
  Server,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** The context of an authenticated request; route handlers of non-public routes only. */
export function ctxOf(request: FastifyRequest): RequestContext {
  if (!request.ctx) throw new Error('route is not behind authentication');
  return request.ctx;
}
