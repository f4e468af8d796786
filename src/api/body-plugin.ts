import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors/api-error.ts';

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

/**
 * Every body is kept as raw bytes (a signature covers them) and parsed as JSON
 * whatever the content type says: the SDKs always send JSON, and curl users who
 * forget `-H content-type` should not be punished. A parse failure is recorded
 * and reported after authentication, so an anonymous caller learns nothing.
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
    try {
      done(null, parseJsonSafely(buf.toString('utf8')));
    } catch {
      request.bodyError = new ApiError(
        'EndPoint.0002',
        'Parameter error: the request body is not valid JSON.',
      );
      done(null, undefined);
    }
  });
}

/**
 * Fastify does not read the body of a GET, but the SDKs' own IAM calls send `{}`
 * with one and sign its hash, so the authentication hook reads it here.
 */
export async function readGetBody(raw: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const length = raw.headers['content-length'];
  if (raw.headers['transfer-encoding'] === undefined && (length === undefined || length === '0'))
    return undefined;
  if (raw.readableEnded) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of raw) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) throw new ApiError('EndPoint.0002', 'Parameter error: the request body is too large.');
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}
