import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { describe, test } from 'node:test';
import { testDialects } from '../support/db.ts';
import { rawRequest } from '../support/http.ts';
import { officialSign } from '../support/official-signer.ts';
import { assertCatalogError, edgeBed, exchange, requestVia, sendSigned } from './edge.support.ts';

// Requests too broken to reach a route still get the catalog's shape with
// X-Request-Id: the gateway's APIG.0201 with the status of the problem, or
// EndPoint.0002 where the problem is a parameter (docs/errors.md).

const raw = (res: {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}) => ({
  status: res.status,
  headers: res.headers,
  body: res.text,
});

for (const dialect of testDialects()) {
  describe(`transport-level errors (${dialect})`, () => {
    const bed = edgeBed(dialect);

    test('a path parameter over 200 characters is 414 APIG.0201', async () => {
      const res = await rawRequest({
        method: 'GET',
        url: `${bed.vpcs()}/${'a'.repeat(201)}`,
        headers: { 'x-auth-token': bed.token },
      });
      const body = assertCatalogError(raw(res), 414, 'APIG.0201');
      assert.equal(body.error_msg, 'Request URI too large.');
    });

    test('a malformed percent escape in the path or the query is 400 EndPoint.0002', async () => {
      const headers = { 'x-auth-token': bed.token };
      for (const bad of ['%zz', '%', '%E0%A4%A', '%ED%A0%80', '%C0%80', '%FF']) {
        const inPath = await rawRequest({ method: 'GET', url: `${bed.vpcs()}/a${bad}`, headers });
        assertCatalogError(raw(inPath), 400, 'EndPoint.0002');
        const inQuery = await rawRequest({ method: 'GET', url: `${bed.vpcs()}?id=a${bad}`, headers });
        assertCatalogError(raw(inQuery), 400, 'EndPoint.0002');
      }
      // Like every parameter error, a bad query is reported after authentication.
      const anonymous = await rawRequest({ method: 'GET', url: `${bed.vpcs()}?id=%zz` });
      assertCatalogError(raw(anonymous), 401, 'EndPoint.0003');
    });

    test('oversize headers are 431 APIG.0201', async () => {
      const res = await exchange(
        bed.server.url,
        `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      );
      const body = assertCatalogError(res, 431, 'APIG.0201');
      assert.equal(body.error_msg, 'Request headers too large.');
      // A request line too long for the header limit is the same problem to Node's parser.
      assertCatalogError(
        await exchange(bed.server.url, `GET /${'a'.repeat(20_000)} HTTP/1.1\r\n\r\n`),
        431,
        'APIG.0201',
      );
    });

    test('a HEAD the parser refuses gets its status and X-Request-Id without a body', async () => {
      // A body after a HEAD answer is read as the start of the next answer: clients fail on it.
      for (const request of [
        `HEAD /v1/x/vpcs HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
        `HEAD /v1/x/vpcs?q=${'a'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      ]) {
        const res = await exchange(bed.server.url, request);
        assert.equal(res.status, 431);
        assert.match(String(res.headers['x-request-id']), /^[0-9a-f]{32}$/);
        assert.equal(res.body, '');
      }
      const broken = await exchange(bed.server.url, 'HEAD /a\u0000b HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.equal(broken.status, 400);
      assert.equal(broken.body, '');
      // Through Node's own client, which reads a HEAD answer as having no body.
      const viaClient = await rawRequest({ method: 'HEAD', url: `${bed.vpcs()}?q=${'a'.repeat(100_000)}` });
      assert.equal(viaClient.status, 431);
    });

    test('requests the HTTP parser refuses are 400 APIG.0201', async () => {
      const broken = [
        'GARBAGE\r\n\r\n',
        'FOO / HTTP/1.1\r\nHost: x\r\n\r\n',
        'GET / HTTP/1.2\r\nHost: x\r\n\r\n',
        'GET /a\u0000b HTTP/1.1\r\nHost: x\r\n\r\n',
        'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n',
        'GET / HTTP/1.1\r\nHost: x\r\nX A: b\r\n\r\n',
        'GET / HTTP/1.1\nHost: x\n\n',
        'POST /v3/auth/tokens HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
        'POST /v3/auth/tokens HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n',
        'POST /v3/auth/tokens HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nx\r\n0\r\n\r\n',
        'POST /v3/auth/tokens HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}',
        'POST /v3/auth/tokens HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n{}',
        `GET /v1/${bed.server.provider.projectId}/vpcs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`,
        'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
      ];
      for (const request of broken) {
        const body = assertCatalogError(await exchange(bed.server.url, request), 400, 'APIG.0201');
        assert.equal(body.error_msg, 'Bad request.', JSON.stringify(request));
      }
    });

    test('a chunk extension over the parser limit is 413 APIG.0201', async () => {
      const res = await exchange(
        bed.server.url,
        `POST /v3/auth/tokens HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1;${'a'.repeat(20_000)}\r\nx\r\n0\r\n\r\n`,
      );
      const body = assertCatalogError(res, 413, 'APIG.0201');
      assert.equal(body.error_msg, 'Request entity too large.');
    });

    test('HTTP/1.1 without Host is 400 APIG.0201; HTTP/1.0 needs none', async () => {
      assertCatalogError(
        await exchange(bed.server.url, 'GET / HTTP/1.1\r\nConnection: close\r\n\r\n'),
        400,
        'APIG.0201',
      );
      const old = await exchange(bed.server.url, 'GET / HTTP/1.0\r\n\r\n');
      assert.equal(old.status, 200, old.body);
    });

    test('CONNECT, OPTIONS and TRACE are 405 EndPoint.0008; HEAD answers without a body', async () => {
      assertCatalogError(
        await exchange(bed.server.url, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'),
        405,
        'EndPoint.0008',
      );
      for (const method of ['OPTIONS', 'TRACE']) {
        const res = await rawRequest({ method, url: bed.vpcs(), headers: { 'x-auth-token': bed.token } });
        assertCatalogError(raw(res), 405, 'EndPoint.0008');
      }
      const head = await rawRequest({
        method: 'HEAD',
        url: bed.vpcs(),
        headers: { 'x-auth-token': bed.token },
      });
      assert.equal(head.status, 200);
      assert.equal(head.text, '');
      assert.match(String(head.headers['x-request-id']), /^[0-9a-f]{32}$/);
      const headMissing = await rawRequest({ method: 'HEAD', url: `${bed.server.url}/nothing` });
      assert.equal(headMissing.status, 404);
      assert.equal(headMissing.text, '');
      assert.match(String(headMissing.headers['x-request-id']), /^[0-9a-f]{32}$/);
    });

    test('an absolute-form target is routed by its path and still authenticated', async () => {
      const path = `/v1/${bed.server.provider.projectId}/vpcs`;
      const anon = await exchange(
        bed.server.url,
        `GET http://evil.example${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      );
      assertCatalogError(anon, 401, 'EndPoint.0003');
      const missing = await exchange(
        bed.server.url,
        'GET http://evil.example/nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      );
      assertCatalogError(missing, 404, 'EndPoint.0005');
    });

    test('a client too slow to send its request gets 408 APIG.0201', async () => {
      // Node reads the deadlines at every check, so a test can shorten them on the running server.
      const http = bed.server.running.app.server;
      const saved = { headers: http.headersTimeout, request: http.requestTimeout };
      http.headersTimeout = 300;
      http.requestTimeout = 600;
      try {
        const slowHeaders = await exchange(bed.server.url, 'GET / HTTP/1.1\r\nHost: x\r\n', {
          timeoutMs: 5000,
        });
        assert.equal(assertCatalogError(slowHeaders, 408, 'APIG.0201').error_msg, 'Request timeout.');
        const slowBody = await exchange(
          bed.server.url,
          'POST /v3/auth/tokens HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{}',
          { timeoutMs: 5000 },
        );
        assertCatalogError(slowBody, 408, 'APIG.0201');
      } finally {
        http.headersTimeout = saved.headers;
        http.requestTimeout = saved.request;
      }
    });

    test('a body on a GET: a signed {} is accepted; one over body_limit is 400 and leaves the connection usable', async () => {
      const signed = await officialSign({
        endpoint: bed.server.url,
        method: 'GET',
        path: '/v1/{project_id}/vpcs',
        body: {},
        ak: bed.server.provider.ak,
        sk: bed.server.provider.sk,
        projectId: bed.server.provider.projectId,
      });
      const ok = await sendSigned('GET', signed);
      assert.equal(ok.status, 200, ok.text);
      // Over the limit, then a normal GET with a body, on one keep-alive connection:
      // the rest of the refused body must not leave the connection stuck.
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const headers = { 'x-auth-token': bed.token, 'content-type': 'text/plain' };
        for (let i = 0; i < 3; i++) {
          const big = 'x'.repeat(bed.server.config.body_limit * 2);
          assertCatalogError(await requestVia(agent, bed.vpcs(), 'GET', headers, big), 400, 'EndPoint.0002');
          const next = await requestVia(agent, bed.vpcs(), 'GET', headers, '{}');
          assert.equal(next.status, 200, next.body);
        }
      } finally {
        agent.destroy();
      }
    });

    test('the server still serves signed requests afterwards', async () => {
      const res = await bed.server.provider.sdk({ method: 'GET', url: '/v1/{project_id}/vpcs' });
      assert.ok(Array.isArray(res.vpcs));
    });
  });
}
