// GET of one endpoint is what clients poll. On SQLite an unchanged endpoint's
// view and its JSON are made once and handed out again (vpcep/endpoints/views.ts,
// api/kept-json.ts): the bytes must be the ones fastify's serializer makes, every
// change must be in the very next answer, whoever made it, and nothing kept may
// reach another tenant.
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
} from './endpoints.support.ts';

for (const dialect of testDialects()) {
  describe(`GET of one endpoint, asked again and again (${dialect})`, () => {
    let server: TestServer;
    let endpointId: string;
    let get: ReturnType<typeof rawGetter>;
    const getOne = (account?: TestAccount) => get(`/vpc-endpoints/${endpointId}`, account);
    const shown = okJson(() => getOne());

    before(async () => {
      const bed = await endpointTestBed(dialect);
      server = bed.server;
      get = rawGetter(server);
      const service = await createService(server, bed.netP, {
        ports: [{ client_port: 9100, server_port: 91 }],
      });
      await whitelistDomain(server, service.id, server.consumer.domainId);
      const created = await createEndpoint(server.consumer, {
        endpoint_service_id: service.id,
        vpc_id: bed.netC.vpcId,
        subnet_id: bed.netC.subnetId,
        tags: [{ key: 'team', value: 'blue' }],
      });
      endpointId = String(created.id);
      await settled(server.consumer, endpointId);
    });
    after(async () => {
      await server.close();
    });

    test('repeated answers are the bytes the list serializer makes, each with its own request id', async () => {
      const first = await getOne();
      const second = await getOne();
      const third = await getOne();
      for (const res of [first, second, third]) {
        assert.equal(res.status, 200, res.text);
        assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
        assert.equal(res.headers['content-length'], String(Buffer.byteLength(res.text)));
        assert.equal(res.text, first.text);
      }
      const ids = new Set([first, second, third].map((r) => r.headers['x-request-id']));
      assert.equal(ids.size, 3);
      // HEAD answers the same headers and no body.
      const head = await get(`/vpc-endpoints/${endpointId}`, undefined, 'HEAD');
      assert.equal(head.status, 200);
      assert.equal(head.headers['content-type'], first.headers['content-type']);
      assert.equal(head.headers['content-length'], first.headers['content-length']);
      assert.equal(head.text, '');
      // The list's items go through fastify's serializer of the same schema.
      const list = await get(`/vpc-endpoints?id=${endpointId}`);
      assert.equal(list.status, 200, list.text);
      const [item] = (list.json as { endpoints: unknown[] }).endpoints;
      assert.equal(first.text, JSON.stringify(item));
      assert.deepEqual((first.json as { tags: unknown }).tags, [{ key: 'team', value: 'blue' }]);
    });

    test('a change through the API is in the very next answer', async () => {
      await shown();
      await shown();
      await server.consumer.sdk({
        method: 'PUT',
        url: `/v1/{project_id}/vpc-endpoints/${endpointId}`,
        data: { whitelist: ['127.30.0.0/24'], enable_whitelist: true },
      });
      const updated = await shown();
      assert.deepEqual(updated.whitelist, ['127.30.0.0/24']);
      assert.equal(updated.enable_whitelist, true);

      await server.consumer.sdk({
        method: 'POST',
        url: `/v1/{project_id}/endpoint/${endpointId}/tags/action`,
        data: { action: 'create', tags: [{ key: 'env', value: 'ci' }] },
      });
      assert.deepEqual((await shown()).tags, [
        { key: 'env', value: 'ci' },
        { key: 'team', value: 'blue' },
      ]);
    });

    test('tags come back as they were written, whatever their text', async () => {
      const odd = [
        { key: 'q"uote', value: '\u00e9t\u00e9 \u{1F600} "x"\tend' },
        { key: 'zero', value: '' },
      ];
      await server.consumer.sdk({
        method: 'POST',
        url: `/v1/{project_id}/endpoint/${endpointId}/tags/action`,
        data: { action: 'create', tags: odd },
      });
      assert.deepEqual((await shown()).tags, [
        { key: 'env', value: 'ci' },
        ...odd.slice(0, 1),
        { key: 'team', value: 'blue' },
        ...odd.slice(1),
      ]);
    });

    keptAnswerTests({
      shown,
      getOne,
      changeElsewhere: (description) => describeElsewhere(server, 'endpoints', endpointId, description),
      stranger: () => server.provider,
      missingCode: 'EndPoint.2006',
    });
  });
}
