import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import {
  bodylessPostPayloadHash,
  collapseWhitespace,
  credentialSigningKey,
  goCanonicalQuery,
  goQueryPairs,
  parseCredentialScope,
  type CredentialScope,
} from './credential-form.ts';
import { encodeBytes, percentDecode, uriEncode } from './percent-encoding.ts';

// Server side of the Huawei Cloud API Gateway request signature in its three
// spellings: `SDK-HMAC-SHA256 Access=` (the Huawei SDKs), `SDK-HMAC-SHA256
// Credential=…/sdk_request` (gophertelekomcloud, credential-form.ts) and the
// derived `V11-HMAC-SHA256`. The SDKs of different languages sign different
// header sets and encode the path differently, so verification follows what the
// request itself declares (SignedHeaders) and tries the few canonical URI
// spellings that real clients produce before refusing. All three share one
// payload-hash rule and one canonical request.

export type SignatureAlgorithm = 'SDK-HMAC-SHA256' | 'V11-HMAC-SHA256';

/** Which signer's dialect: the Authorization header says it by its fields. */
export type SignatureForm = 'access' | 'credential' | 'v11';

export interface ParsedAuthorization {
  algorithm: SignatureAlgorithm;
  form: SignatureForm;
  accessKey: string;
  signedHeaders: string[];
  signature: string;
  /**
   * The credential scope after the AK: V11 `YYYYMMDD/region/service` (the HKDF
   * info string), credential form `YYYYMMDD/region/service/sdk_request`.
   */
  scope?: string;
  /** Credential form only: the scope's parts, from which the key is derived. */
  credential?: CredentialScope;
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

/** Parses `ALG Access=…|Credential=…, SignedHeaders=…, Signature=…`. */
export function parseAuthorization(header: string | undefined): ParsedAuthorization | undefined {
  if (!header || header.length > MAX_AUTHORIZATION_LENGTH) return undefined;
  const space = header.indexOf(' ');
  if (space < 0) return undefined;
  const scheme = header.slice(0, space);
  if (scheme !== 'SDK-HMAC-SHA256' && scheme !== 'V11-HMAC-SHA256') return undefined;
  const algorithm: SignatureAlgorithm = scheme;
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
  const access = fields.get('Access');
  const credential = fields.get('Credential');
  const parts = { algorithm, signedHeaders: headers, signature };
  if (algorithm === 'SDK-HMAC-SHA256' && access !== undefined) {
    // Naming the key twice, in two ways, is ambiguous: refuse rather than pick one.
    if (credential !== undefined || !ACCESS_KEY.test(access)) return undefined;
    return { ...parts, form: 'access', accessKey: access };
  }
  const slash = credential?.indexOf('/') ?? -1;
  const accessKey = credential?.slice(0, slash) ?? '';
  const scope = credential?.slice(slash + 1) ?? '';
  if (slash <= 0 || !ACCESS_KEY.test(accessKey) || access !== undefined) return undefined;
  if (algorithm === 'V11-HMAC-SHA256') {
    if (!/^\d{8}\/[^/]{1,64}\/[^/]{1,64}$/.test(scope)) return undefined;
    return { ...parts, form: 'v11', accessKey, scope };
  }
  const parsed = parseCredentialScope(scope);
  if (!parsed) return undefined;
  return { ...parts, form: 'credential', accessKey, scope, credential: parsed };
}

/** Segments of unreserved characters only (percent-encoding.ts UNRESERVED_ONLY) and their slashes. */
const PLAIN_PATH = /^[A-Za-z0-9\-_.~/]*$/;

function withTrailingSlash(uri: string): string {
  return uri.endsWith('/') ? uri : uri + '/';
}

/**
 * The canonical URIs a legitimate client may have signed, most likely first:
 * Node encodes the raw wire segments; Go and Python decode and re-encode; a client
 * given an endpoint with a trailing slash signs `//path` but sends `/path`.
 */
export function canonicalUriCandidates(path: string): string[] {
  // The usual path (ids, names, no escapes): encoding it, raw or decoded, gives it back, so
  // the raw and decoded spellings are one and the same string. Building them costs ~8 µs.
  if (PLAIN_PATH.test(path)) {
    const plain = withTrailingSlash(path);
    return [plain, '/' + plain];
  }
  const raw = withTrailingSlash(
    path
      .split('/')
      .map((s) => encodeBytes(Buffer.from(s, 'latin1')))
      .join('/'),
  );
  return [...new Set([raw, decodedCanonicalUri(path), '/' + raw])];
}

/** Each segment decoded and re-encoded (Go, Python); an encoded `/` stays inside its segment. */
function decodedCanonicalUri(path: string): string {
  return withTrailingSlash(
    path
      .split('/')
      .map((s) => encodeBytes(percentDecode(s, false)))
      .join('/'),
  );
}

/**
 * The `Access=` and V11 canonical query: every value, sorted by key then value.
 * `+` is a space, as it is to the query parser the routes see; the official
 * signers never send a literal `+` (they write `%2B`), and reading it otherwise
 * would let `a+b` and `a%2Bb` share a signature while meaning different things.
 */
export function canonicalQuery(query: string): string {
  const decode = (s: string) => percentDecode(s, true).toString('utf8');
  const pairs: [string, string][] = [];
  for (const piece of query.split('&')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    pairs.push([decode(eq < 0 ? piece : piece.slice(0, eq)), decode(eq < 0 ? '' : piece.slice(eq + 1))]);
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
  /** Credential form: runs of whitespace inside a header value count as one space. */
  collapseWhitespace?: boolean;
}

export function canonicalRequest(p: CanonicalParts): string | undefined {
  let canonicalHeaders = '';
  for (const name of p.signedHeaders) {
    const value = headerValue(p.headers, name);
    if (value === undefined) return undefined;
    canonicalHeaders += `${name}:${p.collapseWhitespace ? collapseWhitespace(value) : value}\n`;
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

/**
 * The HMAC key: the SK itself (`Access=`), the hex of HKDF-SHA256(SK, salt=AK,
 * info=scope) (V11), or the key derived from SK, date, region and service
 * (`Credential=`).
 */
export function signingKey(auth: ParsedAuthorization, sk: string): string | Buffer {
  if (auth.form === 'credential' && auth.credential) return credentialSigningKey(sk, auth.credential);
  if (auth.form === 'v11')
    return Buffer.from(hkdfSync('sha256', sk, auth.accessKey, auth.scope ?? '', 32)).toString('hex');
  return sk;
}

/** `ALG\nX-Sdk-Date\n[scope\n]sha256(canonical request)`: the scope line only where the header names one. */
export function stringToSign(auth: ParsedAuthorization, sdkDate: string, cr: string): string {
  const digest = sha256Hex(cr);
  return auth.scope === undefined
    ? `${auth.algorithm}\n${sdkDate}\n${digest}`
    : `${auth.algorithm}\n${sdkDate}\n${auth.scope}\n${digest}`;
}

export function hmacHex(key: string | Buffer, data: string): string {
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

/** One way a legitimate client may have spelled the request: the lines that differ between signers. */
interface Spelling {
  canonicalUri: string;
  canonicalQuery: string;
  payloadHash: string;
}

/**
 * The spellings to try for `auth`'s signer, or undefined when the query holds
 * parts that signer would leave unsigned (credential-form.ts goQueryPairs).
 */
function spellings(auth: ParsedAuthorization, req: SignedRequest, payload: string): Spelling[] | undefined {
  const q = req.rawUrl.indexOf('?');
  const path = q < 0 ? req.rawUrl : req.rawUrl.slice(0, q);
  const rawQuery = q < 0 ? '' : req.rawUrl.slice(q + 1);
  if (auth.form !== 'credential') {
    const query = canonicalQuery(rawQuery);
    return canonicalUriCandidates(path).map((canonicalUri) => ({
      canonicalUri,
      canonicalQuery: query,
      payloadHash: payload,
    }));
  }
  const pairs = goQueryPairs(rawQuery);
  if (!pairs) return undefined;
  const canonicalUri = decodedCanonicalUri(path);
  const found = [{ canonicalUri, canonicalQuery: goCanonicalQuery(pairs), payloadHash: payload }];
  // Go cannot tell us whether an empty POST had a nil body (hash of the query,
  // empty query line) or an empty one; both bind every byte that arrived. Not
  // with a declared X-Sdk-Content-Sha256, which would leave the query unsigned.
  const bodyless = req.body === undefined || req.body.length === 0;
  if (
    req.method.toUpperCase() === 'POST' &&
    bodyless &&
    headerValue(req.headers, CONTENT_SHA256) === undefined
  ) {
    found.push({ canonicalUri, canonicalQuery: '', payloadHash: bodylessPostPayloadHash(pairs) });
  }
  return found;
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
  if (auth.scope !== undefined && auth.scope.slice(0, 9) !== `${sdkDate.slice(0, 8)}/`) {
    return { ok: false, reason: 'credential scope date does not match X-Sdk-Date' };
  }
  const payload = payloadHash(req.headers, req.body, auth.signedHeaders);
  if (!payload.ok) return payload;
  const candidates = spellings(auth, req, payload.hash);
  if (!candidates) return { ok: false, reason: 'part of the query would not be signed' };
  const key = signingKey(auth, secretKey);
  for (const spelling of candidates) {
    const cr = canonicalRequest({
      method: req.method,
      ...spelling,
      headers: req.headers,
      signedHeaders: auth.signedHeaders,
      collapseWhitespace: auth.form === 'credential',
    });
    if (cr === undefined) return { ok: false, reason: 'a signed header is missing' };
    const expected = hmacHex(key, stringToSign(auth, sdkDate, cr));
    if (sameHex(expected, auth.signature)) return { ok: true };
  }
  return { ok: false, reason: 'signature mismatch' };
}
