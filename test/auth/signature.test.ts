import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  MAX_AUTHORIZATION_LENGTH,
  MAX_SIGNED_HEADERS,
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
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const BASE_HEADERS = {
  'content-type': 'application/json',
  'x-project-id': PID,
  'x-sdk-date': '20240102T030405Z',
  host: '127.0.0.1:8080',
};

interface Vector {
  name?: string;
  method: string;
  url: string;
  body?: string;
  signature: string;
  extra?: Record<string, string>;
  credential?: string;
  /** SignedHeaders as the client declared it; all headers when absent. */
  signedHeaders?: string[];
}

function verifyVector(opts: Vector) {
  const headers = { ...BASE_HEADERS, ...opts.extra };
  const signed = (opts.signedHeaders ?? Object.keys(headers).sort()).join(';');
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

const B_BODY =
  '{"endpoint_service_id":"11111111-2222-3333-4444-555555555555","vpc_id":"66666666-7777-8888-9999-000000000000","subnet_id":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","enable_dns":true}';
const B_BODY_SHA256 = 'b5d8924a280ba191c056bd213d8873647c779d7801c6ee927fd5462a2828d9d1';
const OTHER_BODY = B_BODY.replace('"enable_dns":true', '"enable_dns":false');

const VECTORS: Vector[] = [
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
    body: B_BODY,
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
  {
    // The Node core's output for a non-JSON content type: it adds
    // `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD` before signing, so the header is signed.
    name: 'G: UNSIGNED-PAYLOAD, signed',
    method: 'POST',
    url: `/v1/${PID}/vpc-endpoints`,
    body: B_BODY,
    signature: '129ffb32513ccc71f03a2b5a7f18b5c6cca2f53e73c30c6b4cdc047e485c150c',
    extra: { 'content-type': 'application/json;charset=UTF-8', 'x-sdk-content-sha256': 'UNSIGNED-PAYLOAD' },
  },
  {
    // A client (Go, Python) that declares the body's real hash itself, signed.
    name: 'I: declared hash equal to the body, signed',
    method: 'POST',
    url: `/v1/${PID}/vpc-endpoints`,
    body: B_BODY,
    signature: 'cc7105bae0007431c8e029247683ed25d2c5df0ad78b439279a584570ac4c63f',
    extra: { 'x-sdk-content-sha256': B_BODY_SHA256 },
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

const vector = (name: string) => VECTORS.find((v) => v.name?.startsWith(`${name}:`))!;

test('the body of a vector B request cannot be replaced, even by declaring its old hash', () => {
  const b = vector('B');
  assert.equal(verifyVector({ ...b, body: OTHER_BODY }).ok, false);
  // The captured request, another body, and the captured body's hash in an added, unsigned header.
  const replayed = verifyVector({
    ...b,
    body: OTHER_BODY,
    extra: { 'x-sdk-content-sha256': B_BODY_SHA256 },
    signedHeaders: Object.keys(BASE_HEADERS).sort(),
  });
  assert.deepEqual(replayed, { ok: false, reason: 'X-Sdk-Content-Sha256 is not signed' });
});

test('a signed, declared hash that does not match the body is refused', () => {
  const res = verifyVector({ ...vector('I'), body: OTHER_BODY });
  assert.deepEqual(res, { ok: false, reason: 'X-Sdk-Content-Sha256 does not match the body' });
});

test('a declared hash is compared with the body whatever its letter case', () => {
  // Signed over the upper-case spelling (the canonical request carries what the client declared).
  const upper = {
    ...vector('I'),
    signature: '85a7b50492bcd05e92ad18437522ddb2e4927ea8e296f6d1e17ad94bc10bbc66',
    extra: { 'x-sdk-content-sha256': B_BODY_SHA256.toUpperCase() },
  };
  assert.deepEqual(verifyVector(upper), { ok: true });
  assert.deepEqual(verifyVector({ ...upper, body: OTHER_BODY }), {
    ok: false,
    reason: 'X-Sdk-Content-Sha256 does not match the body',
  });
});

test('UNSIGNED-PAYLOAD left out of SignedHeaders is refused', () => {
  // Signed by the published recipe over payload hash UNSIGNED-PAYLOAD, with SignedHeaders
  // not naming x-sdk-content-sha256: anyone could add the header to any captured request.
  const res = verifyVector({
    method: 'POST',
    url: `/v1/${PID}/vpc-endpoints`,
    body: B_BODY,
    signature: '2f93c123326abd4d3e53bf1f674daa25ee38b90d557d219f863c852a4fc2678c',
    extra: { 'content-type': 'application/json;charset=UTF-8', 'x-sdk-content-sha256': 'UNSIGNED-PAYLOAD' },
    signedHeaders: ['content-type', 'host', 'x-project-id', 'x-sdk-date'],
  });
  assert.deepEqual(res, { ok: false, reason: 'X-Sdk-Content-Sha256 is not signed' });
});

test('any other declared payload hash is refused', () => {
  for (const value of ['', 'unsigned-payload', 'UNSIGNED-PAYLOAD ,x', EMPTY_SHA256, 'a'.repeat(64)]) {
    const res = verifyVector({ ...vector('G'), extra: { 'x-sdk-content-sha256': value } });
    assert.equal(res.ok, false, value);
  }
});

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

/**
 * RFC 3986 encoding of UTF-8 text by the platform's own encoder, apart from the
 * code under test: encodeURIComponent leaves `!'()*` as they are, RFC 3986 does not.
 */
function rfc3986(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

const UNRESERVED_CHARS = 'ABCXYZabcxyz0189-_.~';

test('a plain path has the raw spelling, the same decoded, and the double-slash one, as the encoding gives', () => {
  const plainPath = fc
    .array(fc.constantFrom(...UNRESERVED_CHARS, '/'), { maxLength: 40 })
    .map((chars) => chars.join(''));
  fc.assert(
    fc.property(plainPath, (path) => {
      const encoded = path.split('/').map(rfc3986).join('/');
      const raw = encoded.endsWith('/') ? encoded : `${encoded}/`;
      assert.deepEqual(canonicalUriCandidates(path), [raw, `/${raw}`]);
    }),
    { numRuns: 500 },
  );
  for (const path of ['', '/', '//', '/v1/x', '/v1/x/']) {
    const raw = path.endsWith('/') ? path : `${path}/`;
    assert.deepEqual(canonicalUriCandidates(path), [raw, `/${raw}`], path);
  }
});

test('a path with one character outside the unreserved set still gets every spelling', () => {
  assert.deepEqual(canonicalUriCandidates('/v1/a%41'), ['/v1/a%2541/', '/v1/aA/', '//v1/a%2541/']);
  // The wire's bytes, one character each: é arrives as the byte E9.
  const odd: [string, string][] = [
    [' ', '%20'],
    ['!', '%21'],
    ['+', '%2B'],
    ['%', '%25'],
    ['\u0000', '%00'],
    ['é', '%E9'],
    ['*', '%2A'],
    [':', '%3A'],
    ['@', '%40'],
  ];
  for (const [char, encoded] of odd) {
    const path = `/v1/p${char}q`;
    // Decoded and encoded again, each gives the raw spelling back: two spellings remain.
    assert.deepEqual(
      canonicalUriCandidates(path),
      [`/v1/p${encoded}q/`, `//v1/p${encoded}q/`],
      JSON.stringify(path),
    );
  }
});

test('canonical query values: plain ones as they are, every other one encoded by the byte', () => {
  const chars = fc.constantFrom(
    ...UNRESERVED_CHARS,
    ' ',
    '!',
    "'",
    '(',
    ')',
    '*',
    '+',
    '%',
    '=',
    '&',
    'é',
    '中',
    '😀',
    '\u0000',
  );
  fc.assert(
    fc.property(
      fc.array(chars, { maxLength: 20 }).map((c) => c.join('')),
      (value) => {
        const query = `k=${encodeURIComponent(value)}`;
        assert.equal(canonicalQuery(query), `k=${rfc3986(value)}`);
      },
    ),
    { numRuns: 500 },
  );
});

test('parseSdkDate accepts only the basic ISO format', () => {
  assert.equal(parseSdkDate('20240102T030405Z'), NOW);
  assert.equal(parseSdkDate('2024-01-02T03:04:05Z'), undefined);
  assert.equal(parseSdkDate(undefined), undefined);
});

test('parseSdkDate refuses dates that only roll over into a real one', () => {
  assert.equal(parseSdkDate('20240229T235959Z'), Date.UTC(2024, 1, 29, 23, 59, 59));
  for (const v of ['20231301T000000Z', '20240132T000000Z', '20230229T000000Z', '20240102T240000Z']) {
    assert.equal(parseSdkDate(v), undefined, v);
  }
  assert.equal(parseSdkDate('20240102T030460Z'), undefined);
  assert.equal(parseSdkDate(`20240102T030405Z${'0'.repeat(100_000)}`), undefined);
});

test('parseAuthorization bounds what an anonymous client may declare', () => {
  const sig = 'a'.repeat(64);
  const ok = (signed: string, ak = 'AK') =>
    `SDK-HMAC-SHA256 Access=${ak}, SignedHeaders=${signed}, Signature=${sig}`;
  assert.ok(parseAuthorization(ok('host;x-sdk-date')));
  const many = Array.from({ length: MAX_SIGNED_HEADERS }, (_, i) => `x-h${i}`).join(';');
  assert.equal(parseAuthorization(ok(many))?.signedHeaders.length, MAX_SIGNED_HEADERS);
  for (const bad of [
    ok(`${many};x-one-more`),
    ok('host;x-sdk-date;host'),
    ok('host;HOST'),
    ok('host;x sdk'),
    ok('host;x\u0000'),
    ok('host', 'A'.repeat(129)),
    ok('host', 'AK/../x'),
    ok('host', 'AK\u0000'),
    `${ok('host')}, Access=OTHERAK`,
    `${ok('host')}, x=${'y'.repeat(MAX_AUTHORIZATION_LENGTH)}`,
    `V11-HMAC-SHA256 Credential=AK/20240102/${'r'.repeat(65)}/vpc, SignedHeaders=host, Signature=${sig}`,
    `V11-HMAC-SHA256 Credential=A K/20240102/r/vpc, SignedHeaders=host, Signature=${sig}`,
  ]) {
    assert.equal(parseAuthorization(bad), undefined, bad.slice(0, 120));
  }
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
