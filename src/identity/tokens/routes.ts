import { Type } from 'typebox';
import type { App } from '../../api/types.ts';
import type { LoginThrottle } from '../../auth/login-throttle.ts';
import { formatKeystoneTime } from '../../context/clock.ts';
import { serviceCatalog } from '../catalog/catalog.ts';
import { loginWithPassword } from '../login.ts';
import { loadPermissions } from '../permissions.ts';
import type { IdentityRepository } from '../repository.ts';
import type { TokenCodec } from '../../auth/tokens.ts';
import { requestBaseUrl } from '../../api/base-url.ts';
import type { IdentityDeps } from '../shared/deps.ts';
import { PRIVATE } from '../shared/views.ts';
import { TokenRequest, toLogin } from './schemas.ts';

// POST /v3/auth/tokens, Keystone's password method: the one public IAM call.

export interface TokenDeps extends IdentityDeps {
  identity: IdentityRepository;
  tokens: TokenCodec;
}

export function registerTokenRoutes(app: App, deps: TokenDeps, throttle: LoginThrottle): void {
  const { identity, tokens, clock, config } = deps;
  const baseUrl = requestBaseUrl;
  const login = { repo: identity, tokens, clock, ttlSeconds: config.token_ttl_seconds, throttle };

  app.post(
    '/v3/auth/tokens',
    {
      config: { public: true },
      schema: {
        tags: ['iam'],
        summary: 'Obtain a user token (password method)',
        querystring: Type.Object({ nocatalog: Type.Optional(Type.String()) }),
        body: TokenRequest,
      },
    },
    async (request, reply) => {
      // Checked before the password, so a refused Host never costs a login attempt.
      const base = baseUrl(request);
      // The socket's peer: X-Forwarded-For is the client's to write, so it is not believed.
      const issued = await loginWithPassword(
        login,
        toLogin(request.body),
        request.socket.remoteAddress ?? '',
      );
      const domainRef = { id: issued.domain.id, name: issued.domain.name };
      // What the token's scope grants, as IAM lists it in the token (informative only:
      // every request is checked against the current grants, not against this list).
      const granted = await loadPermissions(
        deps.db,
        issued.domain.id,
        issued.user.id,
        issued.project?.id ?? null,
      );
      const catalog =
        request.query.nocatalog === 'true'
          ? undefined
          : serviceCatalog(base, config.region, issued.project?.id ?? null);
      const token = {
        expires_at: formatKeystoneTime(issued.expiresAt),
        issued_at: formatKeystoneTime(issued.issuedAt),
        methods: ['password'],
        ...(catalog ? { catalog } : {}),
        domain: domainRef,
        ...(issued.project
          ? { project: { id: issued.project.id, name: issued.project.name, domain: domainRef } }
          : {}),
        roles: granted?.roles ?? [],
        user: {
          id: issued.user.id,
          name: issued.user.name,
          password_expires_at: '',
          domain: domainRef,
        },
      };
      return reply
        .code(201)
        .header('x-subject-token', issued.token)
        .header('cache-control', PRIVATE)
        .send({ token });
    },
  );
}
