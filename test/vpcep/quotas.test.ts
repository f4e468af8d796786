// GET /v1/{project_id}/quotas (seed 004 §4.4.1) and the endpoint quota itself:
// usage follows creates and finished deletes, operator overrides apply, and two
// creates racing for the last unit cannot both win (decision #16).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testDialects } from '../support/db.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { sdkError } from '../support/sdk.ts';
import {
  createEndpoint,
  createService,
  expectError,
  NETWORKS,
  networkOf,
  settled,
  waitGone,
  whitelistDomain,
  type Network,
} from './endpoints.support.ts';

interface Resource {
  type: string;
  used: number;
  quota: number;
}

for (const dialect of testDialects()) {
  describe(`quotas (${dialect})`, () => {
    let server: TestServer;
    let netC: Network;
    let service: { id: string };

    const quotas = async (type?: string): Promise<Resource[]> => {
      const res = await server.consumer.sdk({
        method: 'GET',
        url: '/v1/{project_id}/quotas',
        ...(type !== undefined ? { queryParams: { type } } : {}),
      });
      assert.equal(res.httpStatusCode, 200);
      return (res.quotas as { resources: Resource[] }).resources;
    };

    before(async () => {
      server = await startTestServer({
        dialect,
        accountExtras: NETWORKS,
        overrides: { quotas: { endpoint_service: 20, endpoint: 1 } },
      });
      const netP = await networkOf(server.provider, 'vpc-p');
      netC = await networkOf(server.consumer, 'vpc-c');
      service = await createService(server, netP, { name: 'quota' });
      await whitelistDomain(server, service.id, server.consumer.domainId);
    });
    after(async () => server.close());

    test('answers both types, or one, with integer used and quota', async () => {
      const both = await quotas();
      assert.deepEqual(both, [
        { type: 'endpoint', used: 0, quota: 1 },
        { type: 'endpoint_service', used: 0, quota: 20 },
      ]);
      assert.deepEqual(await quotas('endpoint_service'), [{ type: 'endpoint_service', used: 0, quota: 20 }]);
      const err = await sdkError(
        server.consumer.sdk({ method: 'GET', url: '/v1/{project_id}/quotas', queryParams: { type: 'vpc' } }),
      );
      assert.equal(err.httpStatusCode, 400);
      assert.equal(err.errorCode, 'EndPoint.0002');
    });

    test('two creates racing for the last unit: exactly one wins', async () => {
      const body = { vpc_id: netC.vpcId, subnet_id: netC.subnetId, endpoint_service_id: service.id };
      const results = await Promise.allSettled([
        createEndpoint(server.consumer, body),
        createEndpoint(server.consumer, body),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected');
      assert.equal(won.length, 1);
      assert.equal(lost.length, 1);
      const err = (lost[0] as PromiseRejectedResult).reason as {
        httpStatusCode?: number;
        errorCode?: string;
      };
      assert.equal(err.httpStatusCode, 400);
      assert.equal(err.errorCode, 'Endpoint.1018', 'the seed spells this one code with a lower-case p');
      assert.deepEqual(await quotas('endpoint'), [{ type: 'endpoint', used: 1, quota: 1 }]);

      // The loser left nothing behind: no row, no port, no marker gap in use.
      const list = await server.consumer.sdk({ method: 'GET', url: '/v1/{project_id}/vpc-endpoints' });
      assert.equal(list.total_count, 1);
      assert.equal((list.endpoints as unknown[]).length, 1);
      const ports = await server.running.store.db
        .selectFrom('ports')
        .select('id')
        .where('device_owner', '=', 'network:vpcep')
        .execute();
      assert.equal(ports.length, 1);

      // The unit comes back only once the delete has finished.
      const winner = (won[0] as PromiseFulfilledResult<Record<string, unknown>>).value;
      const id = String(winner.id);
      await settled(server.consumer, id);
      await server.consumer.sdk({ method: 'DELETE', url: `/v1/{project_id}/vpc-endpoints/${id}` });
      await waitGone(server.consumer, id);
      assert.deepEqual(await quotas('endpoint'), [{ type: 'endpoint', used: 0, quota: 1 }]);
    });

    test('an operator override of one project replaces the configured quota', async () => {
      const db = server.running.store.db;
      await db
        .insertInto('quota_overrides')
        .values({ project_id: server.consumer.projectId, type: 'endpoint', quota: 3 })
        .execute();
      assert.deepEqual(await quotas('endpoint'), [{ type: 'endpoint', used: 0, quota: 3 }]);
      const body = { vpc_id: netC.vpcId, subnet_id: netC.subnetId, endpoint_service_id: service.id };
      for (let i = 0; i < 3; i++) await createEndpoint(server.consumer, body);
      await expectError(createEndpoint(server.consumer, body), 400, 'Endpoint.1018');
      assert.deepEqual(await quotas('endpoint'), [{ type: 'endpoint', used: 3, quota: 3 }]);
      // The provider's own quota is untouched.
      const theirs = await server.provider.sdk({
        method: 'GET',
        url: '/v1/{project_id}/quotas',
        queryParams: { type: 'endpoint' },
      });
      assert.deepEqual((theirs.quotas as { resources: Resource[] }).resources, [
        { type: 'endpoint', used: 0, quota: 1 },
      ]);
    });
  });
}
