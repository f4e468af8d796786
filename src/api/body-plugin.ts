import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors/api-error.ts';
import { bodyTextProblem } from './storable-text.ts';

function rejectProto(key: string, value: unknown): unknown {
  if (key === '__proto__' || key === 'constructor') {
    throw new SyntaxError(`forbidden key ${key}`);
  }
  return value;
}

/** JSON.parse, refusing keys that could reach an object's prototype when spread later. */
export function parseJsonSafely(text: string): unknown {
  const suspicious = text.includes('__proto__') || text.includes('constructor');
  return suspicious ? JSON.parse(text, rejectProto) : JSON.parse(text);
}

const notJson = () => new ApiError('EndPoint.0002', 'Parameter error: the request body is not valid JSON.');

/**
 * A request body as JSON, or the error to answer. JSON is UTF-8 (RFC 8259): other
 * bytes would be replaced silently, so what is stored would differ from what was
 * signed and sent. Strings no store can hold are refused too (storable-text.ts).
 */
export function parseJsonBody(buf: Buffer): { value: unknown } | { error: ApiError } {
  if (!isUtf8(buf)) return { error: notJson() };
  const text = buf.toString('utf8');
  let value: unknown;
  try {
    value = parseJsonSafely(text);
  } catch {
    // Also a body nested deeper than the parser's stack: a RangeError, not a crash.
    return { error: notJson() };
  }
  const problem = bodyTextProblem(text, value);
  return problem ? { error: problem } : { value };
}

/**
 * Every body is kept as raw bytes (a signature covers them) and parsed as JSON
 * whatever the content type says: the SDKs always send JSON, and curl users who
 * forget `-H content-type` should not be punished. A body that cannot be used is
 * recorded and reported after authentication, so an anonymous caller learns nothing.
 */
export function installBodyParsing(app: FastifyInstance, bodyLimit: number): void {
  app.decorateRequest('rawBody', undefined);
  app.decorateRequest('bodyError', undefined);
  app.decorateRequest('ctx', undefined);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (request, body, done) => {
    const buf = body as Buffer;
    request.rawBody = buf;
    if (buf.length === 0) return done(null, undefined);
    const parsed = parseJsonBody(buf);
    if ('error' in parsed) {
      request.bodyError = parsed.error;
      return done(null, undefined);
    }
    done(null, parsed.value);
  });
}

/**
 * Fastify does not read the body of a GET, but the SDKs' own IAM calls send `{}`
 * with one and sign its hash, so the authentication hook reads it here. Past
 * `limit` it stops reading without destroying the request, so the 400 still
 * reaches the client (the caller then closes the connection).
 */
export function readGetBody(raw: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const length = raw.headers['content-length'];
  if (raw.headers['transfer-encoding'] === undefined && (length === undefined || length === '0'))
    return Promise.resolve(undefined);
  if (raw.readableEnded) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (err: ApiError | undefined) => {
      raw.off('data', onData).off('end', onEnd).off('error', onBroken).off('close', onBroken);
      if (err) reject(err);
      else resolve(Buffer.concat(chunks));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      raw.pause();
      settle(new ApiError('EndPoint.0002', 'Parameter error: the request body is too large.'));
    };
    const onEnd = () => settle(undefined);
    // The client went away or sent a broken chunk (Node has answered on the socket).
    const onBroken = () => settle(new ApiError('APIG.0201'));
    raw.on('data', onData).on('end', onEnd).on('error', onBroken).on('close', onBroken);
  });
}
