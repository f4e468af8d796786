import type { IncomingHttpHeaders } from 'node:http';
import { apiError } from '../errors/api-error.ts';
import type { Clock } from '../context/clock.ts';
import type { Principal } from '../context/request-context.ts';
import type { AccessKeyRecord, IdentityRepository, ProjectRow } from '../identity/repository.ts';
import { parseAuthorization, verifySignature, type SignedRequest } from './signature.ts';
import type { TokenCodec } from './tokens.ts';

export interface AuthenticatorOptions {
  maxSkewMs: number;
  /** How long a looked-up key or project may be reused without asking the store again. */
  cacheTtlMs?: number;
}

/** A small TTL cache: AK/SK and project look-ups sit on every request's path. */
class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();
  constructor(
    private readonly ttlMs: number,
    private readonly max = 10_000,
  ) {}
  get(key: string, now: number): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.until < now) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }
  set(key: string, value: V, now: number): void {
    if (this.entries.size >= this.max) this.entries.clear();
    this.entries.set(key, { value, until: now + this.ttlMs });
  }
}

const unauthenticated = () => apiError('EndPoint.0003');

/**
 * Turns a request's credentials (X-Auth-Token, or an SDK-HMAC-SHA256 /
 * V11-HMAC-SHA256 signature) into a Principal, and checks that a project named
 * by the path belongs to it. Failures never say which part was wrong, and
 * secrets never reach a log or an error message.
 */
export class Authenticator {
  private readonly keys: TtlCache<AccessKeyRecord | null>;
  private readonly projects: TtlCache<ProjectRow | null>;
  private readonly users: TtlCache<Omit<Principal, 'scopeProjectId' | 'method'> | null>;

  constructor(
    private readonly repo: IdentityRepository,
    private readonly tokens: TokenCodec,
    private readonly clock: Clock,
    private readonly opts: AuthenticatorOptions,
  ) {
    this.keys = new TtlCache(opts.cacheTtlMs ?? 5000);
    this.projects = new TtlCache(opts.cacheTtlMs ?? 5000);
    this.users = new TtlCache(opts.cacheTtlMs ?? 5000);
  }

  async authenticate(req: SignedRequest): Promise<Principal> {
    const token = single(req.headers, 'x-auth-token');
    if (token !== undefined) return this.fromToken(token);
    const auth = parseAuthorization(single(req.headers, 'authorization'));
    if (!auth) throw unauthenticated();
    const key = await this.accessKey(auth.accessKey);
    if (!key) throw unauthenticated();
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
   */
  async resolveProject(
    principal: Principal,
    pathProjectId: string,
    headers: IncomingHttpHeaders,
  ): Promise<string> {
    const denied = () => apiError('EndPoint.0004');
    if (principal.scopeProjectId !== null && principal.scopeProjectId !== pathProjectId) throw denied();
    const headerProject = single(headers, 'x-project-id');
    if (headerProject !== undefined && headerProject !== pathProjectId) throw denied();
    const project = await this.project(pathProjectId);
    if (!project || project.domain_id !== principal.domainId) throw denied();
    return project.id;
  }

  private async fromToken(token: string): Promise<Principal> {
    const now = this.clock.now();
    const claims = this.tokens.verify(token, now);
    if (!claims) throw unauthenticated();
    // The token proves who signed in; the user must still exist (a deleted user's
    // tokens stop working within the cache lifetime).
    let user = this.users.get(claims.u, now);
    if (user === undefined) {
      const row = await this.repo.findUserById(claims.u);
      const domain = row ? await this.repo.findDomainById(row.domain_id) : undefined;
      user =
        row && domain
          ? { userId: row.id, userName: row.name, domainId: domain.id, domainName: domain.name }
          : null;
      this.users.set(claims.u, user, now);
    }
    if (!user || user.domainId !== claims.d) throw unauthenticated();
    return { ...user, scopeProjectId: claims.p, method: 'token' };
  }

  private async accessKey(ak: string): Promise<AccessKeyRecord | undefined> {
    const now = this.clock.now();
    const cached = this.keys.get(ak, now);
    if (cached !== undefined) return cached ?? undefined;
    const found = (await this.repo.findAccessKey(ak)) ?? null;
    this.keys.set(ak, found, now);
    return found ?? undefined;
  }

  private async project(id: string): Promise<ProjectRow | undefined> {
    const now = this.clock.now();
    const cached = this.projects.get(id, now);
    if (cached !== undefined) return cached ?? undefined;
    const found = (await this.repo.findProject(id)) ?? null;
    this.projects.set(id, found, now);
    return found ?? undefined;
  }
}

function single(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
