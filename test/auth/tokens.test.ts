import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { TokenCodec, decodeBase64Url } from '../../src/auth/tokens.ts';
import {
  BASE64URL_ALPHABET as ALPHABET,
  signatureRespellings,
  tokenParts as parts,
} from './token-spellings.ts';

const NOW = Date.UTC(2024, 0, 2, 3, 4, 5);
const codec = new TokenCodec('ab'.repeat(32));

function issue(): string {
  return codec.issue({ u: 'user', d: 'domain', p: null, i: NOW, e: NOW + 3600_000 });
}

test('a genuine token verifies and carries its claims', () => {
  const claims = codec.verify(issue(), NOW);
  assert.equal(claims?.u, 'user');
  assert.equal(claims?.p, null);
});

test('no other spelling of the signature verifies', () => {
  let token = issue();
  // A signature with '-' or '_' lets the '+'/'/' alphabet be tried too (3 in 4 tokens have one).
  while (!/[-_]/.test(parts(token).sig)) token = issue();
  const variants = signatureRespellings(token);
  assert.ok(variants.length >= 8);
  for (const v of variants) {
    // Each still decodes to the genuine MAC with Node's lenient decoder: only strictness refuses it.
    assert.notEqual(v, token);
    assert.equal(codec.verify(v, NOW), undefined, v);
  }
  assert.ok(codec.verify(token, NOW));
});

test('no other spelling of the payload verifies', () => {
  const token = issue();
  const { head, payload, sig } = parts(token);
  for (const p of [`${payload}=`, `${payload} `, payload.replace(/-/g, '+'), `${payload}A`]) {
    if (p === payload) continue;
    assert.equal(codec.verify(`${head}${p}.${sig}`, NOW), undefined, p);
  }
});

/** No token that differs from `token` in one character (500 tries) verifies. */
function refusesEverySingleCharacterChange(token: string): void {
  fc.assert(
    fc.property(
      fc.nat({ max: token.length - 1 }),
      fc.constantFrom(...ALPHABET, '=', '+', '/', '.', ' ', '!'),
      (i, ch) => {
        const changed = token.slice(0, i) + ch + token.slice(i + 1);
        if (changed === token) return;
        assert.equal(codec.verify(changed, NOW), undefined);
      },
    ),
    { numRuns: 500 },
  );
}

test('any single-character change of a token is refused', () => {
  refusesEverySingleCharacterChange(issue());
});

test('an expired token is refused', () => {
  assert.equal(codec.verify(issue(), NOW + 3600_000), undefined);
});

// The codec remembers the tokens it has verified (by payload): every check must
// still hold for a token it has seen, on every request.
test('a token already verified: no other spelling of its signature verifies', () => {
  let token = issue();
  while (!/[-_]/.test(parts(token).sig)) token = issue();
  assert.ok(codec.verify(token, NOW));
  for (const v of signatureRespellings(token)) assert.equal(codec.verify(v, NOW), undefined, v);
  assert.ok(codec.verify(token, NOW));
});

test('a token already verified: any single-character change is refused', () => {
  const token = issue();
  assert.ok(codec.verify(token, NOW));
  refusesEverySingleCharacterChange(token);
  // A genuine payload with any other MAC of the right length.
  const { head, payload, sig } = parts(token);
  const flipped = Buffer.from(sig, 'base64url');
  for (let i = 0; i < flipped.length; i++) {
    const other = Buffer.from(flipped);
    other[i] = (other[i] ?? 0) ^ 1;
    assert.equal(codec.verify(`${head}${payload}.${other.toString('base64url')}`, NOW), undefined);
  }
});

test('a token already verified expires, and verifies under no other secret', () => {
  const token = issue();
  assert.ok(codec.verify(token, NOW + 3599_999));
  assert.equal(codec.verify(token, NOW + 3600_000), undefined);
  assert.equal(new TokenCodec('cd'.repeat(32)).verify(token, NOW), undefined);
  // An expired token seen first is refused, and stays refused.
  const late = issue();
  assert.equal(codec.verify(late, NOW + 3600_000), undefined);
  assert.equal(codec.verify(late, NOW + 3600_001), undefined);
});

test('decodeBase64Url accepts exactly the canonical unpadded spelling', () => {
  assert.deepEqual(decodeBase64Url('AQID'), Buffer.from([1, 2, 3]));
  assert.deepEqual(decodeBase64Url('AQ'), Buffer.from([1]));
  for (const bad of ['', 'AQ==', 'AR', 'AQ=', 'A', 'AQI D', 'AQ+/', 'AQ\u0000']) {
    assert.equal(decodeBase64Url(bad), undefined, JSON.stringify(bad));
  }
});
