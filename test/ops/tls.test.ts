// `tls:` serves the API over HTTPS only, with a key only its owner may read and
// a certificate that must match it; every refusal happens at start, with exit
// status 2 and a message that names the file but never quotes its bytes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runCli } from '../support/cli.ts';
import { waitUntil } from '../support/wait.ts';

const dir = mkdtempSync(join(tmpdir(), 'vpcep-tls-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function certificate(name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  chmodSync(key, 0o600);
  return { cert, key };
}

function configFile(name: string, tls: { cert: string; key: string }): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `database: sqlite:${join(dir, name, 'vpcep.db')}\ntls: { cert_file: ${tls.cert}, key_file: ${tls.key} }\n`,
  );
  return file;
}

function get(url: string, ca?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const send = url.startsWith('https:') ? httpsRequest : httpRequest;
    const req = send(url, { ...(ca !== undefined ? { ca } : {}), timeout: 10_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

describe('HTTPS (tls)', () => {
  const good = certificate('good');

  test('the API answers over HTTPS with the configured certificate, and not over plain HTTP', async () => {
    const p = runCli(['serve', '--listen', '127.0.0.1:0', '--config', configFile('serve', good)], dir);
    try {
      const url = await waitUntil(
        () => /listening on (https:\/\/\S+)/.exec(p.output())?.[1],
        (u) => u !== undefined,
        'the server to listen over HTTPS',
        30_000,
        50,
      );
      assert.ok(url !== undefined);
      assert.equal(await get(`${url}/healthz`, readFileSync(good.cert, 'utf8')), 200);
      // A client that does not trust the certificate is refused by the handshake.
      await assert.rejects(get(`${url}/healthz`), /self[- ]signed|certificate/i);
      // Plain HTTP on the same port gets no API answer.
      const plain = url.replace('https:', 'http:');
      const status = await get(`${plain}/healthz`).catch(() => 0);
      assert.notEqual(status, 200, 'plain HTTP is not served');
    } finally {
      p.child.kill('SIGTERM');
      await p.exited;
    }
  });

  const refusals: [what: string, prepare: () => { cert: string; key: string }, message: RegExp][] = [
    [
      'a key file others may read',
      () => {
        const loose = certificate('loose');
        chmodSync(loose.key, 0o644);
        return loose;
      },
      /refusing the TLS key .*loose\.key: it may be read or changed by others \(mode 644.*chmod 600/,
    ],
    [
      'a key of another certificate',
      () => ({ cert: good.cert, key: certificate('other').key }),
      /does not belong to the certificate/,
    ],
    [
      'a key file that holds no key',
      () => {
        const key = join(dir, 'garbage.key');
        writeFileSync(key, 'SECRET-BYTES-\u001b[2J-not-a-key', { mode: 0o600 });
        return { cert: good.cert, key };
      },
      /garbage\.key\) holds no PEM private key/,
    ],
    [
      'a FIFO in place of the key',
      () => {
        const key = join(dir, 'fifo.key');
        execFileSync('mkfifo', ['-m', '600', key]);
        return { cert: good.cert, key };
      },
      /fifo\.key\) is not a regular file/,
    ],
    ['a folder in place of the key', () => ({ cert: good.cert, key: dir }), /is not a regular file/],
    [
      'a missing certificate',
      () => ({ cert: join(dir, 'missing.crt'), key: good.key }),
      /cannot read config key 'tls\.cert_file'/,
    ],
  ];
  for (const [what, prepare, message] of refusals) {
    test(`${what}: exit 2 at start, named, its bytes not quoted`, async () => {
      const name = what.replace(/\W+/g, '-');
      const p = runCli(['serve', '--listen', '127.0.0.1:0', '--config', configFile(name, prepare())], dir);
      const code = await p.closed;
      assert.equal(code, 2, p.output() + p.errors());
      assert.match(p.errors(), message);
      assert.doesNotMatch(p.errors() + p.output(), /SECRET-BYTES|listening on/);
      assert.ok(!(p.errors() + p.output()).includes('\u001b'), 'no raw escape reaches the terminal');
    });
  }
});
