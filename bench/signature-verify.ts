// What checking one AK/SK signature costs the server, in one process, against
// the two hashes no check can skip (SHA-256 of the canonical request and the
// HMAC over the string to sign), measured in the same run.
//
// Usage:
//   node --import tsx bench/signature-verify.ts [--rounds 5] [--calls 100000]
//
//   --rounds N  rounds, alternating the cases (default 5); medians are printed
//   --calls N   calls per case and round (default 100000)
//
// The request is what the official signers send for GET of one endpoint: a
// plain path of ids, no query, no body, four signed headers. A second case
// adds a query of two values, as a list does. Each call parses nothing: the
// Authorization header is parsed once, as the server keeps it per request.
import { createHash, createHmac } from 'node:crypto';
import { parseArgs } from 'node:util';
import { parseAuthorization, verifySignature, type SignedRequest } from '../src/auth/signature.ts';
import { referenceAuthorization, sdkDate } from '../test/auth/reference-signer.ts';
import { fmtLoad, median, positiveInt, table } from './support/report.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string' }, calls: { type: 'string' } } });
const rounds = positiveInt('rounds', values.rounds, 5, 50);
const calls = positiveInt('calls', values.calls, 100_000, 10_000_000);

const AK = 'BENCHAK0123456789ABCD';
const SK = 'BENCHSK0123456789abcdefghijklmnopqrstuvw';
const PROJECT = '0a1b2c3d4e5f67890a1b2c3d4e5f6789';
const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');
const now = Date.now();

/** A GET signed as the official signers sign it (canonical URI with a trailing slash). */
function signedGet(path: string, query: string): { req: SignedRequest; sdkDate: string } {
  const headers: Record<string, string> = {
    host: '127.0.0.1:8080',
    'content-type': 'application/json',
    'x-project-id': PROJECT,
    'x-sdk-date': sdkDate(now),
  };
  const authorization = referenceAuthorization({
    method: 'GET',
    path: `${path}/`,
    query,
    headers,
    payloadHash: EMPTY_SHA256,
    ak: AK,
    sk: SK,
  });
  return {
    req: {
      method: 'GET',
      rawUrl: query === '' ? path : `${path}?${query}`,
      headers: { ...headers, authorization },
      body: undefined,
    },
    sdkDate: headers['x-sdk-date'] ?? '',
  };
}

const cases = {
  'GET one endpoint': signedGet(`/v1/${PROJECT}/vpc-endpoints/4189d3c2-8882-4871-a3c2-d380272eed83`, ''),
  'GET a list (limit, offset)': signedGet(`/v1/${PROJECT}/vpc-endpoints`, 'limit=10&offset=20'),
};

function microsPerCall(fn: () => boolean): number {
  const t0 = performance.now();
  let ok = 0;
  for (let i = 0; i < calls; i++) if (fn()) ok++;
  const us = ((performance.now() - t0) * 1000) / calls;
  if (ok !== calls) throw new Error(`only ${ok} of ${calls} calls succeeded`);
  return us;
}

const samples = new Map<string, { verify: number[]; hashes: number[] }>();
for (let round = 0; round < rounds; round++) {
  const order = Object.entries(cases);
  if (round % 2 === 1) order.reverse();
  for (const [label, c] of order) {
    const auth = parseAuthorization(c.req.headers.authorization);
    if (auth === undefined) throw new Error('the bench request did not parse');
    const verify = microsPerCall(() => verifySignature(c.req, auth, SK, { now, maxSkewMs: 900_000 }).ok);
    // The floor: hashing a canonical request of the same length, then the HMAC.
    const canonical = 'x'.repeat(c.req.rawUrl.length + 200);
    const hashes = microsPerCall(() => {
      const digest = createHash('sha256').update(canonical).digest('hex');
      return createHmac('sha256', SK).update(`SDK-HMAC-SHA256\n${c.sdkDate}\n${digest}`).digest('hex') !== '';
    });
    const s = samples.get(label) ?? { verify: [], hashes: [] };
    s.verify.push(verify);
    s.hashes.push(hashes);
    samples.set(label, s);
  }
}

console.log(`node ${process.version}; ${rounds} rounds of ${calls} calls; load average ${fmtLoad()}`);
console.log(
  table([
    ['request', 'verify µs (median)', 'the two hashes µs', 'verify ÷ hashes', 'verify per round µs'],
    ...[...samples].map(([label, s]) => [
      label,
      median(s.verify).toFixed(2),
      median(s.hashes).toFixed(2),
      `${(median(s.verify) / median(s.hashes)).toFixed(2)}×`,
      s.verify.map((v) => v.toFixed(2)).join(' '),
    ]),
  ]),
);
