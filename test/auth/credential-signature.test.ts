// The `SDK-HMAC-SHA256 Credential=AK/<date>/<region>/<service>/sdk_request` form
// (gophertelekomcloud). The vectors were computed from the published algorithm
// (research notes G1–G6, with the keys of docs/sdk-wire.md §1.4); the test-side
// signer in gopher-signer.ts reproduces them, which is what lets the black-box
// tests trust it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { credentialSigningKey } from '../../src/auth/credential-form.ts';
import { canonicalQuery, parseAuthorization, verifySignature } from '../../src/auth/signature.ts';
import { gopherSign, type GopherSignInput } from './gopher-signer.ts';

const AK = 'EXAMPLEAK0123456789AB';
const SK = 'EXAMPLESK0123456789abcdefghijklmnopqrstuv';
const PID = '0123456789abcdef0123456789abcdef';
const NOW = Date.UTC(2024, 0, 2, 3, 4, 5);
const BASE = 'http://127.0.0.1:8080';
const GO_HEADERS = { Accept: 'application/json', 'User-Agent': 'golangsdk/2.0.0' };
const B_BODY =
  '{"endpoint_service_id":"11111111-2222-3333-4444-555555555555","vpc_id":"66666666-7777-8888-9999-000000000000","subnet_id":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","enable_dns":true}';

interface Vector {
  name: string;
  input: Omit<GopherSignInput, 'ak' | 'sk' | 'at'>;
  signedHeaders: string;
  signature: string;
}

const VECTORS: Vector[] = [
  {
    name: 'G1: GET list with query',
    input: {
      method: 'GET',
      url: `${BASE}/v1/${PID}/vpc-endpoint-services?limit=10&offset=0`,
      headers: GO_HEADERS,
    },
    signedHeaders: 'accept;host;user-agent;x-sdk-date',
    signature: '6f0e7ab4a80e3cdbaceb1e43e2b8d4704d549d3fcebe1be27279ebaa394bf66f',
  },
  {
    name: 'G2: POST with a JSON body',
    input: {
      method: 'POST',
      url: `${BASE}/v1/${PID}/vpc-endpoints`,
      headers: { 'Content-Type': 'application/json', ...GO_HEADERS },
      body: B_BODY,
    },
    signedHeaders: 'accept;content-type;host;user-agent;x-sdk-date',
    signature: '689146e5ac2ece3cd01ba7804c28632567976dee92906667c89f8becb309e7c5',
  },
  {
    name: 'G3: the start-up catalog call',
    input: { method: 'GET', url: `${BASE}/v3/auth/catalog`, headers: GO_HEADERS },
    signedHeaders: 'accept;host;user-agent;x-sdk-date',
    signature: '5feca3bc1a2a2434aa5707161c70f66f09e11091f4ebe946ca139c0a16d1e7a1',
  },
  {
    name: 'G4: query encoding (+, %2B, case-insensitive key order)',
    input: {
      method: 'GET',
      url: `${BASE}/v3/projects?name=eu-de_my+proj%2Bx&Zeta=1&alpha=2`,
      headers: GO_HEADERS,
    },
    signedHeaders: 'accept;host;user-agent;x-sdk-date',
    signature: '31b999c1f70c7719ae014ba7a428f998e486added2edc2ea1a59a2b4212396df',
  },
  {
    name: 'G5: POST with a nil body hashes its query',
    input: { method: 'POST', url: `${BASE}/v1/${PID}/x?b=2&a=1`, headers: GO_HEADERS },
    signedHeaders: 'accept;host;user-agent;x-sdk-date',
    signature: '35aa4041f329ac213bd289c344e24ecafba9520b592c57f826c371edc009b5f7',
  },
  {
    name: 'G6: region and service in the scope',
    input: {
      method: 'GET',
      url: `${BASE}/v1/${PID}/vpc-endpoint-services?limit=10&offset=0`,
      headers: GO_HEADERS,
      region: 'eu-de',
      service: 'vpcep',
    },
    signedHeaders: 'accept;host;user-agent;x-sdk-date',
    signature: '850def26ab10ea34b2b7e5bf177d54067203e6bf318d8b82e3979774652edac1',
  },
];

