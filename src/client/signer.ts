import { createHash, createHmac } from 'node:crypto';

// The client side of SDK-HMAC-SHA256, written from the algorithm's description
// (README, src/auth/signature.ts) and deliberately sharing no code with the
// server's verifier, so that each checks the other:
//
//   canonical request = METHOD \n URI/ \n sorted query \n name:value\n… \n signed names \n hex(sha256(body))
//   string to sign    = SDK-HMAC-SHA256 \n X-Sdk-Date \n hex(sha256(canonical request))
//   signature         = hex(hmac-sha256(SK, string to sign))
//
// Like the official Node SDK it signs content-type, host, x-project-id (when
// sent) and x-sdk-date.

export const ALGORITHM = 'SDK-HMAC-SHA256';

export interface SigningKey {
  ak: string;
  sk: string;
}

export interface RequestToSign {
  method: string;
  /** The URL as it goes on the wire (what `new URL` made of it). */
  url: URL;
  /** Lower-case names. `host` is taken from the URL when absent. */
  headers: Readonly<Record<string, string>>;
  body: string | undefined;
}

function sha256(data: string): string {
  return createHash('sha256').update(data, 'utf8').digest('hex');
}

/** `20240102T030405Z` */
export function sdkDate(at: Date): string {
  return at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** Percent-decodes to bytes, leaving a malformed escape as it is. */
function decodeToBytes(text: string): Uint8Array {
  const out: number[] = [];
  const raw = new TextEncoder().encode(text);
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i] ?? 0;
    const pair =
      b === 0x25 && i + 2 < raw.length ? String.fromCharCode(raw[i + 1] ?? 0, raw[i + 2] ?? 0) : '';
    if (/^[0-9A-Fa-f]{2}$/.test(pair)) {
      out.push(parseInt(pair, 16));
      i += 2;
    } else {
      out.push(b);
    }
  }
  return Uint8Array.from(out);
}

function encodeBytes(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) {
    const unreserved =
      (b >= 0x30 && b <= 0x39) ||
      (b >= 0x41 && b <= 0x5a) ||
      (b >= 0x61 && b <= 0x7a) ||
      '-_.~'.includes(String.fromCharCode(b));
    out += unreserved ? String.fromCharCode(b) : '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** Every path segment decoded and re-encoded, with a trailing slash. */
function canonicalUri(pathname: string): string {
  const uri = pathname
    .split('/')
    .map((segment) => encodeBytes(decodeToBytes(segment)))
    .join('/');
  return uri.endsWith('/') ? uri : uri + '/';
}

/**
 * Pairs decoded, sorted by name then value, re-encoded. A raw `+` is a space, as the
 * server's router reads a query (a plus sign travels as `%2B`), so the two cannot differ.
 */
function canonicalQuery(search: string): string {
  const pairs = search
    .replace(/^\?/, '')
    .split('&')
    .filter((piece) => piece !== '')
    .map((piece): [string, string] => {
      const eq = piece.indexOf('=');
      const name = eq < 0 ? piece : piece.slice(0, eq);
      const value = eq < 0 ? '' : piece.slice(eq + 1);
      const utf8 = new TextDecoder();
      const text = (part: string) => utf8.decode(decodeToBytes(part.replaceAll('+', ' ')));
      return [text(name), text(value)];
    });
  const order = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  pairs.sort((a, b) => order(a[0], b[0]) || order(a[1], b[1]));
  const reencode = (s: string) => encodeBytes(new TextEncoder().encode(s));
  return pairs.map(([k, v]) => `${reencode(k)}=${reencode(v)}`).join('&');
}

export interface Signature {
  /** The headers to add to the request: `x-sdk-date` and `authorization`. */
  headers: Record<string, string>;
  canonicalRequest: string;
}

/** Signs `request` at `at`; the caller sends `request.headers` plus the returned ones. */
export function sign(request: RequestToSign, key: SigningKey, at: Date = new Date()): Signature {
  const date = sdkDate(at);
  const all: Record<string, string> = { host: request.url.host, ...request.headers, 'x-sdk-date': date };
  const names = Object.keys(all)
    .filter((n) => n === 'content-type' || n === 'host' || n.startsWith('x-'))
    .sort();
  const canonicalHeaders = names.map((n) => `${n}:${(all[n] ?? '').trim()}\n`).join('');
  const canonicalRequest = [
    request.method.toUpperCase(),
    canonicalUri(request.url.pathname),
    canonicalQuery(request.url.search),
    canonicalHeaders,
    names.join(';'),
    sha256(request.body ?? ''),
  ].join('\n');
  const toSign = `${ALGORITHM}\n${date}\n${sha256(canonicalRequest)}`;
  const signature = createHmac('sha256', key.sk).update(toSign, 'utf8').digest('hex');
  return {
    headers: {
      'x-sdk-date': date,
      authorization: `${ALGORITHM} Access=${key.ak}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
    },
    canonicalRequest,
  };
}
