import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { ICON_SVG } from './brand.ts';

// The web console at /console: the files `npm ci` (scripts/build-console.js)
// bundled into dist/console/, served by @fastify/static under a strict policy.
// The page and its scripts come from this server only, call this server only,
// and cannot be framed (docs/console.md).

/** dist/console of the package, both from src/api (run from sources) and from dist/api (built). */
export const CONSOLE_ROOT = fileURLToPath(new URL('../../dist/console/', import.meta.url));

/** No inline script or style, nothing from another origin, no framing, no form posted anywhere. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

/** Assets carry their content hash in their name: a changed file is a new URL. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

export interface ConsoleOptions {
  region: string;
  /** The built console (default CONSOLE_ROOT). */
  root?: string;
}

/** Registers /console when the build is present; logs why not otherwise. */
export async function installConsole(app: FastifyInstance, opts: ConsoleOptions): Promise<void> {
  const root = opts.root ?? CONSOLE_ROOT;
  if (!existsSync(`${root}/index.html`)) {
    app.log.warn({ root }, 'the web console is not built (npm run build); /console is not served');
    return;
  }
  await app.register(async (scope) => {
    // Public like /docs (the authentication plugin says so for every /console route).
    scope.addHook('onRoute', (route) => {
      route.schema = { ...route.schema, hide: true };
    });
    scope.addHook('onSend', async (_request, reply) => {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
    });
    await scope.register(fastifyStatic, {
      root,
      prefix: '/console/assets/',
      serve: false,
      decorateReply: true,
    });
    await scope.register(fastifyStatic, {
      root: `${root}/assets`,
      prefix: '/console/assets/',
      decorateReply: false,
      index: false,
      dotfiles: 'deny',
      preCompressed: true,
      cacheControl: false,
      setHeaders: (reply) => {
        reply.header('cache-control', IMMUTABLE);
      },
    });
    // The page itself is never cached, so a new build's asset names reach the browser at once.
    scope.get('/console', async (_request, reply) =>
      reply.header('cache-control', 'no-store').sendFile('index.html', root, { cacheControl: false }),
    );
    scope.get('/console/settings.json', async (_request, reply) =>
      reply.header('cache-control', 'no-cache').send({ region: opts.region }),
    );
    scope.get('/console/favicon.svg', async (_request, reply) =>
      reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(ICON_SVG),
    );
  });
}
