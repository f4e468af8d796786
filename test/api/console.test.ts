// /console as an attacker sees it: anonymous, so what it serves must hold no
// data, carry its security headers on every answer, and never step outside
// dist/console/ whatever the path says.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { brotliDecompressSync } from 'node:zlib';
import { CONSOLE_ROOT } from '../../src/api/console.ts';
import { ensureConsoleBuilt } from '../console/support.ts';
import { rawRequest } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

describe('the console files', () => {
  let server: TestServer;
  let script = '';

  before(async () => {
    await ensureConsoleBuilt();
    script = readdirSync(join(CONSOLE_ROOT, 'assets')).find((f) => f.endsWith('.js')) ?? '';
    server = await startTestServer();
  });
  after(async () => server?.close());

  const get = (path: string, headers: Record<string, string> = {}) =>
    rawRequest({ method: 'GET', url: `${server.url}${path}`, headers });

  test('the page is public, never cached, and locked down by its policy', async () => {
    const res = await get('/console');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.equal(res.headers['cache-control'], 'no-store');
    const csp = String(res.headers['content-security-policy']);
    for (const rule of [
      "default-src 'none'",
      "script-src 'self'",
      "connect-src 'self'",
      "frame-ancestors 'none'",
    ]) {
      assert.ok(csp.includes(rule), `${rule} in ${csp}`);
    }
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
    assert.equal(res.headers['x-frame-options'], 'DENY');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['referrer-policy'], 'no-referrer');
    // No inline script or style that the policy would have to allow, nothing from elsewhere.
    assert.doesNotMatch(res.text, /<script(?![^>]*\bsrc=)[^>]*>|<style|\son[a-z]+=/i);
    assert.doesNotMatch(res.text, /(src|href)="(https?:)?\/\//);
    assert.ok(res.text.includes(`/console/assets/${script}`), 'the page names the built script');
  });

  test('assets: immutable by name, brotli to browsers that take it', async () => {
    const plain = await get(`/console/assets/${script}`);
    assert.equal(plain.status, 200);
    assert.match(String(plain.headers['content-type']), /javascript/);
    assert.equal(plain.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.ok(String(plain.headers['content-security-policy']).includes("default-src 'none'"));
    const br = await new Promise<{ encoding: unknown; body: Buffer }>((resolve, reject) => {
      const url = `${server.url}/console/assets/${script}`;
      httpGet(url, { headers: { 'accept-encoding': 'br' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      }).on('error', reject);
    });
    assert.equal(br.encoding, 'br');
    assert.equal(brotliDecompressSync(br.body).toString('utf8'), plain.text);
  });

  test('hostile paths stay inside the build and answer a catalog 4xx', async () => {
    for (const path of [
      '/console/assets/../../package.json',
      '/console/assets/%2e%2e/%2e%2e/package.json',
      '/console/assets/..%2f..%2fpackage.json',
      '/console/assets/%00',
      `/console/assets/${script}%00.txt`,
      '/console/assets/.hidden',
      `/console/assets/${'a'.repeat(5000)}.js`,
      '/console/assets/%ff',
      '/console/assets/',
      '/console/../src/config/defaults.ts',
    ]) {
      const res = await get(path);
      assert.ok(res.status >= 400 && res.status < 500, `${path.slice(0, 60)}: ${res.status}`);
      assert.doesNotMatch(res.text, /"name": "vpcep"|export const/, `${path.slice(0, 60)} leaked a file`);
      const body = res.json as { error_code?: string } | undefined;
      assert.match(
        body?.error_code ?? '',
        /^(EndPoint|APIG)\.\d{4}$/,
        `${path.slice(0, 60)}: ${res.text.slice(0, 200)}`,
      );
    }
  });

  test('the console routes are not API operations: absent from the OpenAPI document', async () => {
    const doc = (await get('/openapi.json')).json as { paths: Record<string, unknown> };
    assert.deepEqual(
      Object.keys(doc.paths).filter((p) => p.startsWith('/console')),
      [],
    );
    const settings = await get('/console/settings.json');
    assert.equal(settings.status, 200);
    assert.deepEqual(settings.json, { region: server.config.region });
  });
});
