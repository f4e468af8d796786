import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { loggerOptions, scrubLogLine } from '../../src/logging/logger-options.ts';
import { startServer, type Running } from '../../src/main.ts';
import { freshDatabase, testDialects, type TestDatabase } from '../support/db.ts';
import { rawRequest } from '../support/http.ts';
import { officialSign } from '../support/official-signer.ts';
import { passwordToken, testAccount, testConfig, type TestAccount } from '../support/server.ts';
import { exchange, sendSigned } from './edge.support.ts';

// The server runs with the logger options the CLI uses, at the most verbose
// level, writing into memory; whatever the requests below make it log must not
// contain a credential in any form.

/** `secret` as text, and as the byte list a Buffer becomes in JSON (how raw packets are logged). */
function forms(secret: string): string[] {
  return [secret, Buffer.from(secret).toJSON().data.join(',')];
}

test('the scrubber replaces secrets at any depth and keeps everything else', () => {
  const scrub = (value: unknown) => JSON.parse(scrubLogLine(`${JSON.stringify(value)}\n`)) as unknown;
  const hex = 'ab'.repeat(32);
  assert.deepEqual(
    scrub({
      level: 30,
      password: 'a"b\\',
      nested: { deeper: [{ db_password: 'p', sk: 'SK', ak: 'AK' }] },
      config: { token_ttl_seconds: 86400, token: 'MIIvpcep.x.y', token_secret: 'abc' },
      secret: { key: 'value' },
      Authorization: `SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature=${hex}`,
      msg: `connect postgres://vpcep:p@ss@db:5432/vpcep failed; saw Signature=${hex}`,
    }),
    {
      level: 30,
      password: '[redacted]',
      nested: { deeper: [{ db_password: '[redacted]', sk: '[redacted]', ak: 'AK' }] },
      config: { token_ttl_seconds: 86400, token: '[redacted]', token_secret: '[redacted]' },
      secret: '[redacted]',
      Authorization: '[redacted]',
      msg: 'connect postgres://vpcep:[redacted]@db:5432/vpcep failed; saw Signature=[redacted]',
    },
  );
  assert.deepEqual(scrub({ sk: 12345, n: 1 }), { sk: '[redacted]', n: 1 });
});

for (const dialect of testDialects()) {
  describe(`logs hold no secrets (${dialect})`, () => {
    let db: TestDatabase;
    let running: Running;
    let provider: TestAccount;
    let logged = '';
    const secrets = new Set<string>();
    before(async () => {
      db = await freshDatabase(dialect);
      const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
          logged += chunk.toString('utf8');
          done();
        },
      });
      running = await startServer(testConfig(db.url), { logger: loggerOptions('trace', sink) });
      provider = testAccount('provider', running.url);
    });
    after(async () => {
      await running?.close();
      await db?.drop();
    });

    test('tokens, signatures, passwords and secret keys never reach the log', async () => {
      // A password login, and requests with the token it issued.
      const token = await passwordToken(running.url, provider);
      secrets.add(token).add(provider.password);
      const url = `${running.url}/v1/${provider.projectId}/vpcs`;
      assert.equal(
        (await rawRequest({ method: 'GET', url, headers: { 'x-auth-token': token } })).status,
        200,
      );
      // A failed login carries a password too (passwordToken fails on anything but 201).
      await assert.rejects(
        passwordToken(running.url, { ...provider, password: 'wrong-password-123' }),
        /401/,
      );
      secrets.add('wrong-password-123');
      // AK/SK requests, through the SDK and signed by hand.
      await provider.sdk({ method: 'GET', url: '/v1/{project_id}/vpcs' });
      const signed = await officialSign({
        endpoint: running.url,
        method: 'POST',
        path: '/v1/{project_id}/vpcs',
        body: { vpc: { name: 'logged', cidr: '10.7.0.0/16' } },
        ak: provider.ak,
        sk: provider.sk,
        projectId: provider.projectId,
      });
      const created = await sendSigned('POST', signed);
      assert.equal(created.status, 200, created.text);
      const signature = /Signature=([0-9a-f]{64})/.exec(signed.headers.Authorization ?? '')?.[1];
      assert.ok(signature);
      secrets.add(signature).add(provider.sk);
      // A request the parser refuses after reading a token: Node keeps its raw bytes on the error.
      const refused = await exchange(
        running.url,
        `GET / HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${token}\r\nX-B: a\u0000b\r\n\r\n`,
      );
      assert.equal(refused.status, 400);
      // An operator logging the configuration: database URL, account passwords and keys.
      const config = {
        ...testConfig('postgres://vpcep:db-password-456@127.0.0.1:5432/vpcep'),
        log_level: 'trace',
      };
      running.app.log.info({ config }, 'configuration');
      secrets.add('db-password-456');
      for (const account of config.accounts) {
        for (const user of account.users ?? []) {
          if (user.password) secrets.add(user.password);
          for (const key of user.access_keys ?? []) secrets.add(key.sk);
        }
      }

      // The log is there and says what happened, with the credentials replaced.
      assert.match(logged, /"x-auth-token":"\[redacted\]"/);
      assert.match(logged, /"authorization":"\[redacted\]"/);
      assert.match(logged, /"x-subject-token":"\[redacted\]"/);
      assert.match(logged, /postgres:\/\/vpcep:\[redacted\]@127\.0\.0\.1/);
      for (const secret of secrets) {
        for (const form of forms(secret))
          assert.ok(!logged.includes(form), `the log holds ${secret.slice(0, 12)}…`);
      }
    });
  });
}
