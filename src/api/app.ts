import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyServerOptions } from 'fastify';
import type { Authenticator } from '../auth/authenticator.ts';
import type { Authorizer } from '../auth/authorizer.ts';
import type { TokenCodec } from '../auth/tokens.ts';
import type { Config } from '../config/schema.ts';
import type { TlsFiles } from '../config/tls-files.ts';
import type { Clock } from '../context/clock.ts';
import { requestId } from '../context/ids.ts';
import type { Readiness } from '../health/readiness.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { IdentityRepository } from '../identity/repository.ts';
import { registerIdentityRoutes } from '../identity/routes.ts';
import { createAjv } from '../schema/ajv.ts';
import type { Store } from '../store/open.ts';
import type { VpcepDeps } from '../vpcep/deps.ts';
import { registerVpcepRoutes } from '../vpcep/routes.ts';
import { installAuthentication } from './auth-plugin.ts';
import { installBodyParsing } from './body-plugin.ts';
import { installConsole } from './console.ts';
import {
  API_DESCRIPTION,
  SIGNED_SCHEME,
  SWAGGER_UI_BRANDING,
  TOKEN_SCHEME_DESCRIPTION,
  withoutSignedScheme,
} from './docs-ui.ts';
import { installErrorHandling } from './errors-plugin.ts';
import { registerHealthRoutes } from './health-routes.ts';
import { listenerOptions } from './listener-options.ts';
import { installRequestLog, requestLogOptions } from './request-log.ts';
import { installTransportErrors } from './transport.ts';
import { registerVersionRoutes } from './routes/versions.ts';
import { registerVpcRoutes } from './routes/vpc.ts';
import type { App } from './types.ts';

export interface AppServices {
  config: Config;
  store: Store;
  clock: Clock;
  identity: IdentityRepository;
  authenticator: Authenticator;
  authorizer: Authorizer;
  tokens: TokenCodec;
  /** After a committed IAM change: drop cached permissions here and on the other nodes. */
  identityChanged(): void;
  vpcep: VpcepDeps;
}

export interface AppOptions {
  logger?: FastifyServerOptions['logger'];
  /** Counts requests and serves them on `GET /metrics`. */
  metrics?: Metrics;
  /** Answers `GET /readyz` (and `/healthz`). */
  readiness?: Readiness;
  /** Serve HTTPS with this certificate and key. */
  tls?: TlsFiles | undefined;
}

/** Builds the HTTP API. It never listens by itself: main (or a test) decides where. */
export async function buildApp(services: AppServices, opts: AppOptions = {}): Promise<App> {
  const { config } = services;
  const app = Fastify({
    logger: opts.logger ?? false,
    genReqId: () => requestId(),
    requestIdHeader: false,
    bodyLimit: config.body_limit,
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, maxParamLength: 200 },
    ...requestLogOptions(),
    ...listenerOptions(opts.tls),
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Bodies are validated without coercion (a string is not a number); query
  // strings and path parameters are text on the wire and are coerced.
  const bodyAjv = createAjv('strict', config.loose ? { removeAdditional: 'all' } : {});
  const textAjv = createAjv('coercing');
  app.setValidatorCompiler(({ schema, httpPart }) =>
    httpPart === 'body' ? bodyAjv.compile(schema) : textAjv.compile(schema),
  );

  opts.metrics?.instrument(app);
  installRequestLog(app);
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    done(null, payload);
  });

  installErrorHandling(app);
  installTransportErrors(app);
  installBodyParsing(app, config.body_limit);
  installAuthentication(app, services.authenticator, services.authorizer, config.body_limit);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'vpcep',
        description: API_DESCRIPTION,
        version: '1',
      },
      components: {
        securitySchemes: {
          token: {
            type: 'apiKey',
            in: 'header',
            name: 'X-Auth-Token',
            description: TOKEN_SCHEME_DESCRIPTION,
          },
          [SIGNED_SCHEME]: {
            type: 'apiKey',
            in: 'header',
            name: 'Authorization',
            description: 'An SDK-HMAC-SHA256 request signature, as the official SDKs make it.',
          },
        },
      },
      security: [{ token: [] }, { [SIGNED_SCHEME]: [] }],
    },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { docExpansion: 'list' },
    ...SWAGGER_UI_BRANDING,
    transformSpecification: (spec) => withoutSignedScheme(spec),
  });
  await installConsole(app, { region: config.region });
  app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());

  opts.metrics?.route(app);
  if (opts.readiness) registerHealthRoutes(app, opts.readiness);
  registerVersionRoutes(app);
  registerIdentityRoutes(
    app,
    {
      db: services.store.db,
      clock: services.clock,
      config,
      changed: () => services.identityChanged(),
      identity: services.identity,
      tokens: services.tokens,
    },
    services.authenticator,
  );
  registerVpcRoutes(app, services);
  registerVpcepRoutes(app, services.vpcep);
  return app;
}
