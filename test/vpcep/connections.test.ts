// Connections: the service owner's view of the endpoints connected to a service,
// accept/reject and the owner's descriptions, black-box over HTTP with the
// official SDK core. Fixtures go through the services/endpoints APIs (via the
// shared endpoint fixtures); endpoint states the lifecycle passes too quickly
// to catch with delays of 0 (creating, deleting, failed) are set in the store.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { VpcepChange } from '../../src/vpcep/deps.ts';
import { testDialects } from '../support/db.ts';
import type { SdkResult } from '../support/sdk.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import {
  NETWORKS,
  createEndpoint,
  createService,
  expectError,
  getEndpoint,
  networkOf,
  settled,
  whitelistDomain,
} from './endpoints.support.ts';

interface Connection {
  id: string;
  marker_id: number;
  created_at: string;
  updated_at: string;
  domain_id: string;
  error: unknown[];
  status: string;
  description: string;
}

const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const conns = (body: SdkResult) => body.connections as Connection[];

for (const dialect of testDialects()) {
  describe(`connections of an endpoint service (${dialect})`, () => {
    let server: TestServer;
    let svc: string; // approval on: endpoints wait in pendingAcceptance
    let other: string; // a second service of the same owner
    let e1: string;
    let e2: string;
    let e3: string; // connected to `other`
    const changes: VpcepChange[] = [];

    const path = (id: string, rest = '') => `/v1/{project_id}/vpc-endpoint-services/${id}/connections${rest}`;
    const list = (query: Record<string, unknown> = {}, id = svc) =>
      server.provider.sdk({ method: 'GET', url: path(id), queryParams: query });
    const act = (action: string, endpoints: string[], id = svc) =>
      server.provider.sdk({ method: 'POST', url: path(id, '/action'), data: { action, endpoints } });
    const setStatus = (id: string, status: string) =>
      server.running.store.db.updateTable('endpoints').set({ status }).where('id', '=', id).execute();

    before(async () => {
      server = await startTestServer({ dialect, accountExtras: NETWORKS });
      server.running.changes.subscribe((c) => changes.push(c));
      const pnet = await networkOf(server.provider, 'vpc-p');
      const cnet = await networkOf(server.consumer, 'vpc-c');
      const cnet2 = await networkOf(server.consumer, 'vpc-c2');
      svc = (
        await createService(server, pnet, {
          approval: true,
          name: 'conn',
          ports: [{ client_port: 8080, server_port: 80 }],
        })
      ).id;
      other = (
        await createService(server, pnet, { approval: true, ports: [{ client_port: 9000, server_port: 90 }] })
      ).id;
      for (const s of [svc, other]) await whitelistDomain(server, s, server.consumer.domainId);
      const make = async (service: string, net: typeof cnet) =>
        String(
          (
            await createEndpoint(server.consumer, {
              endpoint_service_id: service,
              vpc_id: net.vpcId,
              subnet_id: net.subnetId,
            })
          ).id,
        );
      e1 = await make(svc, cnet);
      // Creation times are milliseconds: keep the default order (created_at desc) unambiguous.
      await new Promise((r) => setTimeout(r, 5));
      e2 = await make(svc, cnet2);
      e3 = await make(other, cnet);
      for (const e of [e1, e2, e3])
        assert.equal((await settled(server.consumer, e)).status, 'pendingAcceptance');
    });
    after(async () => server.close());

    test('lists the endpoints of the service as its owner sees them, newest first', async () => {
      const body = await list();
      assert.equal(body.httpStatusCode, 200);
      assert.deepEqual(
        Object.keys(body).filter((k) => Array.isArray(body[k])),
        ['connections'],
      );
      assert.equal(body.total_count, 2);
      const [first, second] = conns(body);
      assert.deepEqual([first?.id, second?.id], [e2, e1]);
      const c = first as Connection;
      assert.deepEqual(Object.keys(c).sort(), [
        'created_at',
        'description',
        'domain_id',
        'error',
        'id',
        'marker_id',
        'status',
        'updated_at',
      ]);
      assert.equal(c.domain_id, server.consumer.domainId);
      assert.equal(c.status, 'pendingAcceptance');
      assert.ok(Number.isInteger(c.marker_id) && c.marker_id >= 2 ** 24 && c.marker_id < 2 ** 31);
      assert.match(c.created_at, TIME);
      assert.match(c.updated_at, TIME);
      assert.deepEqual(c.error, []);
      assert.equal(c.description, '');
    });

    test('accepting shows accepted in the response, the next list and the consumer GET (with its ip)', async () => {
      const before = await getEndpoint(server.consumer, e1);
      assert.equal(before.ip, undefined, 'no ip while pending (decision #9)');
      changes.length = 0;
      const res = await act('receive', [e1]);
      assert.equal(res.httpStatusCode, 200);
      assert.equal(conns(res).length, 1);
      assert.equal(conns(res)[0]?.id, e1);
      assert.equal(conns(res)[0]?.status, 'accepted');
      assert.deepEqual(changes, [{ kind: 'endpoint', id: e1 }]);

      const polled = conns(await list({ id: e1 }));
      assert.equal(polled.length, 1);
      assert.equal(polled[0]?.status, 'accepted');
      const seen = await getEndpoint(server.consumer, e1);
      assert.equal(seen.status, 'accepted');
      assert.match(String(seen.ip), /^127\.30\.0\.\d+$/);
    });

    test('an accepted endpoint can be rejected and accepted again; the ip stays visible', async () => {
      const rejected = await act('reject', [e1]);
      assert.equal(conns(rejected)[0]?.status, 'rejected');
      assert.equal(conns(await list({ id: e1 }))[0]?.status, 'rejected');
      const seen = await getEndpoint(server.consumer, e1);
      assert.equal(seen.status, 'rejected');
      assert.match(String(seen.ip), /^127\.30\.0\.\d+$/);
      assert.equal(conns(await act('receive', [e1]))[0]?.status, 'accepted');
    });

    test('asking for the state an endpoint is already in succeeds without a change', async () => {
      const before = conns(await list({ id: e1 }))[0] as Connection;
      changes.length = 0;
      const again = conns(await act('receive', [e1]))[0] as Connection;
      assert.equal(again.status, 'accepted');
      assert.equal(again.updated_at, before.updated_at);
      assert.deepEqual(changes, []);
    });

    test('a pending endpoint can be rejected; it never shows an ip', async () => {
      assert.equal(conns(await act('reject', [e2]))[0]?.status, 'rejected');
      const seen = await getEndpoint(server.consumer, e2);
      assert.equal(seen.status, 'rejected');
      assert.equal(seen.ip, undefined);
    });

    test('exactly one endpoint per call, and only receive or reject', async () => {
      await expectError(act('receive', []), 400, 'EndPoint.2031');
      await expectError(act('receive', [e1, e2]), 400, 'EndPoint.2031');
      await expectError(act('accept', [e1]), 400, 'EndPoint.2027');
      await expectError(
        server.provider.sdk({ method: 'POST', url: path(svc, '/action'), data: { action: 'receive' } }),
        400,
        'EndPoint.0002',
      );
    });

    test('an endpoint of another service (or no endpoint at all) is EndPoint.2013', async () => {
      await expectError(act('receive', [e3]), 400, 'EndPoint.2013');
      await expectError(act('reject', ['00000000-0000-4000-8000-000000000000']), 400, 'EndPoint.2013');
      // ...and it was not touched.
      assert.equal(conns(await list({}, other))[0]?.status, 'pendingAcceptance');
    });

    test('endpoints still creating, deleting or failed cannot be accepted or rejected', async () => {
      try {
        await setStatus(e3, 'creating');
        await expectError(act('receive', [e3], other), 400, 'EndPoint.2019');
        await setStatus(e3, 'deleting');
        await expectError(act('reject', [e3], other), 400, 'EndPoint.2018');
        await setStatus(e3, 'failed');
        await expectError(act('receive', [e3], other), 400, 'EndPoint.2047');
      } finally {
        await setStatus(e3, 'pendingAcceptance');
      }
    });

    test('a failed service accepts nothing new but can still reject; a deleting one takes nothing', async () => {
      const db = server.running.store.db;
      try {
        await db.updateTable('endpoint_services').set({ status: 'failed' }).where('id', '=', other).execute();
        await expectError(act('receive', [e3], other), 400, 'EndPoint.2004');
        assert.equal(conns(await act('reject', [e3], other))[0]?.status, 'rejected');
        // A service being deleted takes no connection changes at all.
        await db
          .updateTable('endpoint_services')
          .set({ status: 'deleting' })
          .where('id', '=', other)
          .execute();
        await expectError(act('reject', [e3], other), 400, 'EndPoint.2004');
        await expectError(
          server.provider.sdk({
            method: 'PUT',
            url: path(other, '/description'),
            data: { connections: [{ id: e3, description: 'x' }] },
          }),
          400,
          'EndPoint.2004',
        );
      } finally {
        await db
          .updateTable('endpoint_services')
          .set({ status: 'available' })
          .where('id', '=', other)
          .execute();
      }
    });

    test('filters by id, marker_id and status; total_count ignores limit and offset', async () => {
      const all = conns(await list());
      const byId = new Map(all.map((c) => [c.id, c]));
      const m2 = (byId.get(e2) as Connection).marker_id;

      const byMarker = await list({ marker_id: String(m2) });
      assert.deepEqual(
        conns(byMarker).map((c) => c.id),
        [e2],
      );
      assert.equal(byMarker.total_count, 1);
      assert.deepEqual(
        conns(await list({ status: 'accepted' })).map((c) => c.id),
        [e1],
      );
      assert.deepEqual(
        conns(await list({ status: 'rejected' })).map((c) => c.id),
        [e2],
      );
      assert.deepEqual(conns(await list({ status: 'deleting' })), []);
      assert.deepEqual(conns(await list({ id: e3 })), [], 'an endpoint of another service is not listed');
      assert.deepEqual(conns(await list({ marker_id: '2147483647' })), []);

      const page = await list({ limit: 1, offset: 1 });
      assert.deepEqual(
        conns(page).map((c) => c.id),
        [e1],
      );
      assert.equal(page.total_count, 2);
      const past = await list({ limit: 10, offset: 5 });
      assert.deepEqual(conns(past), []);
      assert.equal(past.total_count, 2);
      assert.deepEqual(conns(await list({ limit: 0 })), []);
      assert.deepEqual(
        conns(await list({ sort_dir: 'asc' })).map((c) => c.id),
        [e1, e2],
      );
      const byUpdate = conns(await list({ sort_key: 'updated_at', sort_dir: 'desc' }));
      assert.deepEqual(byUpdate.map((c) => c.id).sort(), [e1, e2].sort());
      assert.ok((byUpdate[0] as Connection).updated_at >= (byUpdate[1] as Connection).updated_at);
    });

    test('bad query parameters have their own codes', async () => {
      for (const marker of ['abc', '-1', '1.5', '99999999999', '2147483648']) {
        await expectError(list({ marker_id: marker }), 400, 'EndPoint.0021');
      }
      await expectError(list({ status: 'bogus' }), 400, 'EndPoint.0019');
      await expectError(list({ limit: 1001 }), 400, 'EndPoint.0006');
      await expectError(list({ limit: -1 }), 400, 'EndPoint.0006');
      await expectError(list({ offset: -1 }), 400, 'EndPoint.0010');
      await expectError(list({ sort_key: 'name' }), 400, 'EndPoint.0017');
      await expectError(list({ sort_dir: 'up' }), 400, 'EndPoint.0018');
    });

    test('the owner describes connections; only the owner sees the description', async () => {
      const consumerView = await getEndpoint(server.consumer, e1);
      const res = await server.provider.sdk({
        method: 'PUT',
        url: path(svc, '/description'),
        data: {
          connections: [
            { id: e1, description: 'team A' },
            { id: e2, description: 'x'.repeat(512) },
          ],
        },
      });
      assert.equal(res.httpStatusCode, 200);
      assert.deepEqual(
        conns(res).map((c) => [c.id, c.description]),
        [
          [e1, 'team A'],
          [e2, 'x'.repeat(512)],
        ],
      );
      assert.equal(conns(await list({ id: e1 }))[0]?.description, 'team A');
      const after = await getEndpoint(server.consumer, e1);
      assert.equal(after.description, consumerView.description);
      assert.equal(after.updated_at, consumerView.updated_at);
    });

    test('connection descriptions are checked and all-or-nothing', async () => {
      const put = (connections: unknown) =>
        server.provider.sdk({ method: 'PUT', url: path(svc, '/description'), data: { connections } });
      await expectError(put([{ id: e1, description: 'x'.repeat(513) }]), 400, 'EndPoint.0002');
      await expectError(put([{ id: e1, description: 'a <b>' }]), 400, 'EndPoint.0002');
      await expectError(put([]), 400, 'EndPoint.0002');
      await expectError(
        put([
          { id: e1, description: 'changed' },
          { id: e3, description: 'not mine' },
        ]),
        400,
        'EndPoint.2013',
      );
      assert.equal(conns(await list({ id: e1 }))[0]?.description, 'team A');
    });

    test('concurrent accepts, rejects and description updates all succeed, consistently', async () => {
      const calls = Array.from({ length: 12 }, (_, i) =>
        i % 3 === 2
          ? server.provider.sdk({
              method: 'PUT',
              url: path(svc, '/description'),
              // Opposite orders: row locks must still be taken in one order.
              data: {
                connections:
                  i % 2 === 0
                    ? [
                        { id: e1, description: `d${i}` },
                        { id: e2, description: `d${i}` },
                      ]
                    : [
                        { id: e2, description: `d${i}` },
                        { id: e1, description: `d${i}` },
                      ],
              },
            })
          : act(i % 2 === 0 ? 'receive' : 'reject', [e1]),
      );
      const results = await Promise.all(calls);
      assert.ok(results.every((r) => r.httpStatusCode === 200));
      const listed = conns(await list({ id: e1 }))[0] as Connection;
      assert.ok(['accepted', 'rejected'].includes(listed.status));
      assert.equal((await getEndpoint(server.consumer, e1)).status, listed.status);
      const [d1, d2] = [listed.description, conns(await list({ id: e2 }))[0]?.description];
      assert.equal(d1, d2, 'each description update is atomic over both rows');
    });

    test("another tenant cannot see or change the service's connections (404)", async () => {
      const c = server.consumer;
      await expectError(c.sdk({ method: 'GET', url: path(svc) }), 404, 'EndPoint.0005');
      await expectError(
        c.sdk({ method: 'POST', url: path(svc, '/action'), data: { action: 'receive', endpoints: [e3] } }),
        404,
        'EndPoint.0005',
      );
      await expectError(
        c.sdk({
          method: 'PUT',
          url: path(svc, '/description'),
          data: { connections: [{ id: e1, description: '' }] },
        }),
        404,
        'EndPoint.0005',
      );
      await expectError(list({}, '00000000-0000-4000-8000-000000000000'), 404, 'EndPoint.0005');
    });
  });
}
