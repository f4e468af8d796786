import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import type { Action } from '../auth/policy/actions.ts';
import type { ApiError } from '../errors/api-error.ts';
import type { Principal, RequestContext } from '../context/request-context.ts';

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
    /**
     * The IAM action a caller must be allowed (docs/iam.md). Every route names one,
     * or is `public`, or `anyCaller`: a route with none fails at start-up.
     */
    action?: Action;
    /** Any authenticated caller may call it: it only shows the caller its own sign-in data. */
    anyCaller?: boolean;
    /**
     * Self-service: true when the request is about the caller itself (its own
     * user record or keys), which needs no action, as on IAM.
     */
    self?: (request: FastifyRequest, principal: Principal) => boolean | Promise<boolean>;
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
