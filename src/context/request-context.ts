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
  log: RequestLog;
}

/**
 * The request's logger, as far as domain code uses it: the API hands in its
 * per-request pino child, and the domain stays free of fastify's types.
 */
export interface RequestLog {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
