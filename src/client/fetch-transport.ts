import { apiErrorOf, ConnectionError, InvalidInput } from './errors.ts';
import { pathWithQuery, type HttpRequest, type HttpResponse, type Transport } from './http.ts';

// A transport over the platform's fetch (node's undici, or a browser's). How a
// request is authenticated is the caller's `authorize`: request signing
// (signed-transport.ts) or a token header (token-transport.ts).

export interface PreparedRequest {
  method: string;
  url: URL;
  /** Lower-case names; what `authorize` returns is added to these. */
  headers: Record<string, string>;
  body: string | undefined;
}

export type Authorize = (
  request: PreparedRequest,
) => Record<string, string> | Promise<Record<string, string>>;

export interface FetchTransportOptions {
  /** `http://host:port`, optionally with a base path; a trailing slash is ignored. */
  endpoint: string;
  authorize: Authorize;
  /** Per request, including reading the answer (default 30 s). */
  timeoutMs?: number;
  /** Largest answer read (default 32 MiB): a hostile server cannot exhaust memory. */
  maxResponseBytes?: number;
}

/** Checks and normalises an endpoint: http(s), no query, no credentials, no trailing slash. */
export function normalizeEndpoint(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new InvalidInput(`invalid endpoint '${endpoint}': expected http://host:port`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidInput(`invalid endpoint '${endpoint}': only http and https are supported`);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new InvalidInput(`invalid endpoint '${endpoint}': no credentials, query or fragment allowed`);
  }
  return url.origin + url.pathname.replace(/\/+$/, '');
}

async function readCapped(response: Response, max: number, url: string): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > max) throw new ConnectionError(url, `answer of ${declared} bytes exceeds ${max}`);
  if (!response.body) return '';
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw new ConnectionError(url, `answer exceeds ${max} bytes`);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return new TextDecoder().decode(all);
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function reasonOf(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'no answer in time';
    const cause = (err as { cause?: unknown }).cause;
    if (cause instanceof Error) return (cause as { code?: string }).code ?? cause.message;
    return err.message;
  }
  return String(err);
}

export function fetchTransport(opts: FetchTransportOptions): Transport {
  const endpoint = normalizeEndpoint(opts.endpoint);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const maxBytes = opts.maxResponseBytes ?? 32 * 1024 * 1024;
  return {
    endpoint,
    async send(request: HttpRequest): Promise<HttpResponse> {
      const url = new URL(endpoint + pathWithQuery(request));
      const prepared: PreparedRequest = {
        method: request.method,
        url,
        headers: { 'content-type': 'application/json' },
        body: request.body,
      };
      const headers = { ...prepared.headers, ...(await opts.authorize(prepared)) };
      let response: Response;
      let text: string;
      try {
        response = await fetch(url, {
          method: request.method,
          headers,
          ...(request.body !== undefined ? { body: request.body } : {}),
          // The API never redirects; following one would re-send credentials elsewhere.
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        });
        text = await readCapped(response, maxBytes, url.origin);
      } catch (err) {
        if (err instanceof ConnectionError) throw err;
        throw new ConnectionError(url.origin, reasonOf(err));
      }
      const flat: Record<string, string> = {};
      response.headers.forEach((value, name) => (flat[name] = value));
      const json = parseJson(text);
      if (response.status < 200 || response.status > 299) {
        throw apiErrorOf(response.status, json, text, flat['x-request-id'] ?? '');
      }
      return { status: response.status, headers: flat, text, json };
    },
  };
}