const vector = (prefix: string) => VECTORS.find((v) => v.name.startsWith(`${prefix}:`))!;

interface Wire {
  method: string;
  rawUrl: string;
  headers: Record<string, string>;
  body: string | undefined;
}

/** The request as a Node server receives it: lower-case names, X-Project-Id added after signing. */
function wireOf(v: Vector): Wire {
  const signed = gopherSign({ ...v.input, ak: AK, sk: SK, at: NOW });
  const url = new URL(v.input.url);
  const headers: Record<string, string> = { 'x-project-id': PID };
  for (const [k, val] of Object.entries(signed.headers)) headers[k.toLowerCase()] = val;
  return { method: v.input.method, rawUrl: url.pathname + url.search, headers, body: v.input.body };
}

function verify(w: Wire, now = NOW) {
  const auth = parseAuthorization(w.headers.authorization);
  if (!auth) return { ok: false as const, reason: 'unparsed' };
  return verifySignature(
    {
      method: w.method,
      rawUrl: w.rawUrl,
      headers: w.headers,
      body: w.body === undefined ? undefined : Buffer.from(w.body),
    },
    auth,
    SK,
    { now, maxSkewMs: 15 * 60_000 },
  );
}

test('the test-side signer reproduces every published vector', () => {
  for (const v of VECTORS) {
    const signed = gopherSign({ ...v.input, ak: AK, sk: SK, at: NOW });
    const scope = `20240102/${v.input.region ?? ''}/${v.input.service ?? ''}/sdk_request`;
    assert.equal(
      signed.authorization,
      `SDK-HMAC-SHA256 Credential=${AK}/${scope}, SignedHeaders=${v.signedHeaders}, Signature=${v.signature}`,
      v.name,
    );
  }
});

test('the signing key is derived from SK, date, region and service (G1 and G6 keys)', () => {
  assert.equal(
    credentialSigningKey(SK, { date: '20240102', region: '', service: '' }).toString('hex'),
    '31b02ab61a6475b349d36296b560d05b8ff36b27306f12b14239af395e304758',
  );
  assert.equal(
    credentialSigningKey(SK, { date: '20240102', region: 'eu-de', service: 'vpcep' }).toString('hex'),
    '8c48cea074abd51b49357d34364ea59b90f029210d84d9f38b7714391e9d9b3d',
  );
});

for (const v of VECTORS) {
  test(`Credential= vector ${v.name} verifies, with X-Project-Id unsigned`, () => {
    const w = wireOf(v);
    assert.ok(!w.headers.authorization?.includes('x-project-id'));
    assert.deepEqual(verify(w), { ok: true });
  });
  test(`Credential= vector ${v.name} fails with a flipped signature digit`, () => {
    const w = wireOf(v);
    const flipped = v.signature.slice(0, -1) + (v.signature.endsWith('0') ? '1' : '0');
    w.headers.authorization = w.headers.authorization!.replace(v.signature, flipped);
    assert.deepEqual(verify(w), { ok: false, reason: 'signature mismatch' });
  });
}

test('a changed query value, path, body or signed header is refused', () => {
  const g1 = wireOf(vector('G1'));
  assert.equal(verify({ ...g1, rawUrl: g1.rawUrl.replace('limit=10', 'limit=11') }).ok, false);
  assert.equal(verify({ ...g1, rawUrl: g1.rawUrl.replace(PID, PID.replace('0', '1')) }).ok, false);
  assert.equal(verify({ ...g1, headers: { ...g1.headers, host: '127.0.0.1:8081' } }).ok, false);
  assert.equal(verify({ ...g1, headers: { ...g1.headers, 'user-agent': 'golangsdk/2.0.1' } }).ok, false);
  const g2 = wireOf(vector('G2'));
  assert.equal(verify({ ...g2, body: B_BODY.replace('true', 'false') }).ok, false);
  assert.equal(verify({ ...g2, body: undefined }).ok, false);
});

