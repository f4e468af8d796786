// The operator's probes: GET /healthz (the process answers) and GET /readyz
// (the node's checks, by role), public, on the API listener and on
// metrics.listen; not ready is 503 VPCEP.0503 in the catalog's shape.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pg from 'pg';
import { Readiness } from '../../src/health/readiness.ts';
import { freshDatabase, testDialects } from '../support/db.ts';
import { exchange } from '../api/edge.support.ts';
import { rawRequest, type RawResponse } from '../support/http.ts';
import { waitUntil } from '../support/wait.ts';
import { startLoggedServer } from './support.ts';

interface Check {
  name: string;
  state: string;
  reason?: string;
}

function checksOf(res: RawResponse): Check[] {
  return (res.json as { checks: Check[] }).checks;
}

function readyz(base: string): Promise<RawResponse> {
  return rawRequest({ method: 'GET', url: `${base}/readyz` });
}

/** /readyz once every check is ready (a component may still be finishing its start). */
function whenReady(base: string): Promise<RawResponse> {
  return waitUntil(
    () => readyz(base),
    (r) => r.status === 200,
    'the node to be ready',
  );
}

for (const dialect of testDialects()) {
  describe(`health checks (${dialect})`, () => {
    test('/healthz and /readyz are public GET routes; a full node is ready with all four checks', async () => {
      const server = await startLoggedServer(dialect);
      try {
        const health = await rawRequest({ method: 'GET', url: `${server.url}/healthz` });
        assert.equal(health.status, 200);
        assert.deepEqual(health.json, { status: 'ok' });
        assert.match(String(health.headers['x-request-id']), /^[0-9a-f]{32}$/);
        const ready = await whenReady(server.url);
        assert.equal((ready.json as { status: string }).status, 'ready');
        assert.deepEqual(
          checksOf(ready).map((c) => [c.name, c.state]),
          [
            ['database', 'ready'],
            ['jobs', 'ready'],
            ['dataplane', 'ready'],
            ['dns', 'ready'],
          ],
        );
        assert.equal(ready.headers['cache-control'], 'no-store');
        // Nothing of the tenants: no account, project or key of the two test accounts.
        for (const secretish of [server.provider.domainId, server.provider.projectId, server.provider.ak]) {
          assert.ok(!ready.text.includes(secretish));
        }
        for (const method of ['POST', 'PUT', 'DELETE']) {
          const res = await rawRequest({ method, url: `${server.url}/readyz`, body: '{}' });
          assert.equal(res.status, 405, method);
          assert.equal((res.json as { error_code: string }).error_code, 'EndPoint.0008');
        }
        const head = await rawRequest({ method: 'HEAD', url: `${server.url}/healthz` });
        assert.equal(head.status, 200);
        assert.equal(head.text, '');
        // Probes are logged at debug, not among the request lines of info (the refused POSTs are).
        const logged = server.log.lines.filter((l) => l.msg === 'request' && l.path === '/readyz');
        assert.deepEqual(
          logged.map((l) => [l.method, l.status]),
          [
            ['POST', 405],
            ['PUT', 405],
            ['DELETE', 405],
          ],
        );
      } finally {
        await server.close();
      }
    });

    test('the probes under attack: odd methods, bad credentials, hostile headers and queries', async () => {
      const server = await startLoggedServer(dialect);
      try {
        await whenReady(server.url);
        const errorCode = (res: RawResponse) => (res.json as { error_code?: string } | undefined)?.error_code;
        for (const path of ['/healthz', '/readyz']) {
          const url = `${server.url}${path}`;
          for (const method of ['PATCH', 'OPTIONS']) {
            const res = await rawRequest({ method, url });
            assert.equal(res.status, 405, `${method} ${path}`);
            assert.equal(errorCode(res), 'EndPoint.0008');
            assert.equal((res.json as { request_id: string }).request_id, res.headers['x-request-id']);
          }
          // A method no route knows, written on the socket: an answer in the catalog's shape, no hang.
          const odd = await exchange(url, `FOO ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
          assert.ok(odd.status >= 400 && odd.status < 500, `FOO ${path}: ${odd.status}`);
          // Public: credentials, good or bad, are neither needed nor checked, nor echoed.
          const hostile: Record<string, string>[] = [
            { authorization: 'SDK-HMAC-SHA256 Access=NOPE, SignedHeaders=x, Signature=00' },
            { 'x-auth-token': 'garbage'.repeat(100) },
            { 'x-request-id': 'forged-request-id', 'x-forwarded-for': '10.0.0.1' },
            { accept: 'text/html', 'content-type': 'application/xml' },
            { 'x-long': 'a'.repeat(8000) },
          ];
          for (const headers of hostile) {
            const res = await rawRequest({ method: 'GET', url, headers });
            assert.equal(res.status, 200, `${path} ${JSON.stringify(headers).slice(0, 60)}`);
            assert.ok(
              !res.text.includes('garbage') && !res.text.includes('NOPE') && !res.text.includes('forged'),
            );
            assert.match(
              String(res.headers['x-request-id']),
              /^[0-9a-f]{32}$/,
              "the request id is the server's",
            );
          }
          // A query and a body are ignored; a NUL or a broken escape in the URL is refused as everywhere.
          assert.equal(
            (await rawRequest({ method: 'GET', url: `${url}?verbose=1&x=${'y'.repeat(5000)}` })).status,
            200,
          );
          assert.equal(
            (
              await rawRequest({
                method: 'GET',
                url,
                body: '{"x":1}',
                headers: { 'content-type': 'application/json' },
              })
            ).status,
            200,
          );
          for (const query of ['?a=%00', '?a=%ZZ', '?a=%C3']) {
            const res = await rawRequest({ method: 'GET', url: `${url}${query}` });
            assert.equal(res.status, 400, `${path}${query}`);
            assert.equal(errorCode(res), 'EndPoint.0002');
          }
          // Near misses are unknown routes, not probes (a trailing slash is ignored, as on every route).
          for (const near of [`${path}x`, path.toUpperCase(), `/v1${path}`]) {
            const res = await rawRequest({ method: 'GET', url: `${server.url}${near}` });
            assert.equal(res.status, 404, near);
          }
        }
        // The server still answers afterwards.
        assert.equal((await readyz(server.url)).status, 200);
      } finally {
        await server.close();
      }
    });

    test('a node reports the checks of its own roles only, on metrics.listen too', async () => {
      const database = await freshDatabase(dialect);
      try {
        const api = await startLoggedServer(dialect, {
          database,
          overrides: { roles: ['api'], metrics: { listen: '127.0.0.1:0' } },
        });
        try {
          const ready = await whenReady(api.url);
          assert.deepEqual(
            checksOf(ready).map((c) => c.name),
            ['database'],
          );
          const ops = api.running.metricsUrl.replace(/\/metrics$/, '');
          assert.equal((await whenReady(ops)).status, 200);
          assert.equal((await rawRequest({ method: 'GET', url: `${ops}/healthz` })).status, 200);
          const unknown = await rawRequest({ method: 'GET', url: `${ops}/v3/projects` });
          assert.equal(unknown.status, 404);
          assert.equal((unknown.json as { error_code: string }).error_code, 'EndPoint.0005');
        } finally {
          await api.close();
        }
        // A traffic node without the API: its only HTTP server answers the probes.
        const traffic = await startLoggedServer(dialect, {
          database,
          overrides: { roles: ['dataplane', 'dns'] },
        });
        try {
          const ready = await whenReady(traffic.url);
          assert.deepEqual(
            checksOf(ready).map((c) => c.name),
            ['database', 'dataplane', 'dns'],
          );
        } finally {
          await traffic.close();
        }
      } finally {
        await database.drop();
      }
    });
  });
}

describe('readiness while the database is away', { skip: !process.env.VPCEP_TEST_DATABASE_URL }, () => {
  test('PostgreSQL refusing connections: 503 naming the database, /healthz still 200; ready when it is back', async () => {
    const server = await startLoggedServer('postgres');
    const name = new URL(server.config.database).pathname.slice(1);
    const admin = new pg.Client({ connectionString: process.env.VPCEP_TEST_DATABASE_URL });
    await admin.connect();
    try {
      await whenReady(server.url);
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
      const down = await waitUntil(
        () => readyz(server.url),
        (r) => r.status === 503,
        'not ready',
      );
      const body = down.json as { error_code: string; error_msg: string; request_id: string };
      assert.equal(body.error_code, 'VPCEP.0503');
      assert.match(body.error_msg, /database \(unreachable\)/);
      assert.equal(body.request_id, down.headers['x-request-id']);
      assert.deepEqual(
        checksOf(down).find((c) => c.name === 'database'),
        {
          name: 'database',
          state: 'not_ready',
          reason: 'unreachable',
        },
      );
      // The reason is a fixed phrase: the driver's message (host, user, database) stays in the log.
      assert.ok(!down.text.includes(name));
      assert.ok(server.log.lines.some((l) => l.msg.startsWith('readiness: the database')));
      assert.equal((await rawRequest({ method: 'GET', url: `${server.url}/healthz` })).status, 200);

      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
      const back = await waitUntil(
        () => readyz(server.url),
        (r) => r.status === 200,
        'ready again',
        30_000,
      );
      assert.ok(checksOf(back).every((c) => c.state === 'ready'));
    } finally {
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`).catch(() => undefined);
      await admin.end();
      await server.close();
    }
  });
});

describe('Readiness', () => {
  test('one evaluation a second, shared by concurrent callers, whatever the request rate', async () => {
    let now = 0;
    let probes = 0;
    let failing = false;
    const readiness = new Readiness(
      [
        {
          name: 'store',
          async probe() {
            probes += 1;
            await new Promise((resolve) => setImmediate(resolve));
            return failing ? 'unreachable' : undefined;
          },
        },
      ],
      { now: () => now },
    );
    const first = await Promise.all(Array.from({ length: 50 }, () => readiness.report()));
    assert.equal(probes, 1);
    assert.ok(first.every((r) => r.ready));
    failing = true;
    now = 999;
    assert.equal((await readiness.report()).ready, true, 'still the cached answer');
    assert.equal(probes, 1);
    now = 1000;
    const later = await readiness.report();
    assert.equal(probes, 2);
    assert.deepEqual(later, {
      ready: false,
      checks: [{ name: 'store', state: 'not_ready', reason: 'unreachable' }],
    });
  });

  test('a check that throws is not ready, not an error', async () => {
    const readiness = new Readiness([
      {
        name: 'broken',
        probe() {
          throw new Error('boom');
        },
      },
    ]);
    assert.deepEqual(await readiness.report(), {
      ready: false,
      checks: [{ name: 'broken', state: 'not_ready', reason: 'check failed' }],
    });
  });
});
