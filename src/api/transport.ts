import type { IncomingMessage, Server } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type {
  ConnectionError,
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyHttpOptions,
  FastifyRequest,
} from 'fastify';
import { requestId } from '../context/ids.ts';
import { ApiError, errorBody } from '../errors/api-error.ts';
import type { ErrorCode } from '../errors/catalog.ts';
import { sendError } from './errors-plugin.ts';
import { badEscapeError } from './storable-text.ts';

// What the HTTP transport does with requests too broken to reach a route: the
// errors Node's parser and timers raise ('clientError'), the ones fastify's router
// raises (frameworkErrors), CONNECT, and HTTP/1.1 without a Host. The cloud's API
// gateway answers these itself with APIG.0201 and the status of the problem; so
// do we, in the catalog's shape and with X-Request-Id, like every other error.

/** A client that has not sent its whole request by then gets 408. */
export const REQUEST_TIMEOUT_MS = 60_000;
/** A client that has not sent its headers by then gets 408 (slow-header attacks). */
export const HEADERS_TIMEOUT_MS = 30_000;
/**
 * How often Node looks for requests past those deadlines (its default, 30 s, would
 * let a deadline slip by half a minute); one pass walks the open requests only.
 */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;

/** The catalog entry for an error Node raises before a request object exists. */
export function clientErrorKey(nodeCode: string | undefined): ErrorCode {
  switch (nodeCode) {
    case 'HPE_HEADER_OVERFLOW':
      return 'APIG.0201:431';
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 'APIG.0201:413';
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 'APIG.0201:408';
    default:
      return 'APIG.0201';
  }
}

/**
 * A whole HTTP/1.1 response carrying `err` in the catalog's shape; the connection
 * closes after it. The answer to a HEAD has the headers only: a client reads
 * anything after them as the start of another answer.
 */
export function rawErrorResponse(err: ApiError, id: string, head = false): string {
  const body = JSON.stringify(errorBody(err, id));
  return (
    `HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? 'Error'}\r\n` +
    'Content-Type: application/json;charset=UTF-8\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    `X-Request-Id: ${id}\r\n` +
    'Connection: close\r\n\r\n' +
    (head ? '' : body)
  );
}

/** Writes `err` straight to a socket no fastify reply owns, then closes it. */
function answerOnSocket(socket: Duplex, err: ApiError, head = false): void {
  // Node's own rule: never write into a response that has already started.
  // `_httpMessage` is the in-flight ServerResponse, if any (not in Node's types).
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && inFlight?.headersSent !== true)
    socket.write(rawErrorResponse(err, requestId(), head));
  socket.destroy();
}

const HEAD_LINE = Buffer.from('HEAD ');

/**
 * Whether the refused request is a HEAD, from the bytes the parser was given
 * (its request line, when they hold it: a request sent at once, or a timeout's
 * none, which then gets the body).
 */
function isHeadRequest(err: ConnectionError): boolean {
  // Typed as the JSON form of a Buffer; Node hands the Buffer itself.
  const packet: unknown = err.rawPacket;
  return Buffer.isBuffer(packet) && packet.subarray(0, HEAD_LINE.length).equals(HEAD_LINE);
}

/** Node's 'clientError': a request the parser refused, or one that took too long to arrive. */
function onClientError(this: FastifyInstance, err: ConnectionError, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  // Only the code: the error's rawPacket holds the request's bytes, credentials included.
  this.log.debug({ code: err.code }, 'malformed request refused');
  answerOnSocket(socket, new ApiError(clientErrorKey(err.code)), isHeadRequest(err));
}

/** Errors of fastify's router, raised before any route or hook runs. */
function onFrameworkError(err: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  let answer: ApiError;
  if (err.code === 'FST_ERR_BAD_URL') {
    answer = badEscapeError();
  } else if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    answer = new ApiError('APIG.0201:414');
  } else {
    answer = new ApiError('APIG.0201');
  }
  void sendError(reply, answer);
}

/** The fastify options that route every transport-level error through the handlers above. */
export function transportOptions(): Pick<
  FastifyHttpOptions<Server>,
  'requestTimeout' | 'clientErrorHandler' | 'frameworkErrors' | 'http'
> {
  return {
    requestTimeout: REQUEST_TIMEOUT_MS,
    clientErrorHandler: onClientError,
    frameworkErrors: onFrameworkError,
    http: {
      headersTimeout: HEADERS_TIMEOUT_MS,
      connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
      // Node would answer a missing Host with a bare 400; the hook below answers instead.
      requireHostHeader: false,
    },
  };
}

/** The parts that need the built app: CONNECT and the Host rule. */
export function installTransportErrors(app: FastifyInstance): void {
  // Without a listener Node drops a CONNECT without a word; this is not a proxy.
  app.server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    answerOnSocket(socket, new ApiError('EndPoint.0008'));
  });
  app.addHook('onRequest', (request, _reply, done) => {
    // RFC 9112 §3.2: a server must answer 400 to an HTTP/1.1 request without Host.
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
      done(new ApiError('APIG.0201', 'Bad request: an HTTP/1.1 request needs a Host header.'));
      return;
    }
    done();
  });
}
