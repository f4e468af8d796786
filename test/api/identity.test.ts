import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rawRequest } from '../support/http.ts';
import { sdkError } from '../support/sdk.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { testDialects } from '../support/db.ts';

function tokenRequest(user: string, password: string, domain: Record<string, string>, scope?: unknown) {
  return {
    auth: {
      identity: { methods: ['password'], password: { user: { name: user, password, domain } } },
      ...(scope !== undefined ? { scope } : {}),
    },
  };
}

for (const dialect of testDialects()) {
  describe(`identity (${dialect})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ dialect });
    });
    after(async () => server.close());

    const postToken = (body: unknown, query = '') =>
      rawRequest({
        method: 'POST',
        url: `${server.url}/v3/auth/tokens${query}`,
        headers: { 'content-type': 'application/json;charset=UTF-8' },
        body: JSON.stringify(body),
      });

    test('a password token scoped to a project by name works for API calls', async () => {
      const p = server.provider;
      const res = await postToken(
        tokenRequest(p.user, p.password, { name: p.domainName }, { project: { name: 'tr-west-1' } }),
      );
      assert.equal(res.status, 201, res.text);
      const token = res.headers['x-subject-token'];
      assert.equal(typeof token, 'string');
      const body = res.json as {
        token: {
          expires_at: string;
          issued_at: string;
          methods: string[];
          catalog: unknown[];
          project: { id: string; name: string; domain: { id: string } };
          user: { name: string; domain: { id: string; name: string } };
          roles: unknown[];
        };
      };
      assert.match(body.token.expires_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      const lifetime = Date.parse(body.token.expires_at) - Date.parse(body.token.issued_at);
      assert.equal(lifetime, 24 * 3600 * 1000);
      assert.deepEqual(body.token.methods, ['password']);
      assert.equal(body.token.project.id, p.projectId);
      assert.equal(body.token.project.domain.id, p.domainId);
      assert.equal(body.token.user.domain.name, p.domainName);
      assert.ok(body.token.catalog.length > 0);

      const list = await rawRequest({
        method: 'GET',
        url: `${server.url}/v1/${p.projectId}/vpcs`,
        headers: { 'x-auth-token': String(token) },
      });
      assert.equal(list.status, 200, list.text);
      const other = await rawRequest({
        method: 'GET',
        url: `${server.url}/v1/${server.consumer.projectId}/vpcs`,
        headers: { 'x-auth-token': String(token) },
      });
      assert.equal(other.status, 403);
      assert.equal((other.json as { error_code: string }).error_code, 'EndPoint.0004');
    });

    test('domain by id and project by id work; nocatalog drops the catalog', async () => {
      const p = server.provider;
      const res = await postToken(
        tokenRequest(p.user, p.password, { id: p.domainId }, { project: { id: p.projectId } }),
        '?nocatalog=true',
      );
      assert.equal(res.status, 201, res.text);
      assert.equal((res.json as { token: { catalog?: unknown } }).token.catalog, undefined);
    });

    test('wrong credentials are 401 with the catalog error body', async () => {
      const p = server.provider;
      for (const body of [
        tokenRequest(p.user, 'wrong', { name: p.domainName }),
        tokenRequest('nobody', p.password, { name: p.domainName }),
        tokenRequest(p.user, p.password, { name: 'no-such-account' }),
        tokenRequest(p.user, p.password, { name: p.domainName }, { project: { name: 'no-such-project' } }),
        tokenRequest(
          p.user,
          p.password,
          { name: p.domainName },
          { project: { id: server.consumer.projectId } },
        ),
      ]) {
        const res = await postToken(body);
        assert.equal(res.status, 401, res.text);
        const err = res.json as Record<string, string>;
        assert.equal(err.error_code, 'EndPoint.0003');
        assert.equal(res.headers['x-subject-token'], undefined);
      }
    });

    test('malformed token requests are 400', async () => {
      const bad = [
        '{"auth":',
        JSON.stringify({ auth: { identity: { methods: ['password'] } } }),
        JSON.stringify({
          auth: { identity: { methods: ['token'], password: { user: { id: 'x', password: 'y' } } } },
        }),
        JSON.stringify({ ...tokenRequest('a', 'b', { name: 'c' }), extra: 1 }),
        JSON.stringify({
          auth: { identity: { methods: ['password'], password: { user: { name: 'a', password: 5 } } } },
        }),
      ];
      for (const body of bad) {
        const res = await rawRequest({
          method: 'POST',
          url: `${server.url}/v3/auth/tokens`,
          headers: { 'content-type': 'application/json' },
          body,
        });
        assert.equal(res.status, 400, `${body} → ${res.text}`);
        assert.equal((res.json as Record<string, string>).error_code, 'EndPoint.0002');
      }
    });

    test('the SDK project lookup finds exactly one project named after the region', async () => {
      const res = await server.provider.sdk({
        method: 'GET',
        url: '/v3/projects',
        queryParams: { name: 'tr-west-1' },
      });
      const projects = res.projects as { id: string; name: string; domain_id: string; is_domain: boolean }[];
      assert.equal(projects.length, 1);
      assert.equal(projects[0]?.id, server.provider.projectId);
      assert.equal(projects[0]?.domain_id, server.provider.domainId);
      assert.equal(projects[0]?.is_domain, false);
      const none = await server.provider.sdk({
        method: 'GET',
        url: '/v3/projects',
        queryParams: { name: 'eu-de' },
      });
      assert.deepEqual(none.projects, []);
      const auth = await server.consumer.sdk({ method: 'GET', url: '/v3/auth/projects' });
      assert.deepEqual(
        (auth.projects as { id: string }[]).map((x) => x.id),
        [server.consumer.projectId],
      );
      const domains = await server.consumer.sdk({ method: 'GET', url: '/v3/auth/domains' });
      assert.deepEqual(
        (domains.domains as { id: string }[]).map((x) => x.id),
        [server.consumer.domainId],
      );
    });

    test('the SDK surfaces our errors with code, message and request id', async () => {
      const err = await sdkError(
        server.provider.sdk({ method: 'GET', url: '/v1/{project_id}/no-such-thing' }),
      );
      assert.equal(err.httpStatusCode, 404);
      assert.equal(err.errorCode, 'EndPoint.0005');
      assert.match(err.requestId ?? '', /^[0-9a-f]{32}$/);
    });
  });
}
