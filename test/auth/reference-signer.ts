// The SDK-HMAC-SHA256 recipe written out step by step, independently of
// src/auth/signature.ts, for requests no official signer emits (an
// X-Sdk-Content-Sha256 left out of SignedHeaders, a payload hash that lies):
// tests need them to prove the server refuses what a careless or hostile client
// could sign. Only plain ASCII paths and an already canonical query are covered.
import { createHash, createHmac } from 'node:crypto';

export interface ReferenceSignInput {
  method: string;
  /** Wire path without query, e.g. `/v1/<project>/vpcs`. */
  path: string;
  /** Canonical query string (sorted, encoded), or '' for none. */
  query?: string;
  /** Header names in lower case; every one is signed unless `signedHeaders` says otherwise. */
  headers: Record<string, string>;
  signedHeaders?: string[];
  /** The last line of the canonical request: a body hash or `UNSIGNED-PAYLOAD`. */
  payloadHash: string;
  ak: string;
  sk: string;
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `YYYYMMDDTHHMMSSZ` of `ms`. */
export function sdkDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** The `Authorization` header value for `input`. */
export function referenceAuthorization(input: ReferenceSignInput): string {
  const signed = input.signedHeaders ?? Object.keys(input.headers).sort();
  const date = input.headers['x-sdk-date'];
  if (date === undefined) throw new Error('x-sdk-date is required');
  const canonicalHeaders = signed.map((name) => `${name}:${(input.headers[name] ?? '').trim()}\n`).join('');
  const canonicalRequest = [
    input.method,
    input.path.endsWith('/') ? input.path : `${input.path}/`,
    input.query ?? '',
    canonicalHeaders,
    signed.join(';'),
    input.payloadHash,
  ].join('\n');
  const stringToSign = `SDK-HMAC-SHA256\n${date}\n${sha256Hex(canonicalRequest)}`;
  const signature = createHmac('sha256', input.sk).update(stringToSign).digest('hex');
  return `SDK-HMAC-SHA256 Access=${input.ak}, SignedHeaders=${signed.join(';')}, Signature=${signature}`;
}
