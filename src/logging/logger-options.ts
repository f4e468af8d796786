import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyLoggerOptions } from 'fastify';
import { stdSerializers, type DestinationStream, type LoggerOptions } from 'pino';

// The options of every logger the server builds. Requests and replies are logged
// with their headers (what an operator needs to debug an SDK's signature), and
// every line passes one scrubber before it is written, whatever produced it:
// values of secret-named keys at any depth, credentials in URLs (a database URL)
// and request signatures never reach a log.

const REDACTED = '[redacted]';

/**
 * Key names whose values are secrets: anything named like a password or secret, tokens
 * (`token`, `x-auth-token`, `access_token`; not `token_ttl_seconds`), secret keys (`sk`),
 * and the credential headers.
 */
const SECRET_KEY_SOURCE =
  '[^"\\\\]*(?:password|passwd|secret)[^"\\\\]*|(?:[^"\\\\]*[-_])?(?:token|sk)|authorization|cookie|set-cookie';
const SECRET_KEY = new RegExp(`^(?:${SECRET_KEY_SOURCE})$`, 'i');
/** `"key":"string value"` in a JSON line, the value with its escapes. */
const SECRET_STRING_MEMBER = new RegExp(`"(${SECRET_KEY_SOURCE})":"(?:[^"\\\\]|\\\\.)*"`, 'gi');
/** `"key":` followed by a number, object or array: rare, handled by re-parsing the line. */
const SECRET_OTHER_MEMBER = new RegExp(`"(?:${SECRET_KEY_SOURCE})":[-\\d{[]`, 'i');
/** `scheme://user:password@`: the password runs to the last `@` of the authority. */
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/[^\s"/?#@:]*):(?:[^\s"/\\]|\\.)*@/gi;
/** The signature of an SDK-HMAC-SHA256 / V11-HMAC-SHA256 Authorization header, wherever it is quoted. */
const SIGNATURE = /(Signature=)[0-9a-f]{64}/gi;

/**
 * What every rule above needs somewhere in a line before it can match: a
 * secret key's name holds one of these words (passwd holds 'pass'; a key
 * ending in token or sk is followed by its closing quote), a URL with
 * credentials holds '://', a signature 'Signature='. Most lines (one per
 * request) hold none, and one scan for them costs less than the four rules.
 */
const MAY_HOLD_SECRET = /pass|secret|token|sk"|authorization|cookie|:\/\/|signature=/i;

function scrubText(text: string): string {
  return text.replace(URL_CREDENTIALS, `$1:${REDACTED}@`).replace(SIGNATURE, `$1${REDACTED}`);
}

/** Replaces secret-keyed values and scrubs every string in a parsed log line. */
function scrubValue(value: unknown): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (Array.isArray(value)) return value.map(scrubValue);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? REDACTED : scrubValue(v);
    return out;
  }
  return value;
}

/** The scrubber every log line passes through (pino's `streamWrite` hook). */
export function scrubLogLine(line: string): string {
  if (!MAY_HOLD_SECRET.test(line)) return line;
  if (SECRET_OTHER_MEMBER.test(line)) {
    try {
      const newline = line.endsWith('\n') ? '\n' : '';
      return JSON.stringify(scrubValue(JSON.parse(line))) + newline;
    } catch {
      // Not a JSON line: fall through to the text rules.
    }
  }
  return scrubText(line.replace(SECRET_STRING_MEMBER, `"$1":"${REDACTED}"`));
}

/** Longest path logged; a longer one is cut (the header limit allows 16 KiB). */
const MAX_PATH = 2048;
const MAX_QUERY_NAMES = 20;
const MAX_QUERY_NAME = 64;

export interface LoggedUrl {
  path: string;
  /** The names of the query's parameters, without their values. */
  query?: string[];
}

/**
 * A request target as it may be logged: the path, and the names of the query
 * parameters. Query values never reach the log: a query may carry anything a
 * client puts there.
 */
export function loggableUrl(target: string): LoggedUrl {
  const mark = target.indexOf('?');
  const rawPath = mark < 0 ? target : target.slice(0, mark);
  const path = rawPath.length > MAX_PATH ? `${rawPath.slice(0, MAX_PATH)}…` : rawPath;
  if (mark < 0 || mark === target.length - 1) return { path };
  const names = target
    .slice(mark + 1)
    .split('&')
    .filter((pair) => pair !== '')
    .slice(0, MAX_QUERY_NAMES)
    .map((pair) => {
      const name = pair.split('=', 1)[0] ?? '';
      return name.length > MAX_QUERY_NAME ? `${name.slice(0, MAX_QUERY_NAME)}…` : name;
    });
  return { path, query: names };
}

interface LoggedRequest {
  method?: string;
  url?: string;
  headers?: IncomingHttpHeaders;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

interface LoggedReply {
  statusCode: number;
  getHeaders?: () => Record<string, string | number | string[] | undefined>;
}

/** Pino options for the server's loggers; `stream` is where lines go (stdout when absent). */
export function loggerOptions(
  level: string,
  stream?: DestinationStream,
): FastifyLoggerOptions & LoggerOptions {
  return {
    level,
    ...(stream ? { stream } : {}),
    serializers: {
      // Fastify hands its own request and reply objects, not the raw Node ones its types name.
      req: (req: LoggedRequest) => ({
        method: req.method,
        ...loggableUrl(req.url ?? ''),
        host: req.host,
        remoteAddress: req.ip,
        remotePort: req.socket?.remotePort,
        headers: req.headers,
      }),
      res: (res: LoggedReply) => ({ statusCode: res.statusCode, headers: res.getHeaders?.() }),
      err: (err: Error) => {
        const out = stdSerializers.err(err) as ReturnType<typeof stdSerializers.err> & {
          rawPacket?: unknown;
        };
        // Node's parser errors carry the raw request bytes, credentials included, as a byte array.
        delete out.rawPacket;
        return out;
      },
    },
    hooks: { streamWrite: scrubLogLine },
  };
}
