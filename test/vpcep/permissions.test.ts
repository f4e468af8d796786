// The whitelist (permissions) of an endpoint service: the seed's string API
// (`permissions/action`), the newer batch APIs, listing with its 0–500 limit,
// and isDomainAllowed, the check the endpoint create relies on.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isDomainAllowed } from '../../src/vpcep/permissions/access.ts';
import { testDialects } from '../support/db.ts';
import type { SdkResult } from '../support/sdk.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import {
  NETWORKS,
  createEndpoint,
  createService,
  expectError,
  networkOf,
  type Network,
} from './endpoints.support.ts';

interface Permission {
  id: string;
  permission: string;
  permission_type: string;
  description: string;
  created_at: string;
}

const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const perms = (body: SdkResult) => body.permissions as Permission[];
const texts = (body: SdkResult) =>
  perms(body)
    .map((p) => p.permission)
    .sort();

for (const dialect of testDialects()) {
  describe(`whitelist records of an endpoint service (${dialect})`, () => {
    let server: TestServer;
    let pnet: Network;
    let svc: string;
    let nextPort = 7000;
    const consumerRecord = () => `iam:domain::${server.consumer.domainId}`;

    const base = (id: string) => `/v1/{project_id}/vpc-endpoint-services/${id}/permissions`;
    const list = (query: Record<string, unknown> = {}, id = svc) =>
      server.provider.sdk({ method: 'GET', url: base(id), queryParams: query });
    const action = (data: Record<string, unknown>, id = svc) =>
      server.provider.sdk({ method: 'POST', url: `${base(id)}/action`, data });
    const post = (suffix: string, data: unknown, id = svc) =>
      server.provider.sdk({ method: 'POST', url: `${base(id)}/${suffix}`, data });
    const newService = async () =>
      (await createService(server, pnet, { ports: [{ client_port: nextPort, server_port: nextPort++ }] })).id;

    before(async () => {
      server = await startTestServer({ dialect, accountExtras: NETWORKS });
      pnet = await networkOf(server.provider, 'vpc-p');
      svc = await newService();
    });
    after(async () => server.close());

    test("a new service's list is empty: the owner's own account is implicit, not stored", async () => {
      const body = await list();
      assert.equal(body.httpStatusCode, 200);
      assert.deepEqual(body.permissions, []);
      assert.equal(body.total_count, 0);
    });

    test('add echoes the records byte for byte and lists them with their type', async () => {
      const records = [consumerRecord(), 'iam:domain::ABCdef*', 'iam:domain::ABCdef*'];
      const res = await action({ action: 'add', permissions: records });
      assert.equal(res.httpStatusCode, 200);
      assert.deepEqual(res.permissions, records, 'as sent, repeats included');
      assert.equal(res.permission_type, 'domainId');

      const body = await list();
      assert.equal(body.total_count, 2);
      assert.deepEqual(texts(body), ['iam:domain::ABCdef*', consumerRecord()].sort());
      const one = perms(body)[0] as Permission;
      assert.deepEqual(Object.keys(one).sort(), [
        'created_at',
        'description',
        'id',
        'permission',
        'permission_type',
      ]);
      assert.equal(one.permission_type, 'domainId');
      assert.equal(one.description, '');
      assert.match(one.created_at, TIME);
    });

    test('adding what is there and removing what is not are both fine', async () => {
      const ids = perms(await list()).map((p) => p.id);
      assert.deepEqual((await action({ action: 'add', permissions: [consumerRecord()] })).permissions, [
        consumerRecord(),
      ]);
      const missing = 'iam:domain::0123456789abcdef0123456789abcdef';
      assert.deepEqual((await action({ action: 'remove', permissions: [missing] })).permissions, [missing]);
      assert.deepEqual(
        perms(await list()).map((p) => p.id),
        ids,
        'the same rows, unchanged',
      );
    });

    test('`*` admits everyone and is removed like any record', async () => {
      assert.deepEqual((await action({ action: 'add', permissions: ['*'] })).permissions, ['*']);
      assert.ok(texts(await list()).includes('*'));
      await action({ action: 'remove', permissions: ['*', 'iam:domain::ABCdef*'] });
      assert.deepEqual(texts(await list()), [consumerRecord()]);
    });

    test('orgPath records need permission_type orgPath', async () => {
      const org = 'organizations:orgPath::o-abc123/r-root/ou-team*';
      const res = await action({ action: 'add', permissions: [org], permission_type: 'orgPath' });
      assert.deepEqual(res.permissions, [org]);
      assert.equal(res.permission_type, 'orgPath');
      const row = perms(await list({ permission: 'orgpath' }))[0];
      assert.equal(row?.permission_type, 'orgPath');
      await expectError(action({ action: 'add', permissions: [org] }), 400, 'EndPoint.3002');
      await expectError(
        action({ action: 'add', permissions: ['*'], permission_type: 'orgPath' }),
        400,
        'EndPoint.3002',
      );
      await action({ action: 'remove', permissions: [org], permission_type: 'orgPath' });
    });

    test('malformed records, empty lists and unknown actions have their codes', async () => {
      for (const bad of [
        'iam:domain::',
        'iam:domain::has-dash',
        `iam:domain::${'a'.repeat(65)}`,
        'domain::abc',
        'IAM:DOMAIN::abc',
        '**',
        ' *',
        `${consumerRecord()} `,
      ]) {
        await expectError(action({ action: 'add', permissions: [bad] }), 400, 'EndPoint.3002');
      }
      await expectError(action({ action: 'add', permissions: [] }), 400, 'EndPoint.3036');
      await expectError(action({ action: 'remove', permissions: [] }), 400, 'EndPoint.3036');
      await expectError(action({ action: 'delete', permissions: [consumerRecord()] }), 400, 'EndPoint.3035');
      await expectError(
        action({ action: 'add', permissions: [consumerRecord()], permission_type: 'account' }),
        400,
        'EndPoint.0002',
      );
      await expectError(action({ action: 'add' }), 400, 'EndPoint.0002');
      // A valid record in a failing batch is not added.
      await expectError(
        action({ action: 'add', permissions: ['iam:domain::fresh', 'iam:domain::bad!'] }),
        400,
        'EndPoint.3002',
      );
      assert.deepEqual(texts(await list()), [consumerRecord()]);
    });

    test('batch-create adds records with descriptions and updates existing ones', async () => {
      const res = await post('batch-create', {
        permissions: [
          { permission: consumerRecord(), description: 'the consumer' },
          { permission: 'iam:domain::partner01', description: 'partner' },
        ],
      });
      assert.equal(res.httpStatusCode, 200);
      const rows = perms(res);
      assert.deepEqual(
        rows.map((r) => [r.permission, r.permission_type, r.description]),
        [
          [consumerRecord(), 'domainId', 'the consumer'],
          ['iam:domain::partner01', 'domainId', 'partner'],
        ],
      );
      assert.ok(rows.every((r) => r.id.length > 0 && TIME.test(r.created_at)));
      const listed = perms(await list());
      assert.equal(listed.find((p) => p.permission === consumerRecord())?.description, 'the consumer');

      await expectError(post('batch-create', { permissions: [] }), 400, 'EndPoint.3036');
      await expectError(
        post('batch-create', {
          permissions: [{ permission: 'iam:domain::x', description: 'x'.repeat(129) }],
        }),
        400,
        'EndPoint.0002',
      );
      await expectError(
        post('batch-create', { permissions: [{ permission: 'nope', description: '' }] }),
        400,
        'EndPoint.3002',
      );
    });

    test('a record description can be changed by id', async () => {
      const row = perms(await list({ permission: 'partner01' }))[0] as Permission;
      const res = await server.provider.sdk({
        method: 'PUT',
        url: `${base(svc)}/${row.id}`,
        data: { permission: { description: 'partner, renewed' } },
      });
      assert.deepEqual(perms(res), [{ ...row, description: 'partner, renewed' }]);
      assert.equal(perms(await list({ permission: 'partner01' }))[0]?.description, 'partner, renewed');
      await expectError(
        server.provider.sdk({
          method: 'PUT',
          url: `${base(svc)}/00000000-0000-4000-8000-000000000000`,
          data: { permission: { description: 'x' } },
        }),
        404,
        'EndPoint.0005',
      );
      await expectError(
        server.provider.sdk({
          method: 'PUT',
          url: `${base(svc)}/${row.id}`,
          data: { permission: { description: '<' } },
        }),
        400,
        'EndPoint.0002',
      );
    });

    test('batch-delete removes by id and answers the removed rows', async () => {
      const row = perms(await list({ permission: 'partner01' }))[0] as Permission;
      const res = await post('batch-delete', {
        permissions: [{ id: row.id }, { id: '00000000-0000-4000-8000-000000000000' }],
      });
      assert.deepEqual(perms(res), [row]);
      assert.deepEqual(perms(await post('batch-delete', { permissions: [{ id: row.id }] })), []);
      assert.deepEqual(texts(await list()), [consumerRecord()]);
      await expectError(post('batch-delete', { permissions: [] }), 400, 'EndPoint.3036');
    });

    test('lists filter fuzzily and case-insensitively, page 0–500 and sort by creation', async () => {
      const id = await newService();
      const first = ['iam:domain::Alpha01', 'iam:domain::beta02'];
      await action({ action: 'add', permissions: first }, id);
      await new Promise((r) => setTimeout(r, 5));
      await action({ action: 'add', permissions: ['iam:domain::gamma03', '*'] }, id);

      assert.deepEqual(texts(await list({ permission: 'ALPHA' }, id)), ['iam:domain::Alpha01']);
      assert.equal((await list({ permission: 'IAM:DOMAIN::' }, id)).total_count, 3);
      assert.deepEqual(texts(await list({ permission: '%' }, id)), [], 'LIKE wildcards are literal');
      assert.deepEqual(texts(await list({ permission: '*' }, id)), ['*']);

      const newest = perms(await list({}, id)).map((p) => p.permission);
      assert.deepEqual(newest.slice(0, 2).sort(), ['*', 'iam:domain::gamma03']);
      const oldest = perms(await list({ sort_dir: 'asc' }, id)).map((p) => p.permission);
      assert.deepEqual(oldest.slice(0, 2).sort(), first.sort());
      // Records have no update time: updated_at orders by creation as well.
      assert.deepEqual(
        perms(await list({ sort_key: 'updated_at', sort_dir: 'asc' }, id)).map((p) => p.permission),
        oldest,
      );

      const page = await list({ limit: 1, offset: 1 }, id);
      assert.equal(perms(page).length, 1);
      assert.equal(page.total_count, 4);
      assert.deepEqual(perms(await list({ offset: 10 }, id)), []);
      assert.deepEqual(perms(await list({ limit: 0 }, id)), []);
      assert.equal(perms(await list({ limit: 500 }, id)).length, 4);
      await expectError(list({ limit: 501 }, id), 400, 'EndPoint.0006');
      await expectError(list({ limit: -1 }, id), 400, 'EndPoint.0006');
      await expectError(list({ offset: -1 }, id), 400, 'EndPoint.0010');
      await expectError(list({ sort_key: 'permission' }, id), 400, 'EndPoint.0017');
      await expectError(list({ sort_dir: 'sideways' }, id), 400, 'EndPoint.0018');
    });

    test('a service holds at most 500 records (EndPoint.3049)', async () => {
      const id = await newService();
      const many = Array.from({ length: 500 }, (_, i) => `iam:domain::d${String(i).padStart(4, '0')}`);
      await action({ action: 'add', permissions: many.slice(0, 499) }, id);
      // Re-adding existing records does not count against the limit.
      assert.equal((await action({ action: 'add', permissions: many }, id)).httpStatusCode, 200);
      assert.equal((await list({}, id)).total_count, 500);
      await expectError(
        action({ action: 'add', permissions: ['iam:domain::more'] }, id),
        400,
        'EndPoint.3049',
      );
      await expectError(
        post('batch-create', { permissions: [{ permission: 'iam:domain::more', description: '' }] }, id),
        400,
        'EndPoint.3049',
      );
      assert.equal((await list({}, id)).total_count, 500);
      await action({ action: 'remove', permissions: [many[0] as string] }, id);
      assert.equal(
        (await action({ action: 'add', permissions: ['iam:domain::more'] }, id)).httpStatusCode,
        200,
      );
    });

    test('isDomainAllowed: the owner, a matching record (any case, * wildcard) or *', async () => {
      const db = server.running.store.db;
      const id = await newService();
      const owner = server.provider.domainId;
      const consumer = server.consumer.domainId;
      assert.equal(await isDomainAllowed(db, id, owner, owner), true);
      assert.equal(await isDomainAllowed(db, id, owner, consumer), false);
      await action({ action: 'add', permissions: [`iam:domain::${consumer.toUpperCase()}`] }, id);
      assert.equal(await isDomainAllowed(db, id, owner, consumer), true);
      assert.equal(await isDomainAllowed(db, id, owner, 'ffffffffffffffffffffffffffffffff'), false);
      await action({ action: 'add', permissions: ['iam:domain::ff*ff'] }, id);
      assert.equal(await isDomainAllowed(db, id, owner, 'ffffffffffffffffffffffffffffffff'), true);
      assert.equal(await isDomainAllowed(db, id, owner, 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee'), false);
      await action(
        { action: 'add', permissions: ['organizations:orgPath::*'], permission_type: 'orgPath' },
        id,
      );
      assert.equal(await isDomainAllowed(db, id, owner, 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee'), false);
      await action({ action: 'add', permissions: ['*'] }, id);
      assert.equal(await isDomainAllowed(db, id, owner, 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee'), true);
    });

    test('the whitelist decides whether another account may connect', async () => {
      const id = await newService();
      const cnet = await networkOf(server.consumer, 'vpc-c');
      const body = { endpoint_service_id: id, vpc_id: cnet.vpcId, subnet_id: cnet.subnetId };
      await expectError(createEndpoint(server.consumer, body), 400, 'EndPoint.2012');
      await action({ action: 'add', permissions: ['*'] }, id);
      assert.equal((await createEndpoint(server.consumer, body)).httpStatusCode, 200);
    });

    test("another tenant cannot read or change the service's whitelist (404)", async () => {
      const c = server.consumer;
      await expectError(c.sdk({ method: 'GET', url: base(svc) }), 404, 'EndPoint.0005');
      await expectError(
        c.sdk({ method: 'POST', url: `${base(svc)}/action`, data: { action: 'add', permissions: ['*'] } }),
        404,
        'EndPoint.0005',
      );
      await expectError(
        c.sdk({
          method: 'POST',
          url: `${base(svc)}/batch-create`,
          data: { permissions: [{ permission: '*', description: '' }] },
        }),
        404,
        'EndPoint.0005',
      );
      await expectError(
        c.sdk({ method: 'POST', url: `${base(svc)}/batch-delete`, data: { permissions: [{ id: 'x' }] } }),
        404,
        'EndPoint.0005',
      );
      const row = perms(await list())[0] as Permission;
      await expectError(
        c.sdk({ method: 'PUT', url: `${base(svc)}/${row.id}`, data: { permission: { description: 'x' } } }),
        404,
        'EndPoint.0005',
      );
      assert.deepEqual(texts(await list()), [consumerRecord()], 'nothing changed');
    });
  });
}
