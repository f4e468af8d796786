import type { IncomingHttpHeaders } from 'node:http';
import { apiError } from '../errors/api-error.ts';
import type { Clock } from '../context/clock.ts';
import type { Principal } from '../context/request-context.ts';
import type { AccessKeyRecord, IdentityRepository, ProjectRow } from '../identity/repository.ts';
import { LookupCache } from './bounded-cache.ts';
import { parseAuthorization, verifySignature, type SignedRequest } from './signature.ts';
import type { TokenCodec } from './tokens.ts';

export interface AuthenticatorOptions {
  maxSkewMs: number;
  /** How long a looked-up key or project may be reused without asking the store again. */
  cacheTtlMs?: number;
  /** Ceiling on the hits, and apart on the misses, each cache keeps. */
  cacheMax?: number;
}

const unauthenticated = () => apiError('EndPoint.0003');

/**
 * What a project id can look like (ours are 32 hex digits). Anything else is
 * refused before it reaches the store or the look-up cache: it may come from an
 * unsigned X-Project-Id header.
 */
const PROJECT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Turns a request's credentials (X-Auth-Token, or an SDK-HMAC-SHA256 /
 * V11-HMAC-SHA256 signature) into a Principal, and checks that a project named
 * by the path belongs to it. Failures never say which part was wrong, and
 * secrets never reach a log or an error message.
 */
export class Authenticator {
  private readonly keys: LookupCache<AccessKeyRecord>;
  private readonly projects: LookupCache<ProjectRow>;
  private readonly users: LookupCache<Omit<Principal, 'scopeProjectId' | 'method'>>;

  constructor(
    private readonly repo: IdentityRepository,
    private readonly tokens: TokenCodec,
    private readonly clock: Clock,
    private readonly opts: AuthenticatorOptions,
  ) {
    const ttl = opts.cacheTtlMs ?? 5000;
    this.keys = new LookupCache(ttl, opts.cacheMax);
    this.projects = new LookupCache(ttl, opts.cacheMax);
    this.users = new LookupCache(ttl, opts.cacheMax);
  }

  async authenticate(req: SignedRequest): Promise<Principal> {
    const token = single(req.headers, 'x-auth-token');
    if (token !== undefined) return this.fromToken(token);
    const auth = parseAuthorization(single(req.headers, 'authorization'));
    if (!auth) throw unauthenticated();
    const key = await this.accessKey(auth.accessKey);
    // An inactive key, or any key of a disabled user, is refused like an unknown one.
    if (!key || key.status !== 'active' || key.userEnabled !== 1) throw unauthenticated();
    const result = verifySignature(req, auth, key.sk, {
      now: this.clock.now(),
      maxSkewMs: this.opts.maxSkewMs,
    });
    if (!result.ok) throw unauthenticated();
    return {
      userId: key.userId,
      userName: key.userName,
      domainId: key.domainId,
      domainName: key.domainName,
      scopeProjectId: null,
      method: 'aksk',
    };
  }

  /**
   * The project a request acts in. The path's project must belong to the caller's
   * account, match a token's scope, and match an X-Project-Id header if sent.
   * The Go clients add X-Project-Id after signing, so the header proves nothing:
   * it can only narrow a request, never choose a project the path does not name.
   */
  async resolveProject(
    principal: Principal,
    pathProjectId: string,
    headers: IncomingHttpHeaders,
  ): Promise<string> {
    const denied = () => apiError('EndPoint.0004');
    if (!PROJECT_ID.test(pathProjectId)) throw denied();
    if (principal.scopeProjectId !== null && principal.scopeProjectId !== pathProjectId) throw denied();
    const headerProject = projectHeader(headers);
    if (headerProject !== undefined && headerProject !== pathProjectId) throw denied();
    const project = await this.project(pathProjectId);
    if (!project || project.domain_id !== principal.domainId) throw denied();
    return project.id;
  }

  /**
   * The project a request without one in its path is about (the service
   * catalog): a token's scope, else the X-Project-Id header, which must name a
   * project of the caller's account; null when neither says.
   */
  async headerProject(principal: Principal, headers: IncomingHttpHeaders): Promise<string | null> {
    const named = projectHeader(headers) ?? principal.scopeProjectId;
    return named === null ? null : this.resolveProject(principal, named, headers);
  }

  private async fromToken(token: string): Promise<Principal> {
    const now = this.clock.now();
    const claims = this.tokens.verify(token, now);
    if (!claims) throw unauthenticated();
    // The token proves who signed in; the user must still exist and be enabled (a
    // deleted or disabled user's tokens stop working once the caches forget it).
    const user = await this.users.through(claims.u, now, async () => {
      const row = await this.repo.findUserById(claims.u);
      const domain = row ? await this.repo.findDomainById(row.domain_id) : undefined;
      return row && domain && row.enabled === 1
        ? { userId: row.id, userName: row.name, domainId: domain.id, domainName: domain.name }
        : undefined;
    });
    if (!user || user.domainId !== claims.d) throw unauthenticated();
    return { ...user, scopeProjectId: claims.p, method: 'token' };
  }

  /**
   * Forgets every looked-up key, user and project: an IAM change (a key deleted or
   * made inactive, a user disabled or deleted) takes effect on the next request.
   */
  invalidate(): void {
    this.keys.clear();
    this.users.clear();
    this.projects.clear();
  }

  private accessKey(ak: string): Promise<AccessKeyRecord | undefined> {
    return this.keys.through(ak, this.clock.now(), () => this.repo.findAccessKey(ak));
  }

  private project(id: string): Promise<ProjectRow | undefined> {
    return this.projects.through(id, this.clock.now(), () => this.repo.findProject(id));
  }
}

function single(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function projectHeader(headers: IncomingHttpHeaders): string | undefined {
  return single(headers, 'x-project-id');
}
