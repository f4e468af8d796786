import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { crc32c } from '../../src/dataplane/crc32c.ts';

// Bit-at-a-time reference, written independently of the table so that a
// mistake in the table construction cannot hide behind an identical mistake.
function crc32cBitwise(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

test('crc32c check value for "123456789"', () => {
  assert.equal(crc32c(Buffer.from('123456789', 'latin1')), 0xe3069283);
});

test('crc32c of the empty input is 0', () => {
  assert.equal(crc32c(new Uint8Array(0)), 0);
});

// RFC 3720 appendix B.4 (iSCSI), values read as 32-bit integers.
test('crc32c RFC 3720 test vectors', () => {
  assert.equal(crc32c(Buffer.alloc(32, 0x00)), 0x8a9136aa);
  assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
  assert.equal(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i))), 0x46dd794e);
  assert.equal(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i))), 0x113fdb5c);
});

test('crc32c works on a Uint8Array view with a non-zero offset', () => {
  const backing = Buffer.from('xx123456789yy', 'latin1');
  const view = new Uint8Array(backing.buffer, backing.byteOffset + 2, 9);
  assert.equal(crc32c(view), 0xe3069283);
});

test('crc32c agrees with a bitwise reference implementation', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
      assert.equal(crc32c(data), crc32cBitwise(data));
    }),
    { numRuns: 500 },
  );
});

test('crc32c can be computed incrementally', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 }), (a, b) => {
      const whole = new Uint8Array([...a, ...b]);
      assert.equal(crc32c(b, crc32c(a)), crc32c(whole));
    }),
    { numRuns: 500 },
  );
});

test('crc32c always returns an unsigned 32-bit integer', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (data) => {
      const c = crc32c(data);
      assert.ok(Number.isInteger(c) && c >= 0 && c <= 0xffffffff);
    }),
    { numRuns: 500 },
  );
});