test('query parts this signer would leave unsigned make the request unverifiable', () => {
  const g1 = wireOf(vector('G1'));
  // Go signs only the first value of a key, and drops pieces with ';' or a bad escape;
  // a replayer could add any of them and the signature would still hold.
  for (const extra of ['&limit=1000', '&x=1;y=2', '&x=%zz', '&%zz=1', '&limit']) {
    assert.deepEqual(
      verify({ ...g1, rawUrl: g1.rawUrl + extra }),
      { ok: false, reason: 'part of the query would not be signed' },
      extra,
    );
  }
  // Empty pieces carry nothing, as in Go.
  assert.deepEqual(verify({ ...g1, rawUrl: `${g1.rawUrl}&&` }), { ok: true });
});

test('+ and %20 are the same space; %2B is a plus', () => {
  const g4 = wireOf(vector('G4'));
  assert.deepEqual(verify({ ...g4, rawUrl: g4.rawUrl.replace('my+proj', 'my%20proj') }), { ok: true });
  assert.equal(verify({ ...g4, rawUrl: g4.rawUrl.replace('proj%2Bx', 'proj+x') }).ok, false);
});

test('a nil-body POST binds its query through the payload hash, and only with an empty body', () => {
  const g5 = wireOf(vector('G5'));
  assert.deepEqual(verify({ ...g5, rawUrl: g5.rawUrl.replace('b=2&a=1', 'a=1&b=2') }), { ok: true });
  assert.equal(verify({ ...g5, rawUrl: g5.rawUrl.replace('b=2', 'b=3') }).ok, false);
  assert.equal(verify({ ...g5, body: '{}' }).ok, false);
  // A declared payload hash would leave the query unsigned in this spelling: not accepted.
  const declared = { ...g5.headers, 'x-sdk-content-sha256': 'UNSIGNED-PAYLOAD' };
  assert.equal(verify({ ...g5, headers: declared }).ok, false);
});

test('the payload-hash rule is the shared one: an unsigned X-Sdk-Content-Sha256 is refused', () => {
  const g2 = wireOf(vector('G2'));
  const other = B_BODY.replace('true', 'false');
  const replayed = {
    ...g2,
    body: other,
    headers: { ...g2.headers, 'x-sdk-content-sha256': 'UNSIGNED-PAYLOAD' },
  };
  assert.deepEqual(verify(replayed), { ok: false, reason: 'X-Sdk-Content-Sha256 is not signed' });
});

test('a signed X-Sdk-Content-Sha256 must be UNSIGNED-PAYLOAD or the hash of the body', () => {
  const input = (declared: string) =>
    ({
      method: 'POST',
      url: `${BASE}/v1/${PID}/vpc-endpoints`,
      headers: { 'Content-Type': 'application/json', 'X-Sdk-Content-Sha256': declared, ...GO_HEADERS },
      body: B_BODY,
    }) as const;
  const w = (declared: string) =>
    wireOf({ name: 'x', input: input(declared), signedHeaders: '', signature: '' });
  assert.deepEqual(verify(w('UNSIGNED-PAYLOAD')), { ok: true });
  assert.deepEqual(verify(w('a'.repeat(64))), {
    ok: false,
    reason: 'X-Sdk-Content-Sha256 does not match the body',
  });
});

test('whitespace runs inside a signed header value count as one space', () => {
  const v: Vector = {
    name: 'ws',
    input: {
      method: 'GET',
      url: `${BASE}/v3/auth/catalog`,
      headers: { ...GO_HEADERS, 'User-Agent': 'tf  golangsdk/2.0.0' },
    },
    signedHeaders: '',
    signature: '',
  };
  const w = wireOf(v);
  assert.equal(w.headers['user-agent'], 'tf  golangsdk/2.0.0');
  assert.deepEqual(verify(w), { ok: true });
  assert.deepEqual(verify({ ...w, headers: { ...w.headers, 'user-agent': 'tf \t golangsdk/2.0.0' } }), {
    ok: true,
  });
  assert.equal(verify({ ...w, headers: { ...w.headers, 'user-agent': 'tfgolangsdk/2.0.0' } }).ok, false);
});

