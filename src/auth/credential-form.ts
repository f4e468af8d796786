import { createHash, createHmac } from 'node:crypto';
import { encodeBytes, formEncode, queryUnescape } from './percent-encoding.ts';

// What the `SDK-HMAC-SHA256 Credential=AK/<yyyymmdd>/<region>/<service>/sdk_request`
// form (gophertelekomcloud's signer, used by the Open Telekom Cloud Terraform
// provider) does differently from the `Access=` form of the Huawei SDKs: a key
// derived from the SK, a scope line, the query as Go's url package reads it,
// whitespace runs in header values collapsed, and a POST without a body hashing
// its query. The canonical request itself is the shared one (signature.ts).

export interface CredentialScope {
  /** `yyyymmdd`, which must be the date of X-Sdk-Date. */
  date: string;
  /** Empty in every request gophertelekomcloud makes; bound through the key derivation. */
  region: string;
  service: string;
}

const SCOPE = /^(\d{8})\/([A-Za-z0-9._-]{0,64})\/([A-Za-z0-9._-]{0,64})\/sdk_request$/;

/** `yyyymmdd/region/service/sdk_request`, region and service possibly empty. */
export function parseCredentialScope(scope: string): CredentialScope | undefined {
  const m = SCOPE.exec(scope);
  if (!m) return undefined;
  return { date: m[1] ?? '', region: m[2] ?? '', service: m[3] ?? '' };
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** HMAC("SDK"+SK, date) → region → service → "sdk_request". */
export function credentialSigningKey(sk: string, scope: CredentialScope): Buffer {
  const kDate = hmac(`SDK${sk}`, scope.date);
  const kRegion = hmac(kDate, scope.region);
  const kService = hmac(kRegion, scope.service);
  return hmac(kService, 'sdk_request');
}

type QueryPair = readonly [key: Buffer, value: Buffer];

/**
 * The query as Go's `URL.Query()` reads it (`+` is a space), or undefined when
 * part of it would escape the signature. Go silently drops a piece holding `;`
 * or a malformed escape, and this signer signs only the first value of a
 * repeated key; fastify would still hand those parts to the route, so such a
 * request cannot be authenticated as a whole and is refused. Real clients build
 * their queries with `url.Values.Encode`, which produces none of them.
 */
export function goQueryPairs(query: string): QueryPair[] | undefined {
  const pairs: QueryPair[] = [];
  const seen = new Set<string>();
  for (const piece of query.split('&')) {
    if (piece === '') continue;
    if (piece.includes(';')) return undefined;
    const eq = piece.indexOf('=');
    const key = queryUnescape(eq < 0 ? piece : piece.slice(0, eq));
    const value = queryUnescape(eq < 0 ? '' : piece.slice(eq + 1));
    if (!key || !value) return undefined;
    const id = key.toString('latin1');
    if (seen.has(id)) return undefined;
    seen.add(id);
    pairs.push([key, value]);
  }
  return pairs;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Keys and values RFC 3986-encoded, sorted by the encoded key ignoring letter
 * case. (Two keys differing only in case have no fixed order in Go; byte order
 * decides here.)
 */
export function goCanonicalQuery(pairs: readonly QueryPair[]): string {
  return pairs
    .map(([k, v]) => [encodeBytes(k), encodeBytes(v)] as const)
    .sort((a, b) => compare(a[0].toLowerCase(), b[0].toLowerCase()) || compare(a[0], b[0]))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/**
 * The payload hash of a POST sent without a body: SHA-256 of Go's
 * `url.Values.Encode()` of the query (keys in byte order, `+` for spaces). The
 * canonical query line is then empty, and the query is bound through this hash.
 */
export function bodylessPostPayloadHash(pairs: readonly QueryPair[]): string {
  const encoded = [...pairs]
    .sort((a, b) => Buffer.compare(a[0], b[0]))
    .map(([k, v]) => `${formEncode(k)}=${formEncode(v)}`)
    .join('&');
  return createHash('sha256').update(encoded).digest('hex');
}

/** Go collapses every run of `\s` (space, \t, \n, \f, \r) in a header value to one space. */
export function collapseWhitespace(value: string): string {
  return value.replace(/[ \t\n\f\r]+/g, ' ');
}
