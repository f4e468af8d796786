import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  canonicalQuery,
  canonicalUriCandidates,
  parseAuthorization,
  parseSdkDate,
  verifySignature,
} from '../../src/auth/signature.ts';

// The worked examples of docs/sdk-wire.md §1.4: output of the official SDK
// signer with Date.now fixed at 2024-01-02T03:04:05Z.
const PID = '0123456789abcdef0123456789abcdef';
const AK = 'EXAMPLEAK0123456789AB';
const SK = 'EXAMPLESK0123456789abcdefghijklmnopqrstuv';
const NOW = Date.UTC(2024, 0, 2, 3, 4, 5);
const BASE_HEADERS = {
  'content-type': 'application/json',
  'x-project-id': PID,
  'x-sdk-date': '20240102T030405Z',
  host: '127.0.0.1:8080',
};

function verifyVector(opts: {
  method: string;
  url: string;
  body?: string;
  signature: string;
  extra?: Record<string, string>;
  credential?: string;
}) {
  const headers = { ...BASE_HEADERS, ...opts.extra };
  const signed = Object.keys(headers).sort().join(';');
  const alg = opts.credential
    ? `V11-HMAC-SHA256 Credential=${opts.credential}`
    : `SDK-HMAC-SHA256 Access=${AK}`;
  const auth = parseAuthorization(`${alg}, SignedHeaders=${signed}, Signature=${opts.signature}`);
  assert.ok(auth, 'authorization parses');
  return verifySignature(
    { method: opts.method, rawUrl: opts.url, headers, body: opts.body ? Buffer.from(opts.body) : undefined },
    auth,
    SK,
    { now: NOW, maxSkewMs: 15 * 60_000 },
  );
}

const VECTORS = [
  {
    name: 'A: GET list with query',
    method: 'GET',
    url: `/v1/${PID}/vpc-endpoints?limit=10&offset=0&endpoint_service_name=com.example%20svc&sort_key=created_at`,
    signature: 'e92e600e90f96af61833932e4ca9d0853bd95379a6a38b99717661cb028934d2',
  },
  {
    name: 'B: POST with body',
    method: 'POST',
    url: `/v1/${PID}/vpc-endpoints`,
    body: '{"endpoint_service_id":"11111111-2222-3333-4444-555555555555","vpc_id":"66666666-7777-8888-9999-000000000000","subnet_id":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","enable_dns":true}',
    signature: '5b0d39e6e48cf01c49784a959795f92464e3b593bf829b1bf87a148244c15f8d',
  },
  {
    name: 'C: DELETE',
    method: 'DELETE',
    url: `/v1/${PID}/vpc-endpoints/11111111-2222-3333-4444-555555555555`,
    signature: 'b569babd15a3f9cdc1d1b5335b0b3b42ac18e08946242524076cb66c08c7ef53',
  },
  {
    name: 'D: security token signed too',
    method: 'GET',
    url: `/v1/${PID}/vpc-endpoints`,
    signature: 'c7102425275f871acedda4afeb14c128b8102e39e2cf8ce3ecdda588e2e992a7',
    extra: { 'x-security-token': 'EXAMPLE-SECURITY-TOKEN' },
  },
  {
    name: 'E: quotas',
    method: 'GET',
    url: `/v1/${PID}/quotas?type=endpoint`,
    signature: 'df7793e1ea11400875b748acadf246ad70eb42b1506a24212d16789ef3ee88df',
  },
  {
    name: 'F: derived V11',
    method: 'GET',
    url: `/v1/${PID}/vpc-endpoints`,
    signature: 'a8d7404a45302ada345e17f42e9987bff687fd640680b1138bfea178cd9547d7',
    credential: `${AK}/20240102/cn-north-4/vpcep`,
  },
];

for (const v of VECTORS) {
  test(`sdk-wire vector ${v.name} verifies`, () => {
    assert.deepEqual(verifyVector(v), { ok: true });
  });
  test(`sdk-wire vector ${v.name} fails with a flipped signature digit`, () => {
    const flipped = v.signature.slice(0, -1) + (v.signature.endsWith('0') ? '1' : '0');
    assert.equal(verifyVector({ ...v, signature: flipped }).ok, false);
  });
}

