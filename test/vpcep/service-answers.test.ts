// GET of one endpoint service is what a provider's tools poll. It is one
// statement (the service, its port mappings, tags and connection count) and,
// on SQLite, an unchanged service's view and JSON are made once
// (vpcep/services/views.ts, api/kept-json.ts): the bytes must be those of
// fastify's serializer, every change, another tenant's included, must be in
// the very next answer, and nothing kept may reach another tenant.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testDialects } from '../support/db.ts';
import type { TestAccount, TestServer } from '../support/server.ts';
import {
  createEndpoint,
  createService,
  describeElsewhere,
  endpointTestBed,
  keptAnswerTests,
  okJson,
  rawGetter,
  settled,
  whitelistDomain,
  type Network,
} from './endpoints.support.ts';

for (const dialect of testDialects()) {
  describe(`GET of one endpoint service, asked again and again (${dialect})`, () => {
    let server: TestServer;
    let netC: Network;
    let serviceId: string;
    let get: ReturnType<typeof rawGetter>;
    const getOne = (account?: TestAccount) =>
      get(`/vpc-endpoint-services/${serviceId}`, account ?? server.provider);
    const shown = okJson(() => getOne());

    before(async () => {
      const bed = await endpointTestBed(dialect);
      server = bed.server;
      netC = bed.netC;
      get = rawGetter(server);
      // Mappings in an order that is not the ports' order: the answer keeps the given one.
      serviceId = (
        await createService(server, bed.netP, {
          ports: [
            { client_port: 9300, server_port: 93 },
            { client_port: 9100, server_port: 91 },
            { client_port: 9200, server_port: 92, protocol: 'UDP' },
          ],
        })
      ).id;
      await whitelistDomain(server, serviceId, server.consumer.domainId);
      await server.provider.sdk({
        method: 'POST',
        url: `/v1/{project_id}/endpoint_service/${serviceId}/tags/action`,
        data: {
          action: 'create',
          tags: [
            { key: 'zone', value: 'a' },
            { key: 'app', value: '\u00e9t\u00e9 "x"' },
          ],
        },
      });
    });
    after(async () => {
      await server.close();
    });

    test('repeated answers are the bytes the list serializer makes, ports in their order, tags in key order', async () => {
      const first = await getOne();
      const second = await getOne();
      for (const res of [first, second]) {
        assert.equal(res.status, 200, res.text);
        assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
        assert.equal(res.text, first.text);
      }
      assert.notEqual(first.headers['x-request-id'], second.headers['x-request-id']);
      const list = await get(`/vpc-endpoint-services?id=${serviceId}`, server.provider);
      assert.equal(list.status, 200, list.text);
      const [item] = (list.json as { endpoint_services: unknown[] }).endpoint_services;
      assert.equal(first.text, JSON.stringify(item));
      const body = first.json as Record<string, unknown>;
      assert.deepEqual(
        (body.ports as { client_port: number; protocol: string }[]).map((p) => [p.client_port, p.protocol]),
        [
          [9300, 'TCP'],
          [9100, 'TCP'],
          [9200, 'UDP'],
        ],
      );
      assert.deepEqual(body.tags, [
        { key: 'app', value: '\u00e9t\u00e9 "x"' },
        { key: 'zone', value: 'a' },
      ]);
      assert.equal(body.connection_count, 0);
    });

    test("another tenant's new endpoint is in the very next answer's connection count", async () => {
      assert.equal((await shown()).connection_count, 0);
      const created = await createEndpoint(server.consumer, {
        endpoint_service_id: serviceId,
        vpc_id: netC.vpcId,
        subnet_id: netC.subnetId,
      });
      assert.equal((await shown()).connection_count, 1);
      await settled(server.consumer, String(created.id));
      assert.equal((await shown()).connection_count, 1);
    });

    test('a change through the API is in the very next answer', async () => {
      await shown();
      await server.provider.sdk({
        method: 'PUT',
        url: `/v1/{project_id}/vpc-endpoint-services/${serviceId}`,
        data: { description: 'second', ports: [{ client_port: 9400, server_port: 94, protocol: 'TCP' }] },
      });
      const updated = await shown();
      assert.equal(updated.description, 'second');
      assert.deepEqual(
        (updated.ports as { client_port: number }[]).map((p) => p.client_port),
        [9400],
      );
    });

    keptAnswerTests({
      shown,
      getOne,
      changeElsewhere: (description) =>
        describeElsewhere(server, 'endpoint_services', serviceId, description),
      stranger: () => server.consumer,
      missingCode: 'EndPoint.0005',
    });
  });
}
