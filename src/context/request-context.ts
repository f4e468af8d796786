import type { FastifyBaseLogger } from 'fastify';

/** Who made a request, established by the authenticator. */
export interface Principal {
  userId: string;
  userName: string;
  domainId: string;
  domainName: string;
  /** The project a token is scoped to; null for AK/SK callers and domain-scoped tokens. */
  scopeProjectId: string | null;
  method: 'token' | 'aksk';
}

/** What every domain and repository call receives first: tenancy travels with it. */
export interface RequestContext {
  requestId: string;
  principal: Principal;
  /** The caller's project the request acts in (from the path, checked against the principal). */
  projectId: string;
  log: FastifyBaseLogger;
}