test('the scope date must be the date of X-Sdk-Date, and the date must be in the window', () => {
  const g1 = wireOf(vector('G1'));
  const otherDay = g1.headers.authorization!.replace('/20240102/', '/20240103/');
  assert.deepEqual(verify({ ...g1, headers: { ...g1.headers, authorization: otherDay } }), {
    ok: false,
    reason: 'credential scope date does not match X-Sdk-Date',
  });
  assert.deepEqual(verify(g1, NOW + 16 * 60_000), {
    ok: false,
    reason: 'X-Sdk-Date outside the allowed window',
  });
});

test('the region and service of the scope are bound through the key', () => {
  const g6 = wireOf(vector('G6'));
  const moved = g6.headers.authorization!.replace('/eu-de/vpcep/', '/eu-nl/vpcep/');
  assert.deepEqual(verify({ ...g6, headers: { ...g6.headers, authorization: moved } }), {
    ok: false,
    reason: 'signature mismatch',
  });
});

test('parseAuthorization reads the Credential= form and refuses its malformed spellings', () => {
  const sig = 'a'.repeat(64);
  const cred = (c: string, alg = 'SDK-HMAC-SHA256') =>
    `${alg} Credential=${c}, SignedHeaders=host, Signature=${sig}`;
  const ok = parseAuthorization(cred('AK/20240102///sdk_request'));
  assert.equal(ok?.form, 'credential');
  assert.equal(ok?.accessKey, 'AK');
  assert.deepEqual(ok?.credential, { date: '20240102', region: '', service: '' });
  assert.equal(parseAuthorization(cred('AK/20240102/eu-de/vpcep/sdk_request'))?.credential?.region, 'eu-de');
  assert.equal(
    parseAuthorization(`SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature=${sig}`)?.form,
    'access',
  );
  for (const bad of [
    cred('AK/20240102//sdk_request'),
    cred('AK/20240102///other'),
    cred('AK/2024010///sdk_request'),
    cred('/20240102///sdk_request'),
    cred('AK'),
    cred('A K/20240102///sdk_request'),
    cred(`AK/20240102/${'r'.repeat(65)}//sdk_request`),
    cred('AK/20240102/a b//sdk_request'),
    cred('AK/20240102/a\u0000//sdk_request'),
    cred('AK/20240102///sdk_request', 'V11-HMAC-SHA256'),
    `${cred('AK/20240102///sdk_request')}, Access=AK`,
    `SDK-HMAC-SHA256 Access=AK, Credential=AK/20240102///sdk_request, SignedHeaders=host, Signature=${sig}`,
  ]) {
    assert.equal(parseAuthorization(bad), undefined, bad);
  }
});

test('the Access= canonical query reads + as a space, as the route does', () => {
  assert.equal(canonicalQuery('name=a+b'), 'name=a%20b');
  assert.equal(canonicalQuery('name=a%2Bb'), 'name=a%2Bb');
});

test('Credential= verification never throws on arbitrary input', () => {
  fc.assert(
    fc.property(fc.string(), fc.string(), fc.dictionary(fc.string(), fc.string()), (url, hdr, hdrs) => {
      const auth = parseAuthorization(
        `SDK-HMAC-SHA256 Credential=AK/20240102///sdk_request, SignedHeaders=${hdr}, Signature=${'b'.repeat(64)}`,
      );
      if (!auth) return;
      const headers = Object.fromEntries(Object.entries(hdrs).map(([k, v]) => [k.toLowerCase(), v]));
      verifySignature({ method: 'POST', rawUrl: url, headers, body: undefined }, auth, SK, {
        now: NOW,
        maxSkewMs: 1,
      });
    }),
    { numRuns: 300 },
  );
});
