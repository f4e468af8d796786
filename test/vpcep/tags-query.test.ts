// The tag query (`POST {resource_type}/resource_instances/action`): filter and
// count with Huawei's tag semantics, resource_name matches, Terraform's string
// `limit`/`offset`, the validation codes, and the tenant boundary.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testDialects } from '../support/db.ts';
import type { SdkResult } from '../support/sdk.ts';
import { startTestServer, type TestAccount, type TestServer } from '../support/server.ts';
import {
  NETWORKS,
  createEndpoint,
  createService,
  expectError,
  networkOf,
  settled,
  whitelistDomain,
  type Network,
} from './endpoints.support.ts';

interface Resource {
  resource_id: string;
  resource_name: string;
  resource_detail: unknown;
  tags: { key: string; value: string }[];
}

const ids = (body: SdkResult) => (body.resources as Resource[]).map((r) => r.resource_id).sort();

for (const dialect of testDialects()) {
  describe(`tag queries over services and endpoints (${dialect})`, () => {
    let server: TestServer;
    let s1: string; // env=prod, team=a
    let s2: string; // env=dev, team=b
    let s3: string; // untagged
    let s2Name: string;
    let ep: string; // the provider's own endpoint
    let cep: string; // the consumer's endpoint

    const query = (data: Record<string, unknown>, type = 'endpoint_service', account?: TestAccount) =>
      (account ?? server.provider).sdk({
        method: 'POST',
        url: `/v1/{project_id}/${type}/resource_instances/action`,
        data,
      });
    const filter = (data: Record<string, unknown> = {}) => query({ action: 'filter', ...data });
    const tag = (account: TestAccount, type: string, id: string, tags: { key: string; value: string }[]) =>
      account.sdk({
        method: 'POST',
        url: `/v1/{project_id}/${type}/${id}/tags/action`,
        data: { action: 'create', tags },
      });
    const net = (n: Network) => ({ vpc_id: n.vpcId, subnet_id: n.subnetId });

    before(async () => {
      server = await startTestServer({ dialect, accountExtras: NETWORKS });
      const pnet = await networkOf(server.provider, 'vpc-p');
      const cnet = await networkOf(server.consumer, 'vpc-c');
      const service = (name: string, port: number) =>
        createService(server, pnet, { name, ports: [{ client_port: port, server_port: port }] });
      s1 = (await service('alpha', 81)).id;
      const second = await service('Beta', 82);
      s2 = second.id;
      s2Name = second.serviceName;
      s3 = (await service('gamma', 83)).id;
      const p = server.provider;
      await tag(p, 'endpoint_service', s1, [
        { key: 'env', value: 'prod' },
        { key: 'team', value: 'a' },
      ]);
      await tag(p, 'endpoint_service', s2, [
        { key: 'env', value: 'dev' },
        { key: 'team', value: 'b' },
      ]);
      await whitelistDomain(server, s1, server.consumer.domainId);
      ep = String((await createEndpoint(p, { endpoint_service_id: s1, ...net(pnet) })).id);
      cep = String((await createEndpoint(server.consumer, { endpoint_service_id: s1, ...net(cnet) })).id);
      await settled(p, ep);
      await settled(server.consumer, cep);
      await tag(p, 'endpoint', ep, [{ key: 'role', value: 'client' }]);
      await tag(server.consumer, 'endpoint', cep, [{ key: 'owner', value: 'consumer' }]);
    });
    after(async () => server.close());

    test('filter: tags (AND/OR), tags_any, not_tags, not_tags_any, without_any_tag', async () => {
      const only = (list: string[]) => list.filter((id) => [s1, s2, s3].includes(id));
      const f = async (data: Record<string, unknown>) => only(ids(await filter(data)));
      assert.deepEqual(await f({ tags: [{ key: 'env', values: ['prod'] }] }), [s1]);
      assert.deepEqual(await f({ tags: [{ key: 'env', values: [] }] }), [s1, s2].sort());
      assert.deepEqual(
        await f({
          tags: [
            { key: 'env', values: ['prod', 'dev'] },
            { key: 'team', values: ['b'] },
          ],
        }),
        [s2],
      );
      assert.deepEqual(
        await f({
          tags_any: [
            { key: 'team', values: ['a'] },
            { key: 'env', values: ['dev'] },
          ],
        }),
        [s1, s2].sort(),
      );
      assert.deepEqual(await f({ not_tags: [{ key: 'env', values: ['prod'] }] }), [s2, s3].sort());
      assert.deepEqual(
        await f({
          not_tags: [
            { key: 'env', values: ['prod'] },
            { key: 'team', values: ['b'] },
          ],
        }),
        [s1, s2, s3].sort(),
        'not_tags excludes only resources matching every key',
      );
      assert.deepEqual(
        await f({
          not_tags_any: [
            { key: 'env', values: ['prod'] },
            { key: 'team', values: ['b'] },
          ],
        }),
        [s3],
      );
      assert.deepEqual(
        await f({ without_any_tag: true, tags: [{ key: 'env', values: ['prod'] }] }),
        [s3],
        'without_any_tag ignores the tag lists',
      );
      assert.deepEqual(await f({ tags: [{ key: 'nope', values: [] }] }), []);
    });

    test('filter: resource_name matches, sys_tags, the result shape and the tenant boundary', async () => {
      const byName = await filter({ matches: [{ key: 'resource_name', value: 'BETA' }] });
      assert.deepEqual(byName.resources, [
        {
          resource_id: s2,
          resource_name: s2Name,
          resource_detail: null,
          tags: [
            { key: 'env', value: 'dev' },
            { key: 'team', value: 'b' },
          ],
        },
      ]);
      assert.equal(byName.total_count, 1);
      assert.deepEqual(ids(await filter({ matches: [{ key: 'resource_name', value: '' }] })), []);
      assert.deepEqual(ids(await filter({ matches: [{ key: 'resource_name', value: '%' }] })), []);
      const all = (await filter()).total_count;
      assert.equal(
        (await filter({ sys_tags: [{ key: '_sys_enterprise_project_id', values: ['0'] }] })).total_count,
        all,
      );
      assert.equal(
        (await filter({ sys_tags: [{ key: '_sys_enterprise_project_id', values: ['42'] }] })).total_count,
        0,
      );
      const mine = ids(await query({ action: 'filter' }, 'endpoint'));
      assert.ok(mine.includes(ep) && !mine.includes(cep));
      assert.deepEqual(ids(await query({ action: 'filter' }, 'endpoint', server.consumer)), [cep]);
      assert.deepEqual(
        (await query({ action: 'filter' }, 'endpoint_service', server.consumer)).resources,
        [],
      );
    });

    test('filter pages with limit/offset given as strings or numbers; count answers total_count only', async () => {
      const everything = await filter();
      const total = Number(everything.total_count);
      assert.equal(total, 3);
      const newestFirst = (everything.resources as Resource[]).map((r) => r.resource_id);
      const page = await filter({ limit: '1', offset: '1' });
      assert.deepEqual(
        (page.resources as Resource[]).map((r) => r.resource_id),
        newestFirst.slice(1, 2),
      );
      assert.equal(page.total_count, total);
      const numeric = await filter({ limit: 2, offset: 0 });
      assert.deepEqual(
        (numeric.resources as Resource[]).map((r) => r.resource_id),
        newestFirst.slice(0, 2),
      );
      assert.deepEqual((await filter({ limit: '1000', offset: String(total) })).resources, []);

      const counted = await query({ action: 'count', tags: [{ key: 'env', values: [] }], limit: '1' });
      assert.equal(counted.total_count, 2);
      assert.equal(counted.resources, undefined);
    });

    test('filter parameters are validated with their codes', async () => {
      for (const limit of ['0', '1001', 'abc', '-1', 0, 1001, '1.5']) {
        await expectError(filter({ limit }), 400, 'EndPoint.0006');
      }
      for (const offset of ['-1', 'x', -1]) await expectError(filter({ offset }), 400, 'EndPoint.0010');
      const cases: [Record<string, unknown>, string][] = [
        [{ tags: [{ key: '', values: [] }] }, 'EndPoint.3066'],
        [{ tags_any: [{ key: 'k'.repeat(128), values: [] }] }, 'EndPoint.3072'],
        [{ not_tags: [{ key: 'k', values: ['v'.repeat(256)] }] }, 'EndPoint.3073'],
        [
          {
            tags: [
              { key: 'k', values: [] },
              { key: 'k', values: ['v'] },
            ],
          },
          'EndPoint.3067',
        ],
        [{ not_tags_any: [{ key: 'k', values: ['v', 'v'] }] }, 'EndPoint.3071'],
        [{ tags: [{ key: 'k', values: Array.from({ length: 11 }, (_, i) => `v${i}`) }] }, 'EndPoint.3069'],
        [{ matches: [{ key: 'name', value: 'x' }] }, 'EndPoint.0002'],
        [{ tags: [{ key: 'k' }] }, 'EndPoint.0002'],
      ];
      for (const [data, code] of cases) await expectError(filter(data), 400, code);
      await expectError(query({ action: 'list' }), 400, 'EndPoint.0007');
    });
  });
}
