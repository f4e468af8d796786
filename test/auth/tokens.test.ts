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

test('any single-character change of a token is refused', () => {
  const token = issue();
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
});

test('an expired token is refused', () => {
  assert.equal(codec.verify(issue(), NOW + 3600_000), undefined);
});

test('decodeBase64Url accepts exactly the canonical unpadded spelling', () => {
  assert.deepEqual(decodeBase64Url('AQID'), Buffer.from([1, 2, 3]));
  assert.deepEqual(decodeBase64Url('AQ'), Buffer.from([1]));
  for (const bad of ['', 'AQ==', 'AR', 'AQ=', 'A', 'AQI D', 'AQ+/', 'AQ\u0000']) {
    assert.equal(decodeBase64Url(bad), undefined, JSON.stringify(bad));
  }
});
