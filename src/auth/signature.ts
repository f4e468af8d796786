import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

// Server side of the Huawei Cloud API Gateway request signature (SDK-HMAC-SHA256
// and the derived V11-HMAC-SHA256). The SDKs of different languages sign
// different header sets and encode the path differently, so verification follows
// what the request itself declares (SignedHeaders) and tries the few canonical
// URI spellings that real clients produce before refusing.

export type SignatureAlgorithm = 'SDK-HMAC-SHA256' | 'V11-HMAC-SHA256';

export interface ParsedAuthorization {
  algorithm: SignatureAlgorithm;
  accessKey: string;
  signedHeaders: string[];
  signature: string;
  /** V11 only: `YYYYMMDD/region/service`, the HKDF info string. */
  scope?: string;
}

export interface SignedRequest {
  method: string;
  /** Path and query exactly as received on the wire. */
  rawUrl: string;
  headers: IncomingHttpHeaders;
  body: Buffer | undefined;
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Bounds on what a client may declare, so an anonymous request costs little:
 * the official signers sign a handful of headers and use 20-character AKs.
 */
export const MAX_AUTHORIZATION_LENGTH = 4096;
export const MAX_SIGNED_HEADERS = 64;
const ACCESS_KEY = /^[A-Za-z0-9]{1,128}$/;
/** An HTTP header name (RFC 9110 token), lower case as SignedHeaders lists it. */
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]{1,128}$/;

/** Parses `ALG Access=…, SignedHeaders=…, Signature=…` (or `Credential=` for V11). */
export function parseAuthorization(header: string | undefined): ParsedAuthorization | undefined {
  if (!header || header.length > MAX_AUTHORIZATION_LENGTH) return undefined;
  const space = header.indexOf(' ');
  if (space < 0) return undefined;
  const algorithm = header.slice(0, space);
  if (algorithm !== 'SDK-HMAC-SHA256' && algorithm !== 'V11-HMAC-SHA256') return undefined;
  const fields = new Map<string, string>();
  for (const part of header.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return undefined;
    const name = part.slice(0, eq).trim();
    // A field given twice could mean one thing to us and another to a proxy that logged it.
    if (fields.has(name)) return undefined;
    fields.set(name, part.slice(eq + 1).trim());
  }
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!signedHeaders || !signature || !/^[0-9a-f]{64}$/.test(signature)) return undefined;
  const headers = signedHeaders.split(';').map((h) => h.toLowerCase());
  if (headers.length > MAX_SIGNED_HEADERS || new Set(headers).size !== headers.length) return undefined;
  if (!headers.every((h) => HEADER_NAME.test(h))) return undefined;
  if (algorithm === 'SDK-HMAC-SHA256') {
    const accessKey = fields.get('Access');
    if (!accessKey || !ACCESS_KEY.test(accessKey)) return undefined;
    return { algorithm, accessKey, signedHeaders: headers, signature };
  }
  const credential = fields.get('Credential') ?? '';
  const slash = credential.indexOf('/');
  const accessKey = credential.slice(0, slash);
  const scope = credential.slice(slash + 1);
  if (slash <= 0 || !ACCESS_KEY.test(accessKey) || !/^\d{8}\/[^/]{1,64}\/[^/]{1,64}$/.test(scope)) {
    return undefined;
  }
  return { algorithm, accessKey, signedHeaders: headers, signature, scope };
}

const UNRESERVED = /[A-Za-z0-9\-_.~]/;

