// Fixtures of the edge suites: a server with the provider's token, byte-level
// HTTP for what no client library will send (broken request lines, oversize
// headers, half-sent requests, CONNECT), and the catalog's error shape.
import assert from 'node:assert/strict';
import { request, type Agent } from 'node:http';
import { connect } from 'node:net';
import { after, before } from 'node:test';
import type { TestDialect } from '../support/db.ts';
import { rawRequest, type RawResponse } from '../support/http.ts';
import type { SignedWire } from '../support/official-signer.ts';
import { passwordToken, startTestServer, type TestServer } from '../support/server.ts';

export interface EdgeBed {
  server: TestServer;
  /** An X-Auth-Token of the provider. */
  token: string;
  /** The provider's VPC collection URL, a protected route with a path project. */
  vpcs(): string;
}

/** Starts a server on `dialect` before the enclosing suite's tests and closes it after them. */
export function edgeBed(dialect: TestDialect): EdgeBed {
  const bed: EdgeBed = {
    server: undefined as unknown as TestServer, // set by before(), read only by tests
    token: '',
    vpcs: () => `${bed.server.url}/v1/${bed.server.provider.projectId}/vpcs`,
  };
  before(async () => {
    bed.server = await startTestServer({ dialect });
    bed.token = await passwordToken(bed.server.url, bed.server.provider);
  });
  after(async () => bed.server?.close());
  return bed;
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends a request signed by the official signer exactly as signed. */
export function sendSigned(method: string, wire: SignedWire): Promise<RawResponse> {
  return rawRequest({
    method,
    url: wire.url,
    headers: wire.headers,
    ...(wire.body !== undefined ? { body: wire.body } : {}),
  });
}

/**
 * Writes `bytes` to the server and reads until the server closes the connection;
 * fails after `timeoutMs` rather than hang.
 */
export function exchange(
  url: string,
  bytes: string | Buffer,
  opts: { timeoutMs?: number } = {},
): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(bytes));
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${opts.timeoutMs ?? 10_000} ms`));
    }, opts.timeoutMs ?? 10_000);
    socket.on('data', (d: Buffer) => chunks.push(d));
    // The server may reset after answering while bytes we sent are still unread.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      if (split < 0) return reject(new Error(`no HTTP answer: ${JSON.stringify(text)}`));
      const [statusLine = '', ...lines] = text.slice(0, split).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: text.slice(split + 4) });
    });
  });
}

/**
 * One request through `agent` (a keep-alive agent with one socket shows whether a
 * connection is still usable after an answer); fails after `timeoutMs` rather than hang.
 */
export function requestVia(
  agent: Agent,
  url: string,
  method: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs = 10_000,
): Promise<RawAnswer> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        method,
        host: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => {
          clearTimeout(timer);
          const flat: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) flat[k] = String(v);
          resolve({
            status: res.statusCode ?? 0,
            headers: flat,
            body: Buffer.concat(chunks).toString('utf8'),
          });
        });
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(body);
  });
}

/** The catalog's error shape: exactly the three fields, `code`, and X-Request-Id equal to request_id. */
export function assertCatalogError(
  res: { status: number; headers: Record<string, string | string[] | undefined>; body: string },
  status: number,
  code: string,
): Record<string, string> {
  assert.equal(res.status, status, res.body);
  const body = JSON.parse(res.body) as Record<string, string>;
  assert.deepEqual(Object.keys(body).sort(), ['error_code', 'error_msg', 'request_id']);
  assert.equal(body.error_code, code);
  assert.equal(typeof body.error_msg, 'string');
  assert.match(String(body.request_id), /^[0-9a-f]{32}$/);
  assert.equal(res.headers['x-request-id'], body.request_id);
  return body;
}
