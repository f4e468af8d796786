// The client's own signer against the two independent references: the
// server's verifier (src/auth/signature.ts, which the client must not import)
// and the official SDK core's signer. Then the transport's defences.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { parseAuthorization, verifySignature } from '../../src/auth/signature.ts';
import { ApiError, ConnectionError } from '../../src/client/errors.ts';
import { fetchTransport } from '../../src/client/fetch-transport.ts';
import { path } from '../../src/client/http.ts';
import { signedTransport } from '../../src/client/signed-transport.ts';
import { sign } from '../../src/client/signer.ts';
import { officialSign } from '../support/official-signer.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const KEY = { ak: 'CLIENTAK000000000000', sk: 'CLIENTSK00000000000000000000000000000000' };
const AT = new Date('2024-05-06T07:08:09Z');

function verified(url: URL, method: string, headers: Record<string, string>, body: string | undefined) {
  const signature = sign({ method, url, headers, body }, KEY, AT);
  const all: IncomingHttpHeaders = { host: url.host, ...headers, ...signature.headers };
  const auth = parseAuthorization(String(all.authorization));
  assert.ok(auth, 'the Authorization header parses');
  return verifySignature(
    {
      method,
      rawUrl: url.pathname + url.search,
      headers: all,
      body: body === undefined ? undefined : Buffer.from(body),
    },
    auth,
    KEY.sk,
    { now: AT.getTime(), maxSkewMs: 60_000 },
  );
}

describe('client signer', () => {
  test('the server verifier accepts what it signs, for awkward paths, queries and bodies', () => {
    const headers = { 'content-type': 'application/json', 'x-project-id': 'p1' };
    const cases = [
      '/v1/p1/vpcs',
      '/v1/p1/vpcs/',
      `/v1/p1/vpcs/${path('{id}', { id: 'a b/c?d#e%f' })}`,
      `/v1/p1/vpcs/${path('{id}', { id: 'ümlaut-名前-\u0000' })}`,
      '/v1/p1/ports?fixed_ips=ip_address%3D127.0.0.1&fixed_ips=subnet_id%3Dx&id=b&id=a',
      '/v1/p1/vpcs?name=a+b&empty=&flag&x=%zz&y=%C3%BC',
      '/?z=1&a=2&a=1',
    ];
    for (const c of cases) {
      const url = new URL(`http://127.0.0.1:8080${c}`);
      for (const [method, body] of [
        ['GET', undefined],
        ['POST', '{"vpc":{"name":"ü","cidr":"127.20.0.0/16"}}'],
      ] as const) {
        assert.deepEqual(verified(url, method, headers, body), { ok: true }, `${method} ${c}`);
      }
    }
  });

  test('any change after signing is refused by the verifier', () => {
    const url = new URL('http://127.0.0.1:8080/v1/p1/vpcs?limit=5');
    const headers = { 'content-type': 'application/json', 'x-project-id': 'p1' };
    const body = '{"vpc":{"cidr":"127.20.0.0/16"}}';
    const signature = sign({ method: 'POST', url, headers, body }, KEY, AT);
    const auth = parseAuthorization(signature.headers.authorization)!;
    const base = { host: url.host, ...headers, ...signature.headers };
    const check = (req: { method?: string; rawUrl?: string; headers?: IncomingHttpHeaders; body?: string }) =>
      verifySignature(
        {
          method: req.method ?? 'POST',
          rawUrl: req.rawUrl ?? '/v1/p1/vpcs?limit=5',
          headers: req.headers ?? base,
          body: Buffer.from(req.body ?? body),
        },
        auth,
        KEY.sk,
        { now: AT.getTime(), maxSkewMs: 60_000 },
      ).ok;
    assert.equal(check({}), true);
    assert.equal(check({ method: 'PUT' }), false);
    assert.equal(check({ rawUrl: '/v1/p1/vpcs?limit=6' }), false);
    assert.equal(check({ rawUrl: '/v1/p2/vpcs?limit=5' }), false);
    assert.equal(check({ body: body.replace('20', '21') }), false);
    assert.equal(check({ headers: { ...base, 'x-project-id': 'p2' } }), false);
    assert.equal(check({ headers: { ...base, host: 'other:8080' } }), false);
    assert.deepEqual(auth.signedHeaders, ['content-type', 'host', 'x-project-id', 'x-sdk-date']);
  });

  test('the signature equals the official Node SDK signature of the same request', async () => {
    const cases = [
      { method: 'GET', path: '/v1/{project_id}/vpc-endpoints', query: { limit: 5, vpc_id: 'a b' } },
      { method: 'POST', path: '/v1/{project_id}/vpcs', body: { vpc: { cidr: '127.20.0.0/16', name: 'ü' } } },
    ];
    for (const c of cases) {
      const official = await officialSign({
        endpoint: 'http://127.0.0.1:8080',
        ...c,
        ...KEY,
        projectId: 'p1',
      });
      const date = official.headers['X-Sdk-Date']!;
      const at = new Date(
        date.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'),
      );
      const url = new URL(official.url.replace('{project_id}', 'p1'));
      const ours = sign(
        {
          method: c.method,
          url,
          headers: { 'content-type': 'application/json', 'x-project-id': 'p1' },
          body: official.body,
        },
        KEY,
        at,
      );
      assert.equal(ours.headers.authorization, official.headers.Authorization, c.path);
    }
  });

  test('path parameters that URL parsers would resolve or drop are refused before sending', () => {
    for (const id of ['', '.', '..']) {
      assert.throws(() => path('/v1/p/vpcs/{id}', { id }), TypeError, JSON.stringify(id));
    }
    assert.equal(path('/v1/p/vpcs/{id}', { id: '../x' }), '/v1/p/vpcs/..%2Fx');
    assert.equal(path('/v1/p/vpcs/{id}', { id: '%2e%2e' }), '/v1/p/vpcs/%252e%252e');
  });
});

