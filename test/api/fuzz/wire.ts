// Sends a fuzz case as raw HTTP (signed by the official SDK core when the case
// calls for AK/SK) and judges the answer against the catalog's rules.
import '../../support/quiet-sdk.ts';
import { createHash } from 'node:crypto';
import { request as httpRequest, type Agent, type IncomingHttpHeaders } from 'node:http';
import { BasicCredentials } from '@huaweicloud/huaweicloud-sdk-core/auth/BasicCredentials.js';
import { HttpRequestBuilder } from '@huaweicloud/huaweicloud-sdk-core/http/IHttpRequestBuilder.js';
import { catalog, wireCode, type ErrorCode } from '../../../src/errors/catalog.ts';
import type { FuzzCase } from './cases.ts';
import type { Operation } from './openapi.ts';

/** Whether the catalog holds an entry sent as `code` with `status` (what a client may see). */
function isCatalogAnswer(code: string, status: number): boolean {
  return (Object.keys(catalog) as ErrorCode[]).some(
    (key) => wireCode(key) === code && catalog[key].status === status,
  );
}

export interface Credentials {
  providerToken: string;
  consumerToken: string;
  providerKeys: { ak: string; sk: string };
}

export interface Outcome {
  /** The HTTP status, or what happened instead of an answer. */
  status: number | 'no answer' | 'connection reset';
  headers: IncomingHttpHeaders;
  text: string;
}

function wireTarget(op: Operation, c: FuzzCase): { path: string; query: string } {
  const path = op.path.replace(/\{(\w+)\}/g, (_m, name: string) => c.path[name] ?? '');
  const query = c.query
    .map((q) =>
      q.raw
        ? `${encodeURIComponent(q.key)}=${q.value}`
        : `${encodeURIComponent(q.key)}=${encodeURIComponent(q.value)}`,
    )
    .join('&');
  return { path, query };
}

/**
 * The headers the official SDK core signs for this request. A body is declared by
 * its SHA-256 (X-Sdk-Content-Sha256), which the SDK signs instead of hashing a
 * JSON serialisation of its own, so any bytes can be sent signed.
 */
async function akskHeaders(
  base: string,
  method: string,
  path: string,
  c: FuzzCase,
  keys: Credentials['providerKeys'],
): Promise<Record<string, string>> {
  const queryParams: Record<string, string | string[]> = {};
  for (const q of c.query) {
    const prev = queryParams[q.key];
    queryParams[q.key] = prev === undefined ? q.value : [...(Array.isArray(prev) ? prev : [prev]), q.value];
  }
  const headers: Record<string, string> = { 'content-type': c.body?.contentType ?? 'application/json' };
  if (c.body) headers['X-Sdk-Content-Sha256'] = createHash('sha256').update(c.body.bytes).digest('hex');
  const req = new HttpRequestBuilder()
    .withEndpoint(base)
    .withUrl(path)
    .withHeaders(headers)
    .withMethod(method)
    .withPathParams({})
    .withQueryParams(queryParams)
    .build();
  const cred = new BasicCredentials().withAk(keys.ak).withSk(keys.sk);
  // processAuthRequest only uses its client argument for federated tokens.
  const signed = (await cred.processAuthRequest(undefined as never, req)) as {
    headers: Record<string, string>;
  };
  return { ...signed.headers };
}

/** Sends `c`; never rejects, and gives up after `timeoutMs` (a hang is an outcome, not a test crash). */
export async function sendCase(
  base: string,
  op: Operation,
  c: FuzzCase,
  creds: Credentials,
  agent: Agent,
  timeoutMs: number,
): Promise<Outcome> {
  const { path, query } = wireTarget(op, c);
  let headers: Record<string, string> = {};
  if (c.auth === 'provider-token') headers['x-auth-token'] = creds.providerToken;
  if (c.auth === 'consumer-token') headers['x-auth-token'] = creds.consumerToken;
  if (c.auth === 'provider-aksk') headers = await akskHeaders(base, op.method, path, c, creds.providerKeys);
  if (c.body) {
    headers['content-type'] = c.body.contentType;
    headers['content-length'] = String(c.body.bytes.length);
  }
  const url = new URL(base);
  return new Promise((resolve) => {
    let settled = false;
    const settle = (o: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(o);
    };
    const req = httpRequest(
      {
        method: op.method,
        host: url.hostname,
        port: url.port,
        path: query ? `${path}?${query}` : path,
        headers,
        agent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        const done = () =>
          settle({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          });
        res.on('end', done);
        // The server may close while the client still writes a refused body: the answer counts.
        res.on('error', done);
        res.on('aborted', done);
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      settle({ status: 'no answer', headers: {}, text: '' });
    }, timeoutMs);
    req.on('error', () => settle({ status: 'connection reset', headers: {}, text: '' }));
    if (c.body) req.write(c.body.bytes);
    req.end();
  });
}

/**
 * What is wrong with an answer, by the rules every answer must follow (empty when
 * nothing). A HEAD answer has no body by HTTP's rules, so only its status and
 * X-Request-Id are judged.
 */
export function problemsOf(o: Outcome, method = 'GET'): string[] {
  if (typeof o.status !== 'number') return [o.status];
  const problems: string[] = [];
  const rid = o.headers['x-request-id'];
  if (typeof rid !== 'string' || !/^[0-9a-f]{32}$/.test(rid)) problems.push('no X-Request-Id');
  if (o.status >= 500) problems.push(`status ${o.status}`);
  if (o.status < 400 || method === 'HEAD') return problems;
  let body: unknown;
  try {
    body = JSON.parse(o.text);
  } catch {
    return [...problems, 'error body is not JSON'];
  }
  const b = body as Record<string, unknown>;
  const keys = b !== null && typeof b === 'object' ? Object.keys(b).sort().join(',') : '';
  if (keys !== 'error_code,error_msg,request_id') problems.push(`error body keys: ${keys}`);
  if (
    typeof b.error_code !== 'string' ||
    typeof b.error_msg !== 'string' ||
    typeof b.request_id !== 'string'
  ) {
    problems.push('error body fields are not strings');
  } else {
    if (!isCatalogAnswer(b.error_code, o.status))
      problems.push(`${b.error_code} with ${o.status} is not in the catalog`);
    if (b.request_id !== rid) problems.push('request_id differs from X-Request-Id');
  }
  return problems;
}
