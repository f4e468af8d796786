import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rawRequest, type RawResponse } from '../support/http.ts';
import { officialSign, type SignedWire } from '../support/official-signer.ts';
import { passwordToken, startTestServer, type TestServer } from '../support/server.ts';
import { testDialects } from '../support/db.ts';
import { referenceAuthorization, sdkDate, sha256Hex } from '../auth/reference-signer.ts';
import { signatureRespellings } from '../auth/token-spellings.ts';

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

for (const dialect of testDialects())
  describe(`request authentication (${dialect})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ dialect });
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

    const vpcBody = (name: string) => JSON.stringify({ vpc: { name, cidr: '10.9.0.0/16' } });
    const vpcNames = async () => {
      const res = await send(await signGet(), 'GET');
      assert.equal(res.status, 200, res.text);
      return (res.json as { vpcs: { name: string }[] }).vpcs.map((v) => v.name);
    };

    /** A POST signed by the published recipe, for declarations no official signer makes. */
    const handSigned = (opts: {
      body: string;
      extra?: Record<string, string>;
      signedHeaders?: string[];
      payloadHash: string;
    }) => {
      const path = `/v1/${server.provider.projectId}/vpcs`;
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        host: new URL(server.url).host,
        'x-sdk-date': sdkDate(Date.now()),
        ...opts.extra,
      };
      const authorization = referenceAuthorization({
        method: 'POST',
        path,
        headers,
        payloadHash: opts.payloadHash,
        ak: server.provider.ak,
        sk: server.provider.sk,
        ...(opts.signedHeaders ? { signedHeaders: opts.signedHeaders } : {}),
      });
      return { url: `${server.url}${path}`, headers: { ...headers, authorization } };
    };

    test('a captured signed POST replayed with another body is refused', async () => {
      const captured = await officialSign({
        endpoint: server.url,
        method: 'POST',
        path: '/v1/{project_id}/vpcs',
        body: { vpc: { name: 'captured', cidr: '10.9.0.0/16' } },
        ak: server.provider.ak,
        sk: server.provider.sk,
        projectId: server.provider.projectId,
      });
      assert.equal((await send(captured, 'POST')).status, 200);
      const other = vpcBody('replayed');
      assertRefused(await send({ ...captured, body: other }, 'POST'));
      // The captured body's hash, declared in an added header the client never signed.
      const declared = { ...captured.headers, 'X-Sdk-Content-Sha256': sha256Hex(captured.body!) };
      assertRefused(await send({ ...captured, headers: declared, body: other }, 'POST'));
      assert.deepEqual(
        (await vpcNames()).filter((n) => n === 'replayed'),
        [],
      );
    });

    test("the official signer's UNSIGNED-PAYLOAD form (non-JSON content type) is accepted", async () => {
      const w = await officialSign({
        endpoint: server.url,
        method: 'POST',
        path: '/v1/{project_id}/vpcs',
        contentType: 'application/json;charset=UTF-8',
        body: { vpc: { name: 'unsigned-payload', cidr: '10.9.0.0/16' } },
        ak: server.provider.ak,
        sk: server.provider.sk,
        projectId: server.provider.projectId,
      });
      assert.equal(w.headers['X-Sdk-Content-Sha256'], 'UNSIGNED-PAYLOAD');
      assert.match(w.headers.Authorization ?? '', /SignedHeaders=[^,]*x-sdk-content-sha256/);
      const res = await send(w, 'POST');
      assert.equal(res.status, 200, res.text);
    });

    test('UNSIGNED-PAYLOAD left out of SignedHeaders is refused', async () => {
      const body = vpcBody('unsigned-not-signed');
      const w = handSigned({
        body,
        extra: { 'x-sdk-content-sha256': 'UNSIGNED-PAYLOAD' },
        signedHeaders: ['content-type', 'host', 'x-sdk-date'],
        payloadHash: 'UNSIGNED-PAYLOAD',
      });
      assertRefused(await rawRequest({ method: 'POST', url: w.url, headers: w.headers, body }));
      assert.ok(!(await vpcNames()).includes('unsigned-not-signed'));
    });

    test('a declared body hash must be the hash of the body that arrived', async () => {
      const signedFor = vpcBody('declared-a');
      const hash = sha256Hex(signedFor);
      const w = handSigned({ body: signedFor, extra: { 'x-sdk-content-sha256': hash }, payloadHash: hash });
      const other = vpcBody('declared-b');
      assertRefused(await rawRequest({ method: 'POST', url: w.url, headers: w.headers, body: other }));
      const ok = await rawRequest({ method: 'POST', url: w.url, headers: w.headers, body: signedFor });
      assert.equal(ok.status, 200, ok.text);
      const names = await vpcNames();
      assert.ok(names.includes('declared-a'));
      assert.ok(!names.includes('declared-b'));
    });

    test('only the genuine spelling of a token is accepted', async () => {
      const token = await passwordToken(server.url, server.provider);
      const url = `${server.url}/v1/${server.provider.projectId}/vpcs`;
      for (const variant of signatureRespellings(token)) {
        assertRefused(await rawRequest({ method: 'GET', url, headers: { 'x-auth-token': variant } }));
      }
      const res = await rawRequest({ method: 'GET', url, headers: { 'x-auth-token': token } });
      assert.equal(res.status, 200, res.text);
    });

    test('oversized or overlong Authorization headers are refused cheaply', async () => {
      const w = await signGet();
      const auth = w.headers.Authorization!;
      const manyHeaders = Array.from({ length: 500 }, (_, i) => `x-h${i}`).join(';');
      for (const hostile of [
        auth.replace(/SignedHeaders=[^,]*/, `SignedHeaders=${manyHeaders}`),
        `${auth}, Padding=${'x'.repeat(12_000)}`,
        auth.replace(/Access=[^,]*/, `Access=${'A'.repeat(2000)}`),
        auth.replace(/Access=[^,]*/, 'Access=PROVIDERAK0123456789%00'),
      ]) {
        assertRefused(await send({ ...w, headers: { ...w.headers, Authorization: hostile } }, 'GET'));
      }
      assert.equal((await send(await signGet(), 'GET')).status, 200);
    });
  });
