import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LoginThrottle, addressBucket } from '../../src/auth/login-throttle.ts';
import { ConfigError, loadConfig } from '../../src/config/load.ts';

// The throttle's memory and address rules; its behaviour as clients see it is
// proven black-box in login-lockout.test.ts.

const randomKey = () => randomBytes(10).toString('hex');

test('a spray of made-up user names from many addresses keeps the throttle bounded', () => {
  let now = 0;
  const throttle = new LoginThrottle(
    { max_failures: 5, window_seconds: 900, lockout_seconds: 900, max_failures_per_address: 20 },
    { now: () => now },
    500,
  );
  for (let i = 0; i < 20_000; i++) {
    const attempt = throttle.begin(randomKey(), `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    assert.equal(typeof attempt, 'object');
    if (typeof attempt === 'object') attempt.failed();
    now += 1;
  }
  assert.ok(throttle.size <= 1000, `${throttle.size} keys tracked`);
});

test('a successful login leaves nothing behind', () => {
  const throttle = new LoginThrottle(
    { max_failures: 5, window_seconds: 900, lockout_seconds: 900, max_failures_per_address: 20 },
    { now: () => 0 },
  );
  const attempt = throttle.begin('user', '127.0.0.1');
  assert.equal(typeof attempt, 'object');
  if (typeof attempt === 'object') attempt.succeeded();
  assert.equal(throttle.size, 0);
});

test('IPv6 clients are counted per /64, IPv4-mapped ones as IPv4', () => {
  assert.equal(addressBucket('2001:db8:1:2:3:4:5:6'), addressBucket('2001:db8:1:2:ffff::1'));
  assert.notEqual(addressBucket('2001:db8:1:2::1'), addressBucket('2001:db8:1:3::1'));
  assert.equal(addressBucket('::ffff:192.0.2.1'), '192.0.2.1');
  assert.equal(addressBucket('192.0.2.1'), '192.0.2.1');
});

test('login_lockout defaults to IAM policy; a file may change one key; bad values name the key', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vpcep-lockout-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  assert.deepEqual(loadConfig({ env: {} }).login_lockout, {
    max_failures: 5,
    window_seconds: 900,
    lockout_seconds: 900,
    max_failures_per_address: 20,
  });
  const partial = loadConfig({ file: file('a.yaml', 'login_lockout: { max_failures: 3 }'), env: {} });
  assert.equal(partial.login_lockout.max_failures, 3);
  assert.equal(partial.login_lockout.lockout_seconds, 900);
  for (const [text, key] of [
    ['login_lockout: { max_failures: 0 }', /'login_lockout\.max_failures'/],
    ['login_lockout: { lockout_seconds: "15m" }', /'login_lockout\.lockout_seconds'/],
    ['login_lockout: { lock_seconds: 60 }', /'login_lockout\.lock_seconds' is not a known key/],
  ] as const) {
    assert.throws(
      () => loadConfig({ file: file('b.yaml', text), env: {} }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, key);
        return true;
      },
    );
  }
});
