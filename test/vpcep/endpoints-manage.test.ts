// The endpoint operations after create: list filters and paging, whitelist
// updates, route tables, policies, the v2 upgrade and the asynchronous delete.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testDialects } from '../support/db.ts';
import type { TestServer } from '../support/server.ts';
import {
  endpointTestBed,
  createEndpoint,
  createService,
  expectError,
  getEndpoint,
  publicGatewayService,
  settled,
  waitGone,
  whitelistDomain,
  type Network,
} from './endpoints.support.ts';

type Endpoint = Record<string, unknown> & { id: string };

for (const dialect of testDialects()) {
  describe(`manage VPC endpoints (${dialect})`, () => {
    let server: TestServer;
    let netP: Network;
    let netC: Network;
    let netC2: Network;
    let alpha: { id: string; serviceName: string };
    let beta: { id: string; serviceName: string };
    let obs: { id: string; serviceName: string };
    /** Created in this order: a1 (vpc-c), a2 (vpc-c2), b1 (vpc-c). */
    const made: Endpoint[] = [];

    const list = (queryParams: Record<string, unknown> = {}) =>
      server.consumer.sdk({ method: 'GET', url: '/v1/{project_id}/vpc-endpoints', queryParams });
    const ids = (body: Record<string, unknown>) => (body.endpoints as Endpoint[]).map((e) => e.id);
    const put = (id: string, suffix: string, data: unknown) =>
      server.consumer.sdk({ method: 'PUT', url: `/v1/{project_id}/vpc-endpoints/${id}${suffix}`, data });
    const del = (id: string, suffix = '') =>
      server.consumer.sdk({ method: 'DELETE', url: `/v1/{project_id}/vpc-endpoints/${id}${suffix}` });

    before(async () => {
      ({ server, netP, netC, netC2 } = await endpointTestBed(dialect));
      alpha = await createService(server, netP, {
        name: 'Alpha',
        ports: [{ client_port: 9000, server_port: 90 }],
      });
      beta = await createService(server, netP, {
        name: 'beta',
        ports: [{ client_port: 9001, server_port: 91 }],
      });
      await whitelistDomain(server, alpha.id, server.consumer.domainId);
      await whitelistDomain(server, beta.id, server.consumer.domainId);
      obs = await publicGatewayService(server);
      for (const [svc, net] of [
        [alpha, netC],
        [alpha, netC2],
        [beta, netC],
      ] as const) {
        const e = await createEndpoint(server.consumer, {
          vpc_id: net.vpcId,
          subnet_id: net.subnetId,
          endpoint_service_id: svc.id,
        });
        made.push(e as Endpoint);
        await settled(server.consumer, String(e.id));
        // Distinct creation seconds are not needed: ties are broken by id.
      }
    });
    after(async () => server.close());

    test('lists newest first with total_count, filters and paging', async () => {
      const all = await list();
      assert.equal(all.httpStatusCode, 200);
      assert.deepEqual(
        Object.keys(all).filter((k) => Array.isArray(all[k])),
        ['endpoints'],
      );
      assert.equal(all.total_count, 3);
      const newestFirst = ids(all);
      assert.equal(newestFirst.length, 3);
      assert.deepEqual(new Set(newestFirst), new Set(made.map((e) => e.id)));
      const asc = ids(await list({ sort_dir: 'asc' }));
      assert.deepEqual(asc, [...newestFirst].reverse());
      assert.deepEqual(ids(await list({ sort_key: 'updated_at', sort_dir: 'asc', limit: 10 })).length, 3);

      // endpoint_service_name: case-insensitive substring of the full name.
      const byName = await list({ endpoint_service_name: 'ALPH' });
      assert.equal(byName.total_count, 2);
      assert.deepEqual(new Set(ids(byName)), new Set([made[0]!.id, made[1]!.id]));
      assert.equal((await list({ endpoint_service_name: beta.serviceName.toUpperCase() })).total_count, 1);
      assert.equal((await list({ endpoint_service_name: '%' })).total_count, 0, 'wildcards match literally');

      const byVpc = await list({ vpc_id: netC.vpcId });
      assert.deepEqual(new Set(ids(byVpc)), new Set([made[0]!.id, made[2]!.id]));
      assert.equal(byVpc.total_count, 2);
      const byId = await list({ id: made[1]!.id });
      assert.deepEqual(ids(byId), [made[1]!.id]);
      assert.equal(byId.total_count, 1);

      // Pages with limit/offset, [] past the end; total_count ignores both.
      const p1 = await list({ limit: 2, offset: 0 });
      const p2 = await list({ limit: 2, offset: 2 });
      const p3 = await list({ limit: 2, offset: 4 });
      assert.deepEqual([...ids(p1), ...ids(p2)], newestFirst);
      assert.deepEqual(p3.endpoints, []);
      assert.equal(p3.total_count, 3);
      assert.deepEqual((await list({ limit: 0 })).endpoints, []);

      await expectError(list({ limit: 1001 }), 400, 'EndPoint.0006');
      await expectError(list({ limit: -1 }), 400, 'EndPoint.0006');
      await expectError(list({ offset: -1 }), 400, 'EndPoint.0010');
      await expectError(list({ sort_key: 'name' }), 400, 'EndPoint.0017');
      await expectError(list({ sort_dir: 'up' }), 400, 'EndPoint.0018');
    });

    test('the list entry equals the detail', async () => {
      const shown = await getEndpoint(server.consumer, made[0]!.id);
      const listed = (await list({ id: made[0]!.id })).endpoints as Endpoint[];
      const { httpStatusCode: _s, ...detail } = shown;
      assert.deepEqual(listed[0], detail);
    });

    test('PUT updates the whitelist; an empty list clears it', async () => {
      const id = made[0]!.id;
      const updated = await put(id, '', {
        whitelist: ['127.30.0.0/24', '192.168.1.1'],
        enable_whitelist: true,
      });
      assert.equal(updated.httpStatusCode, 200);
      assert.equal(updated.id, id);
      assert.deepEqual(updated.whitelist, ['127.30.0.0/24', '192.168.1.1']);
      assert.equal(updated.enable_whitelist, true);
      assert.equal(updated.status, 'accepted');
      const onlyFlag = await put(id, '', { enable_whitelist: false });
      assert.deepEqual(onlyFlag.whitelist, ['127.30.0.0/24', '192.168.1.1'], 'an absent list is kept');
      assert.equal(onlyFlag.enable_whitelist, false);
      const cleared = await put(id, '', { whitelist: [] });
      assert.deepEqual(cleared.whitelist, []);
      assert.deepEqual((await getEndpoint(server.consumer, id)).whitelist, []);

      await expectError(put(id, '', { whitelist: ['nope'] }), 400, 'EndPoint.2044');
      await expectError(put(id, '', { whitelist: ['198.19.128.1'] }), 400, 'EndPoint.2044');
      const many = Array.from({ length: 21 }, (_, i) => `10.9.0.${i + 1}`);
      await expectError(put(id, '', { whitelist: many }), 400, 'EndPoint.2045');
      await expectError(put(id, '', { whitelist: [], port_ip: '1.2.3.4' }), 400, 'EndPoint.0002');
      await expectError(
        put('00000000-0000-0000-0000-000000000000', '', { whitelist: [] }),
        404,
        'EndPoint.2006',
      );
    });

    test('a failed endpoint cannot be modified', async () => {
      const id = made[1]!.id;
      const db = server.running.store.db;
      await db.updateTable('endpoints').set({ status: 'failed' }).where('id', '=', id).execute();
      try {
        await expectError(put(id, '', { whitelist: [] }), 400, 'EndPoint.2047');
        await expectError(put(id, '/policy', { policy_statement: [] }), 400, 'EndPoint.2047');
      } finally {
        await db.updateTable('endpoints').set({ status: 'accepted' }).where('id', '=', id).execute();
      }
    });

    test('route tables of a gateway endpoint can be replaced', async () => {
      const gw = await createEndpoint(server.consumer, { vpc_id: netC.vpcId, endpoint_service_id: obs.id });
      const id = String(gw.id);
      assert.deepEqual(gw.routetables, [netC.routeTableId]);
      const none = await put(id, '/routetables', { routetables: [] });
      assert.deepEqual(none.routetables, []);
      assert.deepEqual(none.error, []);
      assert.deepEqual((await getEndpoint(server.consumer, id)).routetables, []);
      const again = await put(id, '/routetables', { routetables: [netC.routeTableId] });
      assert.deepEqual(again.routetables, [netC.routeTableId]);
      assert.deepEqual(
        Object.keys(again)
          .filter((k) => k !== 'httpStatusCode')
          .sort(),
        ['error', 'routetables'],
      );
      await expectError(put(id, '/routetables', { routetables: [netC2.routeTableId] }), 400, 'EndPoint.1019');
      await expectError(put(id, '/routetables', {}), 400, 'EndPoint.0002');
      await expectError(put(made[0]!.id, '/routetables', { routetables: [] }), 400, 'EndPoint.0002');
    });

    test('policies are set with PUT and removed with DELETE, which answers the endpoint', async () => {
      const id = made[2]!.id;
      const statement = [{ Effect: 'Allow', Action: ['obs:*:*'], Resource: ['obs:*:*:*:*'], Sid: 's1' }];
      const set = await put(id, '/policy', {
        policy_statement: statement,
        policy_document: { Version: '5.0' },
      });
      assert.equal(set.httpStatusCode, 200);
      assert.deepEqual(set.policy_statement, statement);
      assert.deepEqual(set.policy_document, { Version: '5.0' });
      assert.deepEqual((await getEndpoint(server.consumer, id)).policy_statement, statement);
      const removed = await del(id, '/policy');
      assert.equal(removed.httpStatusCode, 200);
      assert.equal(removed.id, id);
      assert.deepEqual(removed.policy_statement, []);
      assert.equal(removed.policy_document, undefined);
      assert.equal((await del(id, '/policy')).httpStatusCode, 200, 'removing no policy succeeds');
      await expectError(
        put(id, '/policy', { policy_statement: [{ Effect: 'Allow' }] }),
        400,
        'EndPoint.0002',
      );
    });

    test('v2 upgrade accepts action start with 202 and no body', async () => {
      const id = made[2]!.id;
      const up = (data: unknown, endpoint = id) =>
        server.consumer.sdk({
          method: 'POST',
          url: `/v2/{project_id}/vpc-endpoints/${endpoint}/upgrade`,
          data,
        });
      const res = await up({ action: 'start' });
      assert.equal(res.httpStatusCode, 202);
      assert.deepEqual({ ...res, httpStatusCode: undefined }, { httpStatusCode: undefined });
      await expectError(up({ action: 'stop' }), 400, 'EndPoint.2027');
      await expectError(up({}), 400, 'EndPoint.0002');
      await expectError(
        up({ action: 'start' }, '00000000-0000-0000-0000-000000000000'),
        404,
        'EndPoint.2006',
      );
    });

    test('delete answers 204, shows deleting, then 404 and frees the address', async () => {
      const e = await createEndpoint(server.consumer, {
        vpc_id: netC.vpcId,
        subnet_id: netC.subnetId,
        endpoint_service_id: alpha.id,
        port_ip: '127.30.0.200',
        tags: [{ key: 'k', value: 'v' }],
      });
      const id = String(e.id);
      await settled(server.consumer, id);
      const before = Number((await list()).total_count);
      const res = await del(id);
      assert.equal(res.httpStatusCode, 204);
      // Either the job has not run yet (deleting) or it has (404): nothing else.
      const after = await getEndpoint(server.consumer, id).then(
        (b) => String(b.status),
        () => 'gone',
      );
      assert.ok(['deleting', 'gone'].includes(after), `state after delete: ${after}`);
      // A second delete while deleting is accepted as well, or 404 once gone.
      await del(id).then(
        (r) => assert.equal(r.httpStatusCode, 204),
        (err: { httpStatusCode?: number }) => assert.equal(err.httpStatusCode, 404),
      );
      await waitGone(server.consumer, id);
      await expectError(del(id), 404, 'EndPoint.2006');
      assert.equal((await list()).total_count, before - 1);

      // The address went back to the subnet and the tags with the endpoint.
      const reuse = await createEndpoint(server.consumer, {
        vpc_id: netC.vpcId,
        subnet_id: netC.subnetId,
        endpoint_service_id: alpha.id,
        port_ip: '127.30.0.200',
      });
      assert.equal((await settled(server.consumer, String(reuse.id))).ip, '127.30.0.200');
      const tags = await server.running.store.db
        .selectFrom('resource_tags')
        .selectAll()
        .where('resource_id', '=', id)
        .execute();
      assert.deepEqual(tags, []);
    });

    test('deleting while deleting answers 204 without a second job', async () => {
      const db = server.running.store.db;
      const e = await createEndpoint(server.consumer, {
        vpc_id: netC.vpcId,
        subnet_id: netC.subnetId,
        endpoint_service_id: beta.id,
      });
      const id = String(e.id);
      await settled(server.consumer, id);
      // Lifecycle delays are 0 in tests, so a real delete is over at once: put
      // the endpoint in `deleting` directly, as a delete whose job has not run yet would.
      await db.updateTable('endpoints').set({ status: 'deleting' }).where('id', '=', id).execute();
      assert.equal((await del(id)).httpStatusCode, 204);
      const jobs = await db.selectFrom('jobs').selectAll().where('resource_id', '=', id).execute();
      assert.equal(jobs.length, 0, 'no job was added for the repeated delete');
      await expectError(put(id, '', { whitelist: [] }), 400, 'EndPoint.2018');
      // Restore and delete properly so the quota counter stays right.
      await db.updateTable('endpoints').set({ status: 'accepted' }).where('id', '=', id).execute();
      assert.equal((await del(id)).httpStatusCode, 204);
      await waitGone(server.consumer, id);
    });

    test('an endpoint deleted right after create is removed', async () => {
      const e = await createEndpoint(server.consumer, {
        vpc_id: netC.vpcId,
        subnet_id: netC.subnetId,
        endpoint_service_id: beta.id,
      });
      const id = String(e.id);
      await del(id);
      await waitGone(server.consumer, id);
    });
  });
}