describe('client transport against the real server', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => server.close());

  test('a signed call succeeds; a wrong key gets 401 EndPoint.0003 with the request id of the header', async () => {
    const { provider } = server;
    const good = signedTransport({ endpoint: server.url, ...provider, projectId: provider.projectId });
    const res = await good.send({ method: 'GET', path: `/v1/${provider.projectId}/vpcs` });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { vpcs: [] });

    const bad = signedTransport({
      endpoint: server.url + '/',
      ak: provider.ak,
      sk: 'x'.repeat(40),
      projectId: provider.projectId,
    });
    const err = await bad.send({ method: 'GET', path: `/v1/${provider.projectId}/vpcs` }).then(
      () => assert.fail('expected a 401'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ApiError);
    assert.equal(err.status, 401);
    assert.equal(err.errorCode, 'EndPoint.0003');
    assert.match(err.requestId, /\S/);
    assert.ok(err.errorMsg.length > 0);
  });

  test('a clock far off is refused (the signature binds the date)', async () => {
    const { provider } = server;
    const skewed = signedTransport(
      { endpoint: server.url, ...provider, projectId: provider.projectId },
      { now: () => new Date(Date.now() - 3_600_000) },
    );
    await assert.rejects(skewed.send({ method: 'GET', path: `/v1/${provider.projectId}/vpcs` }), {
      status: 401,
      errorCode: 'EndPoint.0003',
    });
  });

  test('a refused connection is a ConnectionError naming the endpoint', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((r) => probe.close(() => r()));
    const t = signedTransport({ endpoint: `http://127.0.0.1:${port}`, ak: 'a', sk: 'b', projectId: 'p' });
    await assert.rejects(t.send({ method: 'GET', path: '/' }), (e: unknown) => {
      assert.ok(e instanceof ConnectionError);
      assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
      return true;
    });
  });
});

describe('client transport against a hostile server', () => {
  let hostile: Server;
  let url: string;
  const seen: IncomingHttpHeaders[] = [];
  before(async () => {
    hostile = createServer((req, res) => {
      seen.push(req.headers);
      if (req.url === '/redirect') {
        res.writeHead(302, { location: `${url}/elsewhere` }).end();
      } else if (req.url === '/huge') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('"' + 'x'.repeat(200_000) + '"');
      } else if (req.url === '/html') {
        res
          .writeHead(502, { 'content-type': 'text/html', 'x-request-id': 'rid-1' })
          .end('<h1>Bad gateway</h1>');
      } else if (req.url === '/slow') {
        // Never answers: the client's timeout must end the call.
      } else {
        res.writeHead(200).end('{}');
      }
    });
    await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}`;
  });
  after(async () => {
    hostile.closeAllConnections();
    await new Promise<void>((r) => hostile.close(() => r()));
  });

  test('a redirect is not followed, so the credentials go nowhere else', async () => {
    seen.length = 0;
    const t = signedTransport({ endpoint: url, ak: 'AK', sk: 'SK', projectId: 'p' });
    await assert.rejects(t.send({ method: 'GET', path: '/redirect' }), { status: 302 });
    assert.equal(seen.length, 1, 'only the first request reached the server');
  });

  test('an answer larger than the cap is cut off; a non-JSON error keeps its text and request id', async () => {
    const t = fetchTransport({ endpoint: url, authorize: () => ({}), maxResponseBytes: 100_000 });
    await assert.rejects(t.send({ method: 'GET', path: '/huge' }), ConnectionError);
    await assert.rejects(t.send({ method: 'GET', path: '/html' }), {
      status: 502,
      errorCode: '',
      errorMsg: '<h1>Bad gateway</h1>',
      requestId: 'rid-1',
    });
  });

  test('a server that never answers hits the timeout', async () => {
    const t = fetchTransport({ endpoint: url, authorize: () => ({}), timeoutMs: 300 });
    await assert.rejects(t.send({ method: 'GET', path: '/slow' }), /no answer in time/);
  });

  test('endpoints with credentials, a query or another scheme are refused', () => {
    for (const endpoint of ['ftp://x', 'http://u:p@127.0.0.1', 'http://127.0.0.1/?a=1', 'not a url']) {
      assert.throws(() => fetchTransport({ endpoint, authorize: () => ({}) }), TypeError, endpoint);
    }
  });
});
