import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rawRequest, type RawResponse } from '../support/http.ts';
import { officialSign, type SignedWire } from '../support/official-signer.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

function assertRefused(res: RawResponse, status = 401, code = 'EndPoint.0003') {
  assert.equal(res.status, status, res.text);
  const body = res.json as { error_code: string; error_msg: string; request_id: string };
  assert.equal(body.error_code, code);
  assert.equal(typeof body.error_msg, 'string');
  assert.match(body.request_id, /^[0-9a-f]{32}$/);
  assert.equal(res.headers['x-request-id'], body.request_id);
}

function send(w: SignedWire, method: string): Promise<RawResponse> {
  return rawRequest({
    method,
    url: w.url,
    headers: w.headers,
    ...(w.body !== undefined ? { body: w.body } : {}),
  });
}

/** Replaces one character at `index` of `s` with a different one. */
function flip(s: string, index: number): string {
  const c = s[index] === 'a' ? 'b' : 'a';
  return s.slice(0, index) + c + s.slice(index + 1);
}

describe('request authentication', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => server.close());

  const signGet = () =>
    officialSign({
      endpoint: server.url,
      method: 'GET',
      path: '/v1/{project_id}/vpcs',
      query: { limit: 5, name: 'a b' },
      ak: server.provider.ak,
      sk: server.provider.sk,
      projectId: server.provider.projectId,
    });
  const signPost = () =>
    officialSign({
      endpoint: server.url,
      method: 'POST',
      path: '/v1/{project_id}/vpcs',
      body: { vpc: { name: 'signed', cidr: '10.9.0.0/16' } },
      ak: server.provider.ak,
      sk: server.provider.sk,
      projectId: server.provider.projectId,
    });

  test('a request signed by the official SDK signer is accepted', async () => {
    const w = await signGet();
    assert.match(w.headers.Authorization ?? '', /^SDK-HMAC-SHA256 Access=PROVIDERAK/);
    const res = await send(w, 'GET');
    assert.equal(res.status, 200, res.text);
    assert.match(String(res.headers['x-request-id']), /^[0-9a-f]{32}$/);
  });

  test('a signed POST is accepted and one changed body byte is refused', async () => {
    const w = await signPost();
    const ok = await send(w, 'POST');
    assert.equal(ok.status, 200, ok.text);
    const w2 = await signPost();
    const tampered = { ...w2, body: w2.body!.replace('signed', 'signef') };
    assertRefused(await send(tampered, 'POST'));
  });

  test('one changed query byte is refused', async () => {
    const w = await signGet();
    const tampered = { ...w, url: w.url.replace('limit=5', 'limit=6') };
    assertRefused(await send(tampered, 'GET'));
  });

  test('one changed byte in a signed header is refused', async () => {
    const w = await signGet();
    const host = w.headers.host!;
    const tampered = { ...w, headers: { ...w.headers, host: host.replace('127.0.0.1', '127.0.0.01') } };
    assertRefused(await send(tampered, 'GET'));
  });

  test('a changed date is refused', async () => {
    const w = await signGet();
    const date = w.headers['X-Sdk-Date']!;
    const last = Number(date.at(-2));
    const changed = date.slice(0, -2) + String((last + 1) % 10) + 'Z';
    assertRefused(await send({ ...w, headers: { ...w.headers, 'X-Sdk-Date': changed } }, 'GET'));
  });

  test('a changed signature is refused', async () => {
    const w = await signGet();
    const auth = w.headers.Authorization!;
    assertRefused(
      await send({ ...w, headers: { ...w.headers, Authorization: flip(auth, auth.length - 3) } }, 'GET'),
    );
  });

  test('an unknown access key is refused', async () => {
    const w = await officialSign({
      endpoint: server.url,
      method: 'GET',
      path: '/v1/{project_id}/vpcs',
      ak: 'UNKNOWNAK00000000000',
      sk: server.provider.sk,
      projectId: server.provider.projectId,
    });
    assertRefused(await send(w, 'GET'));
  });

  test('the derived V11-HMAC-SHA256 scheme is accepted', async () => {
    const w = await officialSign({
      endpoint: server.url,
      method: 'GET',
      path: '/v1/{project_id}/vpcs',
      ak: server.provider.ak,
      sk: server.provider.sk,
      projectId: server.provider.projectId,
      derived: { regionId: 'tr-west-1', service: 'vpc' },
    });
    assert.match(
      w.headers.Authorization ?? '',
      /^V11-HMAC-SHA256 Credential=PROVIDERAK0123456789\/\d{8}\/tr-west-1\/vpc/,
    );
    const res = await send(w, 'GET');
    assert.equal(res.status, 200, res.text);
  });

  test('no credentials at all is refused', async () => {
    assertRefused(
      await rawRequest({ method: 'GET', url: `${server.url}/v1/${server.provider.projectId}/vpcs` }),
    );
    assertRefused(
      await rawRequest({
        method: 'GET',
        url: `${server.url}/v1/${server.provider.projectId}/vpcs`,
        headers: { 'x-auth-token': 'MIIvpcep.forged.token' },
      }),
    );
  });

  test("another account's project in the path is forbidden", async () => {
    const w = await officialSign({
      endpoint: server.url,
      method: 'GET',
      path: `/v1/${server.consumer.projectId}/vpcs`,
      ak: server.provider.ak,
      sk: server.provider.sk,
    });
    assertRefused(await send(w, 'GET'), 403, 'EndPoint.0004');
  });

  test('an X-Project-Id that differs from the path is forbidden', async () => {
    const w = await officialSign({
      endpoint: server.url,
      method: 'GET',
      path: `/v1/${server.provider.projectId}/vpcs`,
      ak: server.provider.ak,
      sk: server.provider.sk,
      projectId: server.consumer.projectId,
    });
    assertRefused(await send(w, 'GET'), 403, 'EndPoint.0004');
  });
});
