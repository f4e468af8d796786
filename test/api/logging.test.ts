import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { loggerOptions, scrubLogLine } from '../../src/logging/logger-options.ts';
import { prettyLine, prettyStream } from '../../src/logging/pretty.ts';
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

// Both formats: the pretty one formats lines the scrubber has already passed.
const FORMATS = ['json', 'pretty'] as const;

for (const dialect of testDialects())
  for (const format of FORMATS) {
    describe(`logs hold no secrets (${dialect}, ${format})`, () => {
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
        const stream =
          format === 'json'
            ? sink
            : prettyStream({ write: (text: string) => sink.write(text) }, { color: false });
        running = await startServer(testConfig(db.url), { logger: loggerOptions('trace', stream) });
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
        if (format === 'pretty') {
          assert.match(logged, /^\d\d:\d\d:\d\d\.\d{3} INFO {2}GET \/v1\/[0-9a-f]{32}\/vpcs 200 [\d.]+ ms /m);
          assert.doesNotMatch(logged, /^\{"level"/m, 'no JSON line left');
        }
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

describe('request lines', () => {
  test('one line per request at info, with no query value; none at warn', async () => {
    for (const level of ['info', 'warn'] as const) {
      const db = await freshDatabase('sqlite');
      const lines: Record<string, unknown>[] = [];
      const stream = { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) };
      const running = await startServer(testConfig(db.url), { logger: loggerOptions(level, stream) });
      try {
        const provider = testAccount('provider', running.url);
        await provider.sdk({
          method: 'GET',
          url: '/v1/{project_id}/vpc-endpoint-services',
          queryParams: { limit: 5, name: 'QUERYVALUE1234' },
        });
        const anonymous = await rawRequest({
          method: 'GET',
          url: `${running.url}/v1/x/vpcs?name=QUERYVALUE5678`,
        });
        assert.equal(anonymous.status, 401);
        const requests = lines.filter((l) => l.msg === 'request');
        const all = JSON.stringify(lines);
        assert.ok(!all.includes('QUERYVALUE'), 'query values are never logged');
        assert.ok(!/incoming request|request completed/.test(all), "fastify's own lines are off");
        if (level === 'warn') {
          assert.deepEqual(requests, []);
          continue;
        }
        assert.equal(requests.length, 2, all);
        const [signed, refused] = requests;
        assert.equal(signed?.level, 30);
        assert.equal(signed?.method, 'GET');
        assert.equal(signed?.path, `/v1/${provider.projectId}/vpc-endpoint-services`);
        assert.deepEqual(signed?.query, ['limit', 'name']);
        assert.equal(signed?.route, '/v1/:project_id/vpc-endpoint-services');
        assert.equal(signed?.status, 200);
        assert.equal(typeof signed?.ms, 'number');
        assert.match(String(signed?.reqId), /^[0-9a-f]{32}$/);
        assert.equal(signed?.account, provider.domainId);
        assert.equal(signed?.req_headers, undefined, 'headers only from debug on');
        assert.equal(refused?.status, 401);
        assert.equal(refused?.account, undefined, 'no account before authentication');
        assert.equal(refused?.reqId, anonymous.headers['x-request-id']);
      } finally {
        await running.close();
        await db.drop();
      }
    }
  });

  test('the pretty format escapes control characters a client sent', () => {
    const line = JSON.stringify({
      level: 30,
      time: 0,
      msg: 'request',
      method: 'GET',
      path: '/a\u001b[2J',
      status: 404,
      ms: 1,
      reqId: 'r',
      note: 'x\u0007\u202ey',
    });
    const out = prettyLine(`${line}\n`, { color: false });
    assert.match(out, /INFO {2}GET \/a\\x1b\[2J 404 1 ms reqId=r note=x\\x07\\u202ey\n$/);
    // eslint-disable-next-line no-control-regex -- the point: no raw control character
    assert.doesNotMatch(out.slice(0, -1), /[\u0000-\u001f\u202e]/);
  });
});
