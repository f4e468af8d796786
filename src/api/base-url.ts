import type { FastifyRequest } from 'fastify';
import { apiError } from '../errors/api-error.ts';

/** `host`, `host:port`, `1.2.3.4:port` or `[v6]:port`; nothing that could end or extend a URL's authority. */
const AUTHORITY =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

/**
 * The scheme and authority the caller reached us at, for links and catalog
 * URLs. It comes from the request's Host header (the caller's to choose, and
 * covered by every official AK/SK signature), so it is checked to be a plain
 * host and port: a value that would make a URL point anywhere but that host is
 * refused with 400 rather than echoed. docs/terraform.md says why echoing a
 * valid Host is safe.
 */
export function requestBaseUrl(request: FastifyRequest): string {
  // Typed as a string, but absent when an HTTP/1.0 client sends no Host.
  const host: unknown = request.host;
  const port = typeof host === 'string' ? /:(\d+)$/.exec(host)?.[1] : undefined;
  if (
    typeof host !== 'string' ||
    host.length > 260 ||
    !AUTHORITY.test(host) ||
    (port !== undefined && Number(port) > 65535)
  ) {
    throw apiError('EndPoint.0002', 'Parameter error: the Host header is not a valid host name.');
  }
  return `${request.protocol}://${host}`;
}
