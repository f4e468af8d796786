// Every official client's way in, replayed at the wire: the opentelekomcloud
// provider's AK/SK start-up (Credential= signatures, X-Project-Id unsigned, the
// catalog at GET /v3/auth/catalog) and its password start-up (the catalog inside
// the token), each read as gophertelekomcloud reads it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testDialects } from '../support/db.ts';
import { rawRequest, type RawResponse } from '../support/http.ts';
import { passwordToken, startTestServer, type TestAccount, type TestServer } from '../support/server.ts';
import { goRequest, goSigned, locateEndpoint, resourceBase, send, type CatalogEntry } from './otc-client.ts';

interface CatalogBody {
  catalog: CatalogEntry[];
  links: { self: string; next: string | null };
}

function assertError(res: RawResponse, status: number, code: string) {
  assert.equal(res.status, status, res.text);
  assert.equal((res.json as { error_code?: string }).error_code, code, res.text);
}

for (const dialect of testDialects())
  describe(`sign-in paths of the Terraform providers (${dialect})`, () => {
    let server: TestServer;
    let region: string;
    before(async () => {
      server = await startTestServer({ dialect });
      region = server.config.region;
    });
    after(async () => server.close());

    const go = (
      account: TestAccount,
      method: string,
      path: string,
      extra: Partial<Parameters<typeof goRequest>[0]> = {},
    ) => goRequest({ method, url: `${server.url}${path}`, ak: account.ak, sk: account.sk, ...extra });

    /** The OTC project client's start-up: project by name, then the catalog with X-Project-Id. */
    async function projectClientCatalog(account: TestAccount): Promise<CatalogBody> {
      const projects = await go(account, 'GET', `/v3/projects?name=${account.projectName}`);
      assert.equal(projects.status, 200, projects.text);
      const list = (projects.json as { projects: { id: string }[]; links: { next: null } }).projects;
      assert.equal(list[0]?.id, account.projectId);
      const res = await go(account, 'GET', '/v3/auth/catalog', { projectId: account.projectId });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.headers['cache-control'], 'no-store');
      return res.json as CatalogBody;
    }

    test('AK/SK: the catalog leads the VPCEP, VPC and IAM clients to working URLs', async () => {
      const p = server.provider;
      const body = await projectClientCatalog(p);
      // The pager follows links.next until it is null.
      assert.equal(body.links.next, null);
      assert.equal(body.links.self, `${server.url}/v3/auth/catalog`);

      // The project client's region is the project name's part before '_'.
      const vpcep = locateEndpoint(body.catalog, 'vpcep', region.split('_')[0]!);
      assert.equal(vpcep, `${server.url}/v1/${p.projectId}/`);
      const services = await go(
        p,
        'GET',
        new URL(`${resourceBase.vpcep(vpcep)}vpc-endpoint-services`).pathname,
        {
          projectId: p.projectId,
        },
      );
      assert.equal(services.status, 200, services.text);
      assert.ok(Array.isArray((services.json as { endpoint_services: unknown[] }).endpoint_services));

      const network = locateEndpoint(body.catalog, 'network', region);
      assert.equal(network, `${server.url}/`);
      const vpcsUrl = `${resourceBase.networkV1(network, p.projectId)}vpcs`;
      const created = await goRequest({
        method: 'POST',
        url: vpcsUrl,
        // json.Marshal output: compact, keys in struct order.
        body: JSON.stringify({ vpc: { name: 'from-go', cidr: '10.40.0.0/16' } }),
        ak: p.ak,
        sk: p.sk,
        projectId: p.projectId,
      });
      assert.equal(created.status, 200, created.text);
      const listed = await goRequest({
        method: 'GET',
        url: `${vpcsUrl}?limit=100`,
        ak: p.ak,
        sk: p.sk,
        projectId: p.projectId,
      });
      assert.equal(listed.status, 200, listed.text);
      assert.ok((listed.json as { vpcs: { name: string }[] }).vpcs.some((v) => v.name === 'from-go'));

      const vpc = locateEndpoint(body.catalog, 'vpc', region);
      assert.equal(resourceBase.vpcV3(vpc!), `${server.url}/v3/${p.projectId}/vpc/`);

      const identity = locateEndpoint(body.catalog, 'identity', region);
      assert.equal(identity, `${server.url}/v3/`);
      const domains = await goRequest({
        method: 'GET',
        url: `${resourceBase.identityV3(identity)}auth/domains`,
        ak: p.ak,
        sk: p.sk,
      });
      assert.equal(domains.status, 200, domains.text);
      assert.equal((domains.json as { domains: { id: string }[] }).domains[0]?.id, p.domainId);

      // Every interface and entry names the configured region (V3EndpointURL compares `region`).
      for (const entry of body.catalog)
        for (const e of entry.endpoints) {
          assert.equal(e.region, region);
          assert.equal(e.region_id, region);
          assert.match(e.id, /^[0-9a-f]{32}$/);
        }
      assert.ok(locateEndpoint(body.catalog, 'vpcep', region, 'internal'));
    });

    test('a POST without a body, signed over its query, is authenticated; its query is bound', async () => {
      const p = server.provider;
      const url = `${server.url}/v2/${p.projectId}/vpc-endpoint-services/${crypto.randomUUID()}/upgrade?b=2&a=1`;
      const wire = goSigned({ method: 'POST', url, ak: p.ak, sk: p.sk, projectId: p.projectId });
      // Past authentication: the service does not exist.
      assertError(await send(wire), 404, 'EndPoint.0005');
      assertError(await send({ ...wire, url: url.replace('b=2', 'b=3') }), 401, 'EndPoint.0003');
      assertError(await send({ ...wire, body: '{}' }), 401, 'EndPoint.0003');
    });

    test('AK/SK without X-Project-Id (the domain client): identity only, nothing project-bound', async () => {
      const p = server.provider;
      const res = await go(p, 'GET', '/v3/auth/catalog');
      assert.equal(res.status, 200, res.text);
      const { catalog } = res.json as CatalogBody;
      assert.equal(locateEndpoint(catalog, 'identity', ''), `${server.url}/v3/`);
      assert.equal(locateEndpoint(catalog, 'vpcep', ''), undefined);
      assert.equal(locateEndpoint(catalog, 'vpc', ''), undefined);
      assert.ok(!res.text.includes(p.projectId));
      assert.ok(!res.text.includes(server.consumer.projectId));
    });

    test('password: the token catalog carries the same URLs, and its VPCEP URL works with the token', async () => {
      const p = server.provider;
      const login = await rawRequest({
        method: 'POST',
        url: `${server.url}/v3/auth/tokens`,
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({
          auth: {
            identity: {
              methods: ['password'],
              password: { user: { name: p.user, password: p.password, domain: { name: p.domainName } } },
            },
            scope: { project: { name: p.projectName, domain: { name: p.domainName } } },
          },
        }),
      });
      assert.equal(login.status, 201, login.text);
      assert.equal(login.headers['cache-control'], 'no-store');
      const token = String(login.headers['x-subject-token']);
      const catalog = (login.json as { token: { catalog: CatalogEntry[] } }).token.catalog;
      const vpcep = locateEndpoint(catalog, 'vpcep', region);
      assert.equal(vpcep, `${server.url}/v1/${p.projectId}/`);
      const res = await rawRequest({
        method: 'GET',
        url: `${vpcep}vpc-endpoints`,
        headers: { 'x-auth-token': token },
      });
      assert.equal(res.status, 200, res.text);

      const viaApi = await rawRequest({
        method: 'GET',
        url: `${server.url}/v3/auth/catalog`,
        headers: { 'x-auth-token': token },
      });
      assert.equal(viaApi.status, 200, viaApi.text);
      assert.deepEqual((viaApi.json as CatalogBody).catalog, catalog);
    });

    test('a domain-scoped token has a catalog without project-bound services', async () => {
      const p = server.provider;
      const login = await rawRequest({
        method: 'POST',
        url: `${server.url}/v3/auth/tokens`,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          auth: {
            identity: {
              methods: ['password'],
              password: { user: { name: p.user, password: p.password, domain: { name: p.domainName } } },
            },
            scope: { domain: { name: p.domainName } },
          },
        }),
      });
      assert.equal(login.status, 201, login.text);
      const catalog = (login.json as { token: { catalog: CatalogEntry[] } }).token.catalog;
      assert.equal(locateEndpoint(catalog, 'identity', region), `${server.url}/v3/`);
      assert.equal(locateEndpoint(catalog, 'vpcep', region), undefined);
    });

    test('GET /v3/auth/catalog needs credentials', async () => {
      const res = await rawRequest({ method: 'GET', url: `${server.url}/v3/auth/catalog` });
      assertError(res, 401, 'EndPoint.0003');
      const badToken = await rawRequest({
        method: 'GET',
        url: `${server.url}/v3/auth/catalog`,
        headers: { 'x-auth-token': 'MIIvpcep.e30.AAAA' },
      });
      assertError(badToken, 401, 'EndPoint.0003');
    });

    test("an unsigned X-Project-Id cannot point a request or a catalog at another account's project", async () => {
      const p = server.provider;
      const c = server.consumer;
      const path = `/v1/${p.projectId}/vpc-endpoint-services`;
      const captured = goSigned({
        method: 'GET',
        url: `${server.url}${path}`,
        ak: p.ak,
        sk: p.sk,
        projectId: p.projectId,
      });
      assert.ok(!captured.headers.Authorization?.includes('x-project-id'), 'X-Project-Id is not signed');
      assert.equal((await send(captured)).status, 200);
      // A replayer who points the unsigned header at another account's project gets nothing...
      const header = { ...captured.headers, 'X-Project-Id': c.projectId };
      assertError(await send({ ...captured, headers: header }), 403, 'EndPoint.0004');
      // ...nor by also changing the path, which is signed...
      const moved = {
        ...captured,
        url: `${server.url}/v1/${c.projectId}/vpc-endpoint-services`,
        headers: header,
      };
      assertError(await send(moved), 401, 'EndPoint.0003');
      // ...and the key's owner cannot sign its way into another account's project.
      assertError(
        await go(p, 'GET', `/v1/${c.projectId}/vpc-endpoint-services`, { projectId: c.projectId }),
        403,
        'EndPoint.0004',
      );

      // The catalog: another account's project, or a made-up one, is refused, not filled in.
      for (const projectId of [c.projectId, '0'.repeat(32), 'x'.repeat(10_000), 'a b', 'a\tb', '../v3']) {
        const res = await go(p, 'GET', '/v3/auth/catalog', { projectId });
        assertError(res, 403, 'EndPoint.0004');
        assert.ok(!res.text.includes('/v1/'), 'no catalog in the answer');
      }
      // A project-scoped token cannot ask for another project's catalog either.
      const token = await passwordToken(server.url, p);
      const scoped = await rawRequest({
        method: 'GET',
        url: `${server.url}/v3/auth/catalog`,
        headers: { 'x-auth-token': token, 'x-project-id': c.projectId },
      });
      assertError(scoped, 403, 'EndPoint.0004');
    });

    test('the signed Host cannot be changed, and a malformed Host never reaches a catalog URL', async () => {
      const p = server.provider;
      // Host is among the signed headers: a captured catalog call replayed under another Host fails.
      const moved = await go(p, 'GET', '/v3/auth/catalog', {
        projectId: p.projectId,
        tamper: { Host: 'attacker.example:8080' },
      });
      assertError(moved, 401, 'EndPoint.0003');

      // A client may name any well-formed host; the catalog it gets back points there, for it alone.
      const token = await passwordToken(server.url, p);
      const elsewhere = await rawRequest({
        method: 'GET',
        url: `${server.url}/v3/auth/catalog`,
        headers: { 'x-auth-token': token, host: 'vpcep.example:8443' },
      });
      assert.equal(elsewhere.status, 200, elsewhere.text);
      assert.equal(
        locateEndpoint((elsewhere.json as CatalogBody).catalog, 'vpcep', region),
        `http://vpcep.example:8443/v1/${p.projectId}/`,
      );
      // Nothing is remembered: the next caller's catalog names its own Host.
      const mine = await rawRequest({
        method: 'GET',
        url: `${server.url}/v3/auth/catalog`,
        headers: { 'x-auth-token': token },
      });
      assert.ok(!mine.text.includes('vpcep.example'));

      for (const host of [
        'evil.example/path?x=',
        'user@evil.example',
        'evil.example#',
        'a..b',
        'a b',
        `${'a'.repeat(300)}.example`,
        '127.0.0.1:99999',
        '[::1',
        'evil.example:80:81',
      ]) {
        const res = await rawRequest({
          method: 'GET',
          url: `${server.url}/v3/auth/catalog`,
          headers: { 'x-auth-token': token, host },
        });
        assertError(res, 400, 'EndPoint.0002');
        const login = await rawRequest({
          method: 'POST',
          url: `${server.url}/v3/auth/tokens`,
          headers: { 'content-type': 'application/json', host },
          body: '{}',
        });
        assertError(login, 400, 'EndPoint.0002');
      }
    });

    test('a replayer cannot add query parameters the Go signer would not have signed', async () => {
      const p = server.provider;
      const path = `/v1/${p.projectId}/vpc-endpoint-services?limit=10&offset=0`;
      const signed = () =>
        goSigned({ method: 'GET', url: `${server.url}${path}`, ak: p.ak, sk: p.sk, projectId: p.projectId });
      assert.equal((await send(signed())).status, 200);
      for (const extra of ['&limit=1000', '&offset=0;sort_dir=asc', '&id=%zz', '&sort_dir=asc']) {
        const wire = signed();
        assertError(await send({ ...wire, url: wire.url + extra }), 401, 'EndPoint.0003');
      }
    });
  });