/** RFC 3986 encoding over UTF-8 bytes with upper-case hex, as the SDK signers do. */
function encodeBytes(bytes: Buffer): string {
  let out = '';
  for (const b of bytes) {
    const ch = String.fromCharCode(b);
    out += b < 0x80 && UNRESERVED.test(ch) ? ch : '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

export function uriEncode(value: string): string {
  return encodeBytes(Buffer.from(value, 'utf8'));
}

/** Percent-decodes to bytes; malformed escapes are kept literally, as lenient decoders do. */
function percentDecode(value: string): Buffer {
  const bytes: number[] = [];
  const raw = Buffer.from(value, 'latin1');
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i] ?? 0;
    if (
      b === 0x25 &&
      i + 2 < raw.length + 0 &&
      /^[0-9A-Fa-f]{2}$/.test(raw.toString('latin1', i + 1, i + 3))
    ) {
      bytes.push(parseInt(raw.toString('latin1', i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(b);
    }
  }
  return Buffer.from(bytes);
}

function withTrailingSlash(uri: string): string {
  return uri.endsWith('/') ? uri : uri + '/';
}

/**
 * The canonical URIs a legitimate client may have signed, most likely first:
 * Node encodes the raw wire segments; Go and Python decode and re-encode; a client
 * given an endpoint with a trailing slash signs `//path` but sends `/path`.
 */
export function canonicalUriCandidates(path: string): string[] {
  const segments = path.split('/');
  const raw = withTrailingSlash(segments.map((s) => encodeBytes(Buffer.from(s, 'latin1'))).join('/'));
  const decoded = withTrailingSlash(segments.map((s) => encodeBytes(percentDecode(s))).join('/'));
  return [...new Set([raw, decoded, '/' + raw])];
}

export function canonicalQuery(query: string): string {
  const pairs: [string, string][] = [];
  for (const piece of query.split('&')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    const k = eq < 0 ? piece : piece.slice(0, eq);
    const v = eq < 0 ? '' : piece.slice(eq + 1);
    pairs.push([percentDecode(k).toString('utf8'), percentDecode(v).toString('utf8')]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${uriEncode(k)}=${uriEncode(v)}`).join('&');
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  return (Array.isArray(v) ? v.join(',') : v).trim();
}

export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
const CONTENT_SHA256 = 'x-sdk-content-sha256';

export type PayloadHashResult = { ok: true; hash: string } | { ok: false; reason: string };

/**
 * The last line of the canonical request. It always stands for the bytes that
 * arrived: a client's `X-Sdk-Content-Sha256` is believed only when the client
 * signed it, and then only as the literal `UNSIGNED-PAYLOAD` (the official
 * signers' choice for non-JSON content types) or as the hash of this very body.
 * An unsigned declaration could be added to any captured request to keep its
 * signature valid over another body, so it is refused rather than ignored.
 */
export function payloadHash(
  headers: IncomingHttpHeaders,
  body: Buffer | undefined,
  signedHeaders: readonly string[],
): PayloadHashResult {
  const actual = body && body.length > 0 ? sha256Hex(body) : EMPTY_SHA256;
  const declared = headerValue(headers, CONTENT_SHA256);
  if (declared === undefined) return { ok: true, hash: actual };
  if (!signedHeaders.includes(CONTENT_SHA256)) {
    return { ok: false, reason: 'X-Sdk-Content-Sha256 is not signed' };
  }
  if (declared === UNSIGNED_PAYLOAD) return { ok: true, hash: UNSIGNED_PAYLOAD };
  // The client signed the spelling it declared; any letter case of the real hash names this body.
  if (declared.toLowerCase() === actual) return { ok: true, hash: declared };
  return { ok: false, reason: 'X-Sdk-Content-Sha256 does not match the body' };
}

export interface CanonicalParts {
  method: string;
  canonicalUri: string;
  canonicalQuery: string;
  headers: IncomingHttpHeaders;
  signedHeaders: string[];
  payloadHash: string;
}

export function canonicalRequest(p: CanonicalParts): string | undefined {
  let canonicalHeaders = '';
  for (const name of p.signedHeaders) {
    const value = headerValue(p.headers, name);
    if (value === undefined) return undefined;
    canonicalHeaders += `${name}:${value}\n`;
  }
  return [
    p.method.toUpperCase(),
    p.canonicalUri,
    p.canonicalQuery,
    canonicalHeaders,
    p.signedHeaders.join(';'),
    p.payloadHash,
  ].join('\n');
}

/** The HMAC key: the SK itself, or for V11 the hex of HKDF-SHA256(SK, salt=AK, info=scope). */
export function signingKey(algorithm: SignatureAlgorithm, ak: string, sk: string, scope?: string): string {
  if (algorithm === 'SDK-HMAC-SHA256') return sk;
  return Buffer.from(hkdfSync('sha256', sk, ak, scope ?? '', 32)).toString('hex');
}

export function stringToSign(
  algorithm: SignatureAlgorithm,
  sdkDate: string,
  cr: string,
  scope?: string,
): string {
  const digest = sha256Hex(cr);
  return algorithm === 'SDK-HMAC-SHA256'
    ? `${algorithm}\n${sdkDate}\n${digest}`
    : `${algorithm}\n${sdkDate}\n${scope ?? ''}\n${digest}`;
}

export function hmacHex(key: string, data: string): string {
  return createHmac('sha256', key).update(data).digest('hex');
}

/** `20240102T030405Z` → epoch ms, or undefined when malformed or not a real calendar time. */
export function parseSdkDate(value: string | undefined): number | undefined {
  const m = value ? /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value) : null;
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls month 13 or day 32 over; one instant must have one spelling.
  const d = new Date(ms);
  const exact =
    d.getUTCFullYear() === year &&
    d.getUTCMonth() === month - 1 &&
    d.getUTCDate() === day &&
    d.getUTCHours() === hour &&
    d.getUTCMinutes() === minute &&
    d.getUTCSeconds() === second;
  return exact ? ms : undefined;
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface VerifyOptions {
  now: number;
  maxSkewMs: number;
}

export function verifySignature(
  req: SignedRequest,
  auth: ParsedAuthorization,
  secretKey: string,
  opts: VerifyOptions,
): VerifyResult {
  const sdkDate = headerValue(req.headers, 'x-sdk-date');
  const at = parseSdkDate(sdkDate);
  if (at === undefined || sdkDate === undefined)
    return { ok: false, reason: 'missing or malformed X-Sdk-Date' };
  if (Math.abs(opts.now - at) > opts.maxSkewMs)
    return { ok: false, reason: 'X-Sdk-Date outside the allowed window' };
  if (auth.scope !== undefined && !auth.scope.startsWith(sdkDate.slice(0, 8))) {
    return { ok: false, reason: 'credential scope date does not match X-Sdk-Date' };
  }
  const q = req.rawUrl.indexOf('?');
  const path = q < 0 ? req.rawUrl : req.rawUrl.slice(0, q);
  const query = canonicalQuery(q < 0 ? '' : req.rawUrl.slice(q + 1));
  const payload = payloadHash(req.headers, req.body, auth.signedHeaders);
  if (!payload.ok) return payload;
  const key = signingKey(auth.algorithm, auth.accessKey, secretKey, auth.scope);
  for (const canonicalUri of canonicalUriCandidates(path)) {
    const cr = canonicalRequest({
      method: req.method,
      canonicalUri,
      canonicalQuery: query,
      headers: req.headers,
      signedHeaders: auth.signedHeaders,
      payloadHash: payload.hash,
    });
    if (cr === undefined) return { ok: false, reason: 'a signed header is missing' };
    const expected = hmacHex(key, stringToSign(auth.algorithm, sdkDate, cr, auth.scope));
    if (sameHex(expected, auth.signature)) return { ok: true };
  }
  return { ok: false, reason: 'signature mismatch' };
}
