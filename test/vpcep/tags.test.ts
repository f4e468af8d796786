// Tags of endpoint services and endpoints: batch create/delete on one resource
// (`tags/action`), the tenant's tag inventory, every validation code, resource
// types and tenancy. The tag query (resource_instances) is in tags-query.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testDialects } from '../support/db.ts';
import { rawRequest } from '../support/http.ts';
import { passwordToken, startTestServer, type TestAccount, type TestServer } from '../support/server.ts';
import {
  NETWORKS,
  createEndpoint,
  createService,
  expectError,
  networkOf,
  publicGatewayService,
  settled,
  whitelistDomain,
  type Network,
} from './endpoints.support.ts';

interface Tag {
  key: string;
  value?: string;
}
interface Resource {
  resource_id: string;
  resource_name: string;
  resource_detail: unknown;
  tags: { key: string; value: string }[];
}

const UNKNOWN = '00000000-0000-4000-8000-000000000000';

for (const dialect of testDialects()) {
  describe(`tags of services and endpoints (${dialect})`, () => {
    let server: TestServer;
    let pnet: Network;
    let s1: string; // env=prod, team=a
    let s2: string; // env=dev, team=b
    let s3: string; // kept untagged
    let ep: string; // the provider's own endpoint
    let cep: string; // the consumer's endpoint

    const tagAction = (type: string, id: string, action: string, tags?: Tag[], account?: TestAccount) =>
      (account ?? server.provider).sdk({
        method: 'POST',
        url: `/v1/{project_id}/${type}/${id}/tags/action`,
        data: { action, ...(tags !== undefined ? { tags } : {}) },
      });
    const create = (id: string, tags: Tag[], type = 'endpoint_service') =>
      tagAction(type, id, 'create', tags);
    const remove = (id: string, tags: Tag[], type = 'endpoint_service') =>
      tagAction(type, id, 'delete', tags);
    const tagsOf = async (id: string) => {
      const body = await server.provider.sdk({
        method: 'POST',
        url: '/v1/{project_id}/endpoint_service/resource_instances/action',
        data: { action: 'filter' },
      });
      const found = (body.resources as Resource[]).find((r) => r.resource_id === id);
      assert.ok(found, `service ${id} is listed`);
      return found.tags;
    };
    const query = (data: Record<string, unknown>, type = 'endpoint_service', account?: TestAccount) =>
      (account ?? server.provider).sdk({
        method: 'POST',
        url: `/v1/{project_id}/${type}/resource_instances/action`,
        data,
      });

    before(async () => {
      server = await startTestServer({ dialect, accountExtras: NETWORKS });
      pnet = await networkOf(server.provider, 'vpc-p');
      s1 = (
        await createService(server, pnet, { name: 'alpha', ports: [{ client_port: 81, server_port: 81 }] })
      ).id;
      s2 = (
        await createService(server, pnet, { name: 'Beta', ports: [{ client_port: 82, server_port: 82 }] })
      ).id;
      s3 = (
        await createService(server, pnet, { name: 'gamma', ports: [{ client_port: 83, server_port: 83 }] })
      ).id;
      const cnet = await networkOf(server.consumer, 'vpc-c');
      await whitelistDomain(server, s1, server.consumer.domainId);
      ep = String((await createEndpoint(server.provider, { endpoint_service_id: s1, ...net(pnet) })).id);
      cep = String((await createEndpoint(server.consumer, { endpoint_service_id: s1, ...net(cnet) })).id);
      await settled(server.provider, ep);
      await settled(server.consumer, cep);
    });
    after(async () => server.close());

    const net = (n: Network) => ({ vpc_id: n.vpcId, subnet_id: n.subnetId });

    test('tags/action answers 204 with an empty body', async () => {
      const p = server.provider;
      const token = await passwordToken(server.url, p);
      const res = await rawRequest({
        method: 'POST',
        url: `${server.url}/v1/${p.projectId}/endpoint_service/${s1}/tags/action`,
        headers: { 'content-type': 'application/json;charset=UTF-8', 'x-auth-token': token },
        body: JSON.stringify({ action: 'create', tags: [{ key: 'env', value: 'prod' }] }),
      });
      assert.equal(res.status, 204, res.text);
      assert.equal(res.text, '');
      const viaSdk = await create(s1, [{ key: 'team', value: 'a' }]);
      assert.equal(viaSdk.httpStatusCode, 204);
      assert.deepEqual(await tagsOf(s1), [
        { key: 'env', value: 'prod' },
        { key: 'team', value: 'a' },
      ]);
      // The service's own view shows them too.
      const shown = await p.sdk({ method: 'GET', url: `/v1/{project_id}/vpc-endpoint-services/${s1}` });
      assert.deepEqual((shown.tags as Tag[]).map((t) => `${t.key}=${t.value}`).sort(), [
        'env=prod',
        'team=a',
      ]);
    });

    test('create upserts by key; a missing value is the empty string', async () => {
      await create(s2, [
        { key: 'env', value: 'staging' },
        { key: 'team', value: 'b' },
      ]);
      await create(s2, [{ key: 'env', value: 'dev' }, { key: 'flag' }]);
      assert.deepEqual(await tagsOf(s2), [
        { key: 'env', value: 'dev' },
        { key: 'flag', value: '' },
        { key: 'team', value: 'b' },
      ]);
    });

    test('delete by key, or by key and value only when the value matches', async () => {
      await remove(s2, [{ key: 'team', value: 'not-b' }]);
      assert.ok(
        (await tagsOf(s2)).some((t) => t.key === 'team'),
        'a different value deletes nothing',
      );
      await remove(s2, [{ key: 'flag', value: '' }]);
      assert.ok(!(await tagsOf(s2)).some((t) => t.key === 'flag'));
      await remove(s2, [{ key: 'team' }, { key: 'absent' }]);
      assert.deepEqual(await tagsOf(s2), [{ key: 'env', value: 'dev' }]);
      await create(s2, [{ key: 'team', value: 'b' }]);
      // Empty or missing lists change nothing.
      assert.equal((await tagAction('endpoint_service', s2, 'delete', [])).httpStatusCode, 204);
      assert.equal((await tagAction('endpoint_service', s2, 'create')).httpStatusCode, 204);
      assert.equal((await tagsOf(s2)).length, 2);
    });

    test('endpoints are tagged the same way', async () => {
      await create(ep, [{ key: 'role', value: 'client' }], 'endpoint');
      const body = await query({ action: 'filter' }, 'endpoint');
      const found = (body.resources as Resource[]).find((r) => r.resource_id === ep);
      assert.deepEqual(found, {
        resource_id: ep,
        resource_name: ep,
        resource_detail: null,
        tags: [{ key: 'role', value: 'client' }],
      });
      const shown = await server.provider.sdk({ method: 'GET', url: `/v1/{project_id}/vpc-endpoints/${ep}` });
      assert.deepEqual(shown.tags, [{ key: 'role', value: 'client' }]);
    });

    test('at most 20 tags per resource (EndPoint.3069); updating existing keys does not count', async () => {
      const id = (await createService(server, pnet, { ports: [{ client_port: 84, server_port: 84 }] })).id;
      const keys = (from: number, n: number) =>
        Array.from({ length: n }, (_, i) => ({ key: `k${from + i}`, value: 'v' }));
      await create(id, keys(0, 15));
      await expectError(create(id, keys(15, 6)), 400, 'EndPoint.3069');
      assert.equal((await tagsOf(id)).length, 15, 'nothing of the failing call was written');
      await create(id, [...keys(10, 5).map((t) => ({ ...t, value: 'w' })), ...keys(15, 5)]);
      assert.equal((await tagsOf(id)).length, 20);
      await expectError(create(id, keys(100, 21)), 400, 'EndPoint.3069');
    });

    test('tag keys and values are validated with their codes', async () => {
      const cases: [Tag[], string][] = [
        [[{ key: '', value: 'v' }], 'EndPoint.3066'],
        [[{ key: 'k'.repeat(37), value: 'v' }], 'EndPoint.3072'],
        [[{ key: 'k', value: 'v'.repeat(44) }], 'EndPoint.3073'],
        [[{ key: 'a=b', value: 'v' }], 'EndPoint.3068'],
        [[{ key: 'k', value: 'a*' }], 'EndPoint.3068'],
        [[{ key: ' k', value: 'v' }], 'EndPoint.3068'],
        [[{ key: 'k', value: 'v ' }], 'EndPoint.3068'],
        [
          [
            { key: 'dup', value: '1' },
            { key: 'dup', value: '2' },
          ],
          'EndPoint.3067',
        ],
      ];
      for (const [tags, code] of cases) await expectError(create(s3, tags), 400, code);
      await expectError(remove(s3, [{ key: '' }]), 400, 'EndPoint.3066');
      await expectError(remove(s3, [{ key: 'a|b' }]), 400, 'EndPoint.3068');
      await expectError(tagAction('endpoint_service', s3, 'update', []), 400, 'EndPoint.0007');
      await expectError(
        server.provider.sdk({
          method: 'POST',
          url: `/v1/{project_id}/endpoint_service/${s3}/tags/action`,
          data: { action: 'create', tags: [{ key: 'k', value: 'v', extra: 1 }] },
        }),
        400,
        'EndPoint.0002',
      );
      assert.deepEqual(await tagsOf(s3), []);
      // The longest allowed key and value are fine.
      await create(s3, [{ key: 'k'.repeat(36), value: 'v'.repeat(43) }]);
      await remove(s3, [{ key: 'k'.repeat(36) }]);
    });

    test('only endpoint_service and endpoint are resource types (EndPoint.3070)', async () => {
      const p = server.provider;
      await expectError(tagAction('vpcs', s1, 'create', [{ key: 'k', value: 'v' }]), 400, 'EndPoint.3070');
      await expectError(
        tagAction('endpoints', ep, 'create', [{ key: 'k', value: 'v' }]),
        400,
        'EndPoint.3070',
      );
      await expectError(
        p.sdk({ method: 'GET', url: '/v1/{project_id}/services/tags' }),
        400,
        'EndPoint.3070',
      );
      await expectError(
        p.sdk({
          method: 'POST',
          url: '/v1/{project_id}/vpc_endpoint/resource_instances/action',
          data: { action: 'count' },
        }),
        400,
        'EndPoint.3070',
      );
      // The neighbouring real routes are not shadowed by the catch-all.
      assert.equal(
        (await p.sdk({ method: 'GET', url: '/v1/{project_id}/vpc-endpoints' })).httpStatusCode,
        200,
      );
      assert.equal(
        (await p.sdk({ method: 'GET', url: '/v1/{project_id}/vpc-endpoint-services' })).httpStatusCode,
        200,
      );
    });

    test("a resource must be the caller's own (404 with the resource's code)", async () => {
      const kv = [{ key: 'k', value: 'v' }];
      await expectError(tagAction('endpoint', cep, 'create', kv), 404, 'EndPoint.2006');
      await expectError(tagAction('endpoint', UNKNOWN, 'delete', [{ key: 'k' }]), 404, 'EndPoint.2006');
      await expectError(
        tagAction('endpoint_service', s1, 'create', kv, server.consumer),
        404,
        'EndPoint.0005',
      );
      await expectError(tagAction('endpoint_service', UNKNOWN, 'create', kv), 404, 'EndPoint.0005');
      await expectError(tagAction('endpoint_service', ep, 'create', kv), 404, 'EndPoint.0005');
      const obs = await publicGatewayService(server);
      await expectError(tagAction('endpoint_service', obs.id, 'create', kv), 404, 'EndPoint.0005');
    });

    test('resources being deleted take no tag changes', async () => {
      const db = server.running.store.db;
      const kv = [{ key: 'k', value: 'v' }];
      const ep0 = await db
        .selectFrom('endpoints')
        .select('status')
        .where('id', '=', ep)
        .executeTakeFirstOrThrow();
      const s0 = await db
        .selectFrom('endpoint_services')
        .select('status')
        .where('id', '=', s3)
        .executeTakeFirstOrThrow();
      try {
        await db.updateTable('endpoints').set({ status: 'deleting' }).where('id', '=', ep).execute();
        await expectError(tagAction('endpoint', ep, 'create', kv), 400, 'EndPoint.2018');
        await db.updateTable('endpoint_services').set({ status: 'deleting' }).where('id', '=', s3).execute();
        await expectError(tagAction('endpoint_service', s3, 'delete', kv), 400, 'EndPoint.3045');
      } finally {
        await db.updateTable('endpoints').set({ status: ep0.status }).where('id', '=', ep).execute();
        await db.updateTable('endpoint_services').set({ status: s0.status }).where('id', '=', s3).execute();
      }
    });

    test("the tag inventory covers the tenant's resources of one type", async () => {
      await server.consumer.sdk({
        method: 'POST',
        url: `/v1/{project_id}/endpoint/${cep}/tags/action`,
        data: { action: 'create', tags: [{ key: 'owner', value: 'consumer' }] },
      });
      const services = await server.provider.sdk({
        method: 'GET',
        url: '/v1/{project_id}/endpoint_service/tags',
      });
      assert.equal(services.httpStatusCode, 200);
      const inventory = services.tags as { key: string; values: string[] }[];
      // Sorted by key (the 20-tag service of an earlier test contributes k0…k19: v and w).
      assert.deepEqual(
        inventory.map((t) => t.key),
        inventory.map((t) => t.key).sort(),
      );
      assert.deepEqual(
        inventory.filter((t) => !/^k\d+$/.test(t.key)),
        [
          { key: 'env', values: ['dev', 'prod'] },
          { key: 'team', values: ['a', 'b'] },
        ],
      );
      assert.deepEqual(inventory.find((t) => t.key === 'k10')?.values, ['w']);
      const endpoints = await server.provider.sdk({ method: 'GET', url: '/v1/{project_id}/endpoint/tags' });
      assert.deepEqual(endpoints.tags, [{ key: 'role', values: ['client'] }]);
      const theirs = await server.consumer.sdk({ method: 'GET', url: '/v1/{project_id}/endpoint/tags' });
      assert.deepEqual(theirs.tags, [{ key: 'owner', values: ['consumer'] }]);
      const none = await server.consumer.sdk({
        method: 'GET',
        url: '/v1/{project_id}/endpoint_service/tags',
      });
      assert.deepEqual(none.tags, []);
    });
  });
}
