// The `SDK-HMAC-SHA256 Credential=` signer of gophertelekomcloud (the Open
// Telekom Cloud Go SDK behind its Terraform provider), written out from the
// published algorithm independently of src/auth, so tests can sign requests the
// way that client does. Like the Go client, it signs every header present when
// it runs (plus Host and X-Sdk-Date, which it adds) and leaves the caller to add
// X-Project-Id, X-Domain-Id and X-Security-Token afterwards, unsigned.
import { createHash, createHmac } from 'node:crypto';
import { sdkDate } from './reference-signer.ts';

export interface GopherSignInput {
  method: string;
  /** Absolute URL as the client requests it; its host (with port) becomes the signed Host. */
  url: string;
  /** Headers present before signing, e.g. Accept, User-Agent, Content-Type. */
  headers?: Record<string, string>;
  /** Body bytes; undefined is Go's nil body (a POST then hashes its query instead). */
  body?: string;
  ak: string;
  sk: string;
  /** Signing time, ms since the epoch. */
  at: number;
  region?: string;
  service?: string;
}

export interface GopherSigned {
  /** Every header to send, Authorization included. */
  headers: Record<string, string>;
  signedHeaders: string[];
  canonicalRequest: string;
  signingKeyHex: string;
  authorization: string;
}

const sha256 = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

function escape(bytes: Buffer, keepSlash: boolean, spaceAsPlus: boolean): string {
  let out = '';
  for (const b of bytes) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9._~-]/.test(c) || (keepSlash && c === '/')) out += c;
    else if (spaceAsPlus && c === ' ') out += '+';
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function gopherSign(input: GopherSignInput): GopherSigned {
  const url = new URL(input.url);
  const date = sdkDate(input.at);
  const headers: Record<string, string> = {
    ...input.headers,
    Host: url.host,
    'X-Sdk-Date': date,
  };
  const names = Object.keys(headers).sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));
  const signedHeaders = names.map((n) => n.toLowerCase());

  // Go's URL.Query(): '+' is a space; the signer keeps the first value of each key.
  const firstValues = new Map<string, string>();
  for (const [k, v] of new URLSearchParams(url.search)) if (!firstValues.has(k)) firstValues.set(k, v);
  const nilBodyPost = input.method === 'POST' && input.body === undefined;
  const query = nilBodyPost
    ? ''
    : [...firstValues]
        .map(([k, v]) => [escape(Buffer.from(k), false, false), escape(Buffer.from(v), false, false)])
        .sort((a, b) => (a[0]!.toLowerCase() < b[0]!.toLowerCase() ? -1 : 1))
        .map(([k, v]) => `${k}=${v}`)
        .join('&');

  const declared = Object.entries(headers).find(([k]) => k.toLowerCase() === 'x-sdk-content-sha256')?.[1];
  const payload =
    declared ??
    sha256(
      nilBodyPost
        ? [...firstValues]
            .sort((a, b) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])))
            .map(([k, v]) => `${escape(Buffer.from(k), false, true)}=${escape(Buffer.from(v), false, true)}`)
            .join('&')
        : (input.body ?? ''),
    );

  let path = decodeURIComponent(url.pathname);
  if (!path.endsWith('/')) path += '/';
  const canonicalRequest = [
    input.method,
    escape(Buffer.from(path), true, false),
    query,
    names.map((n) => `${n.toLowerCase()}:${(headers[n] ?? '').replace(/\s+/g, ' ')}\n`).join(''),
    signedHeaders.join(';'),
    payload,
  ].join('\n');

  const scope = `${date.slice(0, 8)}/${input.region ?? ''}/${input.service ?? ''}/sdk_request`;
  const stringToSign = `SDK-HMAC-SHA256\n${date}\n${scope}\n${sha256(canonicalRequest)}`;
  const kDate = hmac(`SDK${input.sk}`, date.slice(0, 8));
  const key = hmac(hmac(hmac(kDate, input.region ?? ''), input.service ?? ''), 'sdk_request');
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  const authorization = `SDK-HMAC-SHA256 Credential=${input.ak}/${scope}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`;
  return {
    headers: { ...headers, Authorization: authorization },
    signedHeaders,
    canonicalRequest,
    signingKeyHex: key.toString('hex'),
    authorization,
  };
}
