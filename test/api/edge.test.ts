import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rawRequest, type RawResponse } from '../support/http.ts';
import { officialSign } from '../support/official-signer.ts';
import { passwordToken, startTestServer, type TestServer } from '../support/server.ts';

function assertError(res: RawResponse, status: number, code: string) {
  assert.equal(res.status, status, res.text);
  const body = res.json as Record<string, unknown>;
  assert.deepEqual(Object.keys(body).sort(), ['error_code', 'error_msg', 'request_id']);
  assert.equal(body.error_code, code);
  assert.equal(res.headers['x-request-id'], body.request_id);
}

describe('API edge', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => server.close());

  const signedPost = async (path: string, body: string) => {
    const w = await officialSign({
      endpoint: server.url,
      method: 'POST',
      path,
      ak: server.provider.ak,
      sk: server.provider.sk,
      projectId: server.provider.projectId,
      body: {},
    });
    // Re-sign over the exact bytes we want to send: the signer hashes JSON.stringify(data),
    // so sign a placeholder and replace it only for bodies that are not JSON documents.
    return { ...w, body };
  };

  test('GET / lists v1 and v2 with links built from the request host', async () => {
    const res = await rawRequest({ method: 'GET', url: `${server.url}/` });
    assert.equal(res.status, 200);
    const body = res.json as {
      versions: { id: string; status: string; min_version: string; links: { href: string }[] }[];
    };
    assert.deepEqual(
      body.versions.map((v) => [v.id, v.status, v.min_version]),
      [
        ['v1', 'CURRENT', ''],
        ['v2', 'CURRENT', ''],
      ],
    );
    assert.equal(body.versions[0]?.links[0]?.href, `${server.url}/v1`);
    const v2 = await rawRequest({ method: 'GET', url: `${server.url}/v2` });
    assert.equal(
      (v2.json as { version: { id: string; updated: string } }).version.updated,
      '2020-03-30T00:00:00Z',
    );
    assertError(await rawRequest({ method: 'GET', url: `${server.url}/v9` }), 404, 'EndPoint.0005');
  });

  test('the OpenAPI document and its docs page are served', async () => {
    const res = await rawRequest({ method: 'GET', url: `${server.url}/openapi.json` });
    assert.equal(res.status, 200);
    const doc = res.json as { openapi: string; paths: Record<string, unknown> };
    assert.match(doc.openapi, /^3\./);
    assert.ok(doc.paths['/v3/auth/tokens'], 'token route documented');
    assert.ok(doc.paths['/v1/{project_id}/vpcs'], 'vpc routes documented');
    const page = await rawRequest({ method: 'GET', url: `${server.url}/docs/` });
    assert.equal(page.status, 200);
    assert.match(page.text, /swagger/i);
  });

  test('unknown routes are 404 and wrong methods 405, both in the catalog format', async () => {
    assertError(await rawRequest({ method: 'GET', url: `${server.url}/nope/nothing` }), 404, 'EndPoint.0005');
    assertError(
      await rawRequest({ method: 'DELETE', url: `${server.url}/v3/auth/tokens` }),
      405,
      'EndPoint.0008',
    );
    assertError(
      await rawRequest({ method: 'PATCH', url: `${server.url}/v1/${server.provider.projectId}/vpcs` }),
      405,
      'EndPoint.0008',
    );
  });

  test('malformed JSON is 400 after authentication, 401 before', async () => {
    const w = await signedPost('/v1/{project_id}/vpcs', '{"vpc": ');
    // The signature no longer covers the body, so an anonymous-equivalent answer is 401.
    assertError(
      await rawRequest({ method: 'POST', url: w.url, headers: w.headers, body: w.body }),
      401,
      'EndPoint.0003',
    );
    const anon = await rawRequest({
      method: 'POST',
      url: `${server.url}/v3/auth/tokens`,
      headers: { 'content-type': 'application/json' },
      body: '{"auth": [',
    });
    assertError(anon, 400, 'EndPoint.0002');
  });

  test('malformed JSON from an authenticated caller is 400', async () => {
    const token = await passwordToken(server.url, server.provider);
    const headers = {
      'x-auth-token': token,
      'content-type': 'application/json',
    };
    const url = `${server.url}/v1/${server.provider.projectId}/vpcs`;
    for (const body of [
      '{"vpc": ',
      '[1,2',
      'nul',
      '{"vpc": {"name": "x", "cidr": "10.0.0.0/16"}} trailing',
    ]) {
      assertError(await rawRequest({ method: 'POST', url, headers, body }), 400, 'EndPoint.0002');
    }
    assertError(
      await rawRequest({ method: 'POST', url, headers, body: '{"__proto__": {"polluted": true}}' }),
      400,
      'EndPoint.0002',
    );
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('oversize bodies are refused with 400 and nothing leaks', async () => {
    const big = JSON.stringify({ vpc: { name: 'x'.repeat(1024 * 1024 + 10), cidr: '10.0.0.0/16' } });
    const res = await rawRequest({
      method: 'POST',
      url: `${server.url}/v1/${server.provider.projectId}/vpcs`,
      headers: { 'content-type': 'application/json' },
      body: big,
    });
    assertError(res, 400, 'EndPoint.0002');
  });

  test('every response carries X-Request-Id', async () => {
    for (const path of ['/', '/v1', '/openapi.json', '/missing']) {
      const res = await rawRequest({ method: 'GET', url: `${server.url}${path}` });
      assert.match(String(res.headers['x-request-id']), /^[0-9a-f]{32}$/, path);
    }
  });
});
