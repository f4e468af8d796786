import type { Server } from 'node:http';
import type { FastifyHttpOptions } from 'fastify';
import type { TlsFiles } from '../config/tls-files.ts';
import { transportOptions } from './transport.ts';

/**
 * The transport options of a listener, over HTTPS when `tls` is given: Node's
 * HTTPS server takes the HTTP server's options (timeouts, the Host rule) beside
 * the certificate and key.
 */
export function listenerOptions(tls: TlsFiles | undefined): ReturnType<typeof transportOptions> {
  const options = transportOptions();
  if (tls === undefined) return options;
  const { http, ...rest } = options;
  // fastify's types tie the server type to the literal options; an https.Server answers
  // requests with the same objects, and nothing here uses what only one of them has.
  return { ...rest, https: { ...http, cert: tls.cert, key: tls.key } } as Pick<
    FastifyHttpOptions<Server>,
    keyof ReturnType<typeof transportOptions>
  >;
}