test('the date must lie within the window', () => {
  const v = VECTORS[0]!;
  const headers = { ...BASE_HEADERS };
  const auth = parseAuthorization(
    `SDK-HMAC-SHA256 Access=${AK}, SignedHeaders=${Object.keys(headers).sort().join(';')}, Signature=${v.signature}`,
  )!;
  const req = { method: v.method, rawUrl: v.url, headers, body: undefined };
  assert.equal(verifySignature(req, auth, SK, { now: NOW + 15 * 60_000, maxSkewMs: 15 * 60_000 }).ok, true);
  const late = verifySignature(req, auth, SK, { now: NOW + 15 * 60_000 + 1000, maxSkewMs: 15 * 60_000 });
  assert.deepEqual(late, { ok: false, reason: 'X-Sdk-Date outside the allowed window' });
});

test('a signed header that is missing from the request fails', () => {
  const v = VECTORS[0]!;
  const auth = parseAuthorization(
    `SDK-HMAC-SHA256 Access=${AK}, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=${v.signature}`,
  )!;
  const { host: _host, ...headers } = BASE_HEADERS;
  const res = verifySignature({ method: 'GET', rawUrl: v.url, headers, body: undefined }, auth, SK, {
    now: NOW,
    maxSkewMs: 60_000,
  });
  assert.equal(res.ok, false);
});

test('parseAuthorization rejects malformed headers', () => {
  assert.equal(parseAuthorization(undefined), undefined);
  assert.equal(parseAuthorization('Bearer abc'), undefined);
  assert.equal(parseAuthorization('SDK-HMAC-SHA256 Access=AK, SignedHeaders=host'), undefined);
  assert.equal(parseAuthorization('SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature=zz'), undefined);
  assert.equal(
    parseAuthorization(
      `V11-HMAC-SHA256 Credential=AK/2024/x, SignedHeaders=host, Signature=${'a'.repeat(64)}`,
    ),
    undefined,
  );
  const ok = parseAuthorization(
    `SDK-HMAC-SHA256 Access=AK, SignedHeaders=Host;X-Sdk-Date, Signature=${'a'.repeat(64)}`,
  );
  assert.deepEqual(ok?.signedHeaders, ['host', 'x-sdk-date']);
});

test('canonical query matches the recipe of sdk-wire §1.2', () => {
  assert.equal(
    canonicalQuery("name=a!b*c'(d)%20%C3%A9%2B~&tags=z&tags=a&flag=true&b="),
    'b=&flag=true&name=a%21b%2Ac%27%28d%29%20%C3%A9%2B~&tags=a&tags=z',
  );
  assert.equal(canonicalQuery('key&x=1'), 'key=&x=1');
  assert.equal(canonicalQuery(''), '');
});

test('canonical URI candidates cover raw, decoded and double-slash spellings', () => {
  assert.deepEqual(canonicalUriCandidates('/v1/%7Bproject_id%7D/x'), [
    '/v1/%257Bproject_id%257D/x/',
    '/v1/%7Bproject_id%7D/x/',
    '//v1/%257Bproject_id%257D/x/',
  ]);
});

test('parseSdkDate accepts only the basic ISO format', () => {
  assert.equal(parseSdkDate('20240102T030405Z'), NOW);
  assert.equal(parseSdkDate('2024-01-02T03:04:05Z'), undefined);
  assert.equal(parseSdkDate(undefined), undefined);
});

test('verification never throws on arbitrary input', () => {
  fc.assert(
    fc.property(fc.string(), fc.string(), fc.dictionary(fc.string(), fc.string()), (url, authz, hdrs) => {
      const auth = parseAuthorization(authz);
      if (!auth) return;
      const headers = Object.fromEntries(Object.entries(hdrs).map(([k, v]) => [k.toLowerCase(), v]));
      verifySignature({ method: 'GET', rawUrl: url, headers, body: undefined }, auth, SK, {
        now: NOW,
        maxSkewMs: 1,
      });
    }),
    { numRuns: 300 },
  );
});
