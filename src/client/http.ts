import { InvalidInput } from './errors.ts';

// The contract between the resource layer and a transport. Nothing here may
// import a node module: a browser console reuses the resource layer over its
// own transport (an X-Auth-Token one, token-transport.ts).

export type QueryValue = string | number | boolean | readonly (string | number | boolean)[] | undefined;
export type Query = Readonly<Record<string, QueryValue>>;

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'HEAD';
  /** Absolute path, already encoded (see `path`); may carry a query of its own. */
  path: string;
  query?: Query;
  /** Sent as is with `content-type: application/json`. */
  body?: string;
}

export interface HttpResponse {
  status: number;
  headers: Readonly<Record<string, string>>;
  text: string;
  /** The parsed JSON body; undefined when empty or not JSON. */
  json: unknown;
}

/** Sends a request and answers with a 2xx response, or throws ApiError / ConnectionError. */
export interface Transport {
  readonly endpoint: string;
  send(request: HttpRequest): Promise<HttpResponse>;
}

const UNRESERVED = /^[A-Za-z0-9\-_.~]$/;

/** RFC 3986 percent-encoding over UTF-8 with upper-case hex: the signature's own encoding. */
export function rfc3986(value: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(value)) {
    const ch = String.fromCharCode(byte);
    out += byte < 0x80 && UNRESERVED.test(ch) ? ch : '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/**
 * Fills `{name}` placeholders with encoded values. A value that is empty or a
 * dot segment is refused: URL parsers resolve `.` and `..` (also spelled
 * `%2e`), which would send the call to another path than the one named.
 */
export function path(template: string, params: Readonly<Record<string, string>>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new InvalidInput(`missing path parameter ${name}`);
    if (value === '' || value === '.' || value === '..') {
      throw new InvalidInput(`invalid ${name.replace(/_/g, ' ')}: '${value}'`);
    }
    return rfc3986(value);
  });
}

/** `a=1&b=x&b=y` in RFC 3986 encoding; undefined values are left out, arrays repeat the key. */
export function encodeQuery(query: Query | undefined): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    const values: readonly (string | number | boolean)[] = Array.isArray(value) ? value : [value];
    for (const v of values) parts.push(`${rfc3986(key)}=${rfc3986(String(v))}`);
  }
  return parts.join('&');
}

/** The path with the request's query appended. */
export function pathWithQuery(request: HttpRequest): string {
  const query = encodeQuery(request.query);
  if (query === '') return request.path;
  return request.path + (request.path.includes('?') ? '&' : '?') + query;
}

/** JSON for a request body; undefined stays undefined (no body). */
export function jsonBody(value: unknown): string | undefined {
  return value === undefined ? undefined : JSON.stringify(value);
}
