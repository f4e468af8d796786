// Endpoint services through the official SDK core: the seed's example request,
// the lifecycle (creating → available, deleting → gone), lists, updates, the
// rename and v2 calls, tenancy, public services and describe.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ServiceView } from '../../src/vpcep/services/views.ts';
import { testDialects } from '../support/db.ts';
import { sdkError } from '../support/sdk.ts';
import { startTestServer, type TestAccount, type TestServer } from '../support/server.ts';
import { waitUntil as waitFor } from '../support/wait.ts';
import { insertEndpointRow, inventory, PROVIDER_VPCS, SERVICES, status, wire } from './services.support.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

type ServiceList = { endpoint_services: ServiceView[]; total_count: number };

function assertServiceShape(s: ServiceView): void {
  for (const key of [
    'id',
    'port_id',
    'vip_port_id',
    'service_name',
    'server_type',
    'vpc_id',
    'pool_id',
    'status',
    'service_type',
    'project_id',
    'domain_id',
    'cidr_type',
    'ip',
    'ip_version',
    'snat_network_id',
    'tcp_proxy',
    'description',
    'public_border_group',
  ] as const) {
    assert.equal(typeof s[key], 'string', key);
  }
  for (const key of ['approval_enabled', 'enable_policy'] as const)
    assert.equal(typeof s[key], 'boolean', key);
  assert.ok(Number.isInteger(s.connection_count));
  assert.match(s.id, UUID);
  assert.match(s.created_at, TIME);
  assert.match(s.updated_at, TIME);
  assert.ok(Array.isArray(s.ports) && Array.isArray(s.tags) && Array.isArray(s.error));
  assert.ok(Array.isArray(s.supported_editions));
  for (const p of s.ports) {
    assert.ok(Number.isInteger(p.client_port) && Number.isInteger(p.server_port));
    assert.equal(typeof p.protocol, 'string');
  }
}

for (const dialect of testDialects()) {
  describe(`endpoint services (${dialect})`, () => {
    let server: TestServer;
    let provider: TestAccount;
    let consumer: TestAccount;
    let ids: Awaited<ReturnType<typeof inventory>>;
    const region = 'tr-west-1';
    // Every service on one backend port needs its own server ports (EndPoint.3044).
    let nextServerPort = 1000;
    const freshPorts = (n = 1) =>
      Array.from({ length: n }, (_, i) => ({
        client_port: 80 + i,
        server_port: nextServerPort++,
        protocol: 'TCP',
      }));

    const create = async (extra: Record<string, unknown> = {}) =>
      wire<ServiceView>(
        await provider.sdk({
          method: 'POST',
          url: SERVICES,
          data: {
            port_id: ids.port('127.20.0.10'),
            vpc_id: ids.vpc('vpc-a'),
            server_type: 'VM',
            ports: freshPorts(),
            ...extra,
          },
        }),
      );
    const show = async (id: string, as: TestAccount = provider) =>
      wire<ServiceView>(await as.sdk({ method: 'GET', url: `${SERVICES}/${id}` }));
    const available = (id: string) =>
      waitFor(
        () => show(id),
        (s) => s.status === 'available',
        `${id} available`,
      );
    const list = async (queryParams: Record<string, unknown> = {}, as: TestAccount = provider) =>
      wire<ServiceList>(await as.sdk({ method: 'GET', url: SERVICES, queryParams }));
    const gone = (id: string) =>
      waitFor(
        () => status(show(id)),
        (code) => code === 404,
        `${id} gone`,
      );

    before(async () => {
      server = await startTestServer({ dialect, accountExtras: { provider: PROVIDER_VPCS } });
      provider = server.provider;
      consumer = server.consumer;
      ids = await inventory(provider);
    });
    after(async () => server.close());

    test('accepts the seed 004 §4.2.1 example request and answers every field with its JSON type', async () => {
      const example = {
        port_id: ids.port('127.20.0.10'),
        vpc_id: ids.vpc('vpc-a'),
        approval_enabled: false,
        service_type: 'interface',
        server_type: 'VM',
        ports: [
          { client_port: 8080, server_port: 90, protocol: 'TCP' },
          { client_port: 8081, server_port: 80, protocol: 'TCP' },
        ],
      };
      const res = await provider.sdk({ method: 'POST', url: SERVICES, data: example });
      assert.equal(res.httpStatusCode, 200);
      const s = wire<ServiceView>(res);
      assertServiceShape(s);
      assert.equal(s.status, 'creating');
      assert.equal(s.port_id, example.port_id);
      assert.equal(s.vpc_id, example.vpc_id);
      assert.equal(s.approval_enabled, false);
      assert.equal(s.service_type, 'interface');
      assert.equal(s.server_type, 'VM');
      assert.deepEqual(s.ports, example.ports);
      assert.equal(s.service_name, `${region}.${s.id}`);
      assert.equal(s.project_id, provider.projectId);
      assert.equal(s.domain_id, provider.domainId);
      assert.equal(s.tcp_proxy, 'close');
      assert.equal(s.connection_count, 0);
      assert.deepEqual(s.tags, []);
      assert.deepEqual(s.error, []);

      const ready = await available(s.id);
      assertServiceShape(ready);
      assert.equal(ready.created_at, s.created_at, 'created_at is stable');
      assert.deepEqual({ ...ready, status: 'creating', updated_at: s.updated_at }, s);
    });

    test('accepts the seed 004 §5.1 example: two client ports onto one server port', async () => {
      const ports = [
        { client_port: 8080, server_port: 80, protocol: 'TCP' },
        { client_port: 8081, server_port: 80, protocol: 'TCP' },
      ];
      // Port .10 already serves 80/TCP for the §4.2.1 example: this one uses the second NIC.
      const nic = ids.port('127.20.0.11');
      const s = await create({ port_id: nic, approval_enabled: false, service_type: 'interface', ports });
      assert.deepEqual(s.ports, ports);
      assert.deepEqual((await available(s.id)).ports, ports);
      // The pair 80/TCP now belongs to this service on this backend port.
      const taken = await sdkError(
        create({ port_id: nic, ports: [{ client_port: 9000, server_port: 80, protocol: 'TCP' }] }),
      );
      assert.equal(taken.errorCode, 'EndPoint.3044');
      // Its own update may keep, reorder and extend the shared server port.
      const reordered = [ports[1], { client_port: 8082, server_port: 80, protocol: 'TCP' }, ports[0]];
      const u = wire<ServiceView>(
        await provider.sdk({ method: 'PUT', url: `${SERVICES}/${s.id}`, data: { ports: reordered } }),
      );
      assert.deepEqual(u.ports, reordered);
      assert.equal(
        (await provider.sdk({ method: 'DELETE', url: `${SERVICES}/${s.id}` })).httpStatusCode,
        204,
      );
      await gone(s.id);
      const reused = await create({
        port_id: nic,
        ports: [{ client_port: 9000, server_port: 80, protocol: 'TCP' }],
      });
      assert.equal(reused.status, 'creating', 'the pair is free once the service is gone');
    });

    test('stores and echoes every optional input, with the documented defaults otherwise', async () => {
      const s = await create({
        service_name: 'Full_set-1',
        approval_enabled: true,
        service_type: 'interface',
        tcp_proxy: 'proxy_vni',
        description: 'all the fields',
        tags: [{ key: 'env', value: 'test' }, { key: 'bare' }],
        vip_port_id: ids.port('127.20.0.11'),
        pool_id: 'pool-1',
        cidr_type: 'public',
        enable_policy: true,
        ip: '127.20.0.10',
        ip_version: 'ipv4',
        snat_network_id: 'snat-net-1',
        ports: [{ client_port: 53, server_port: 5353, protocol: 'UDP' }],
      });
      assertServiceShape(s);
      assert.equal(s.service_name, `${region}.Full_set-1.${s.id}`);
      assert.equal(s.approval_enabled, true);
      assert.equal(s.tcp_proxy, 'proxy_vni');
      assert.equal(s.description, 'all the fields');
      assert.deepEqual(s.tags, [
        { key: 'bare', value: '' },
        { key: 'env', value: 'test' },
      ]);
      assert.equal(s.vip_port_id, ids.port('127.20.0.11'));
      assert.equal(s.pool_id, 'pool-1');
      assert.equal(s.cidr_type, 'public');
      assert.equal(s.enable_policy, true);
      assert.equal(s.ip, '127.20.0.10');
      assert.equal(s.ip_version, 'ipv4');
      assert.equal(s.snat_network_id, 'snat-net-1');
      assert.deepEqual(s.ports, [{ client_port: 53, server_port: 5353, protocol: 'UDP' }]);
      assert.deepEqual(await available(s.id), {
        ...s,
        status: 'available',
        updated_at: (await show(s.id)).updated_at,
      });

      const defaults = await create({ ports: [{ client_port: 81, server_port: nextServerPort++ }] });
      assert.equal(defaults.approval_enabled, true, 'approval_enabled defaults to true (decision #5)');
      assert.equal(defaults.tcp_proxy, 'close');
      assert.equal(defaults.service_type, 'interface');
      assert.equal(defaults.ports[0]?.protocol, 'TCP');
      assert.equal(defaults.description, '');
      assert.equal(defaults.enable_policy, false);
      assert.equal(defaults.cidr_type, 'internal');
    });

    test('lists with filters, sorting, paging and total_count', async () => {
      const made: ServiceView[] = [];
      for (const name of ['lst-Alpha1', 'lst-alpha2', 'lst-beta', 'lst_und_x', 'lst_undyx']) {
        made.push(await create({ service_name: name }));
        // Distinct creation instants, so the expected default order is the creation order.
        await new Promise((r) => setTimeout(r, 3));
      }
      await Promise.all(made.map((s) => available(s.id)));
      const all = await list({ limit: 1000 });
      assert.equal(
        all.total_count,
        all.endpoint_services.length,
        'unfiltered total_count counts every service',
      );
      for (const s of all.endpoint_services) assertServiceShape(s);
      // Default order: created_at desc, so the newest comes first.
      assert.deepEqual(
        all.endpoint_services.slice(0, 5).map((s) => s.id),
        made.map((s) => s.id).reverse(),
      );
      const asc = await list({ limit: 1000, sort_key: 'created_at', sort_dir: 'asc' });
      assert.deepEqual(
        asc.endpoint_services.map((s) => s.id),
        all.endpoint_services.map((s) => s.id).reverse(),
      );
      const sdkKey = await list({ limit: 1000, sort_key: 'create_at', sort_dir: 'asc' });
      assert.deepEqual(sdkKey.endpoint_services, asc.endpoint_services);
      const byUpdate = await list({ limit: 1000, sort_key: 'updated_at' });
      assert.equal(byUpdate.endpoint_services.length, all.endpoint_services.length);

      const alpha = await list({ endpoint_service_name: 'ALPHA' });
      assert.deepEqual(alpha.endpoint_services.map((s) => s.id).sort(), [made[0]?.id, made[1]?.id].sort());
      assert.equal(alpha.total_count, 2);
      // `_` is a literal underscore, not a LIKE wildcard.
      const und = await list({ endpoint_service_name: 'd_x' });
      assert.deepEqual(
        und.endpoint_services.map((s) => s.id),
        [made[3]?.id],
      );
      assert.equal((await list({ endpoint_service_name: '%' })).total_count, 0);
      // The filter applies to the full name, region and id included.
      assert.equal((await list({ endpoint_service_name: made[2]?.id.slice(0, 13) })).total_count, 1);

      const byId = await list({ id: made[2]?.id });
      assert.deepEqual(
        byId.endpoint_services.map((s) => s.service_name),
        [`${region}.lst-beta.${made[2]?.id}`],
      );
      assert.equal(byId.total_count, 1);
      const avail = await list({ status: 'available', limit: 1000 });
      assert.ok(avail.endpoint_services.every((s) => s.status === 'available'));
      assert.equal((await list({ status: 'failed' })).total_count, 0);

      const page1 = await list({ limit: 2, offset: 0 });
      const page2 = await list({ limit: 2, offset: 2 });
      assert.equal(page1.endpoint_services.length, 2);
      assert.equal(page1.total_count, all.total_count, 'total_count ignores limit and offset');
      assert.deepEqual(
        [...page1.endpoint_services, ...page2.endpoint_services].map((s) => s.id),
        all.endpoint_services.slice(0, 4).map((s) => s.id),
      );
      const past = await list({ offset: all.total_count + 5 });
      assert.deepEqual(past.endpoint_services, []);
      assert.equal(past.total_count, all.total_count);
      const none = await list({ limit: 0 });
      assert.deepEqual(none.endpoint_services, []);
      assert.equal(none.total_count, all.total_count);
      assert.deepEqual(
        Object.keys(none)
          .filter((k) => k !== 'httpStatusCode')
          .sort(),
        ['endpoint_services', 'total_count'],
      );

      for (const [query, code] of [
        [{ status: 'deleted' }, 'EndPoint.0019'],
        [{ limit: 1001 }, 'EndPoint.0006'],
        [{ limit: 'ten' }, 'EndPoint.0006'],
        [{ offset: -1 }, 'EndPoint.0010'],
        [{ sort_key: 'name' }, 'EndPoint.0017'],
        [{ sort_dir: 'up' }, 'EndPoint.0018'],
      ] as const) {
        const err = await sdkError(list(query));
        assert.equal(err.httpStatusCode, 400, JSON.stringify(query));
        assert.equal(err.errorCode, code, JSON.stringify(query));
      }
    });

    test('updates each field; a rename recomposes the full name', async () => {
      const s = await create({ service_name: 'upd' });
      await available(s.id);
      const put = async (data: Record<string, unknown>) =>
        wire<ServiceView>(await provider.sdk({ method: 'PUT', url: `${SERVICES}/${s.id}`, data }));

      let u = await put({ approval_enabled: false });
      assert.equal(u.approval_enabled, false);
      assertServiceShape(u);
      u = await put({ service_name: 'renamed' });
      assert.equal(u.service_name, `${region}.renamed.${s.id}`);
      const replaced = [
        { client_port: 8081, server_port: 2222, protocol: 'TCP' },
        { client_port: 8082, server_port: 2223, protocol: 'UDP' },
      ];
      u = await put({ ports: replaced });
      assert.deepEqual(u.ports, replaced);
      u = await put({ port_id: ids.port('127.20.0.11') });
      assert.equal(u.port_id, ids.port('127.20.0.11'));
      assert.deepEqual(u.ports, replaced, 'the mappings follow the new backend port');
      u = await put({ tcp_proxy: 'proxy_open' });
      assert.equal(u.tcp_proxy, 'proxy_open');
      u = await put({ description: 'new text' });
      assert.equal(u.description, 'new text');
      u = await put({ ip: '127.20.0.11' });
      assert.equal(u.ip, '127.20.0.11');
      u = await put({});
      assert.equal(u.status, 'available');
      assert.equal(u.created_at, s.created_at);

      const shown = await show(s.id);
      assert.deepEqual({ ...shown, updated_at: u.updated_at }, u);
      // The old backend port's server ports are free again; the new one's are taken.
      const reuse = await create({ ports: [{ client_port: 1, server_port: 2222, protocol: 'TCP' }] });
      assert.equal(reuse.port_id, ids.port('127.20.0.10'));

      const err = await sdkError(put({ port_id: ids.port('127.20.0.11'), ip: '127.20.0.11' }));
      assert.equal(err.errorCode, 'EndPoint.3052');
      assert.equal((await sdkError(put({ port_id: ids.port('127.21.0.10') }))).errorCode, 'EndPoint.3042');
      assert.equal((await sdkError(put({ port_id: 'no-such-port' }))).errorCode, 'EndPoint.3008');
      const conflict = await sdkError(
        provider.sdk({
          method: 'PUT',
          url: `${SERVICES}/${reuse.id}`,
          data: { port_id: ids.port('127.20.0.11') },
        }),
      );
      assert.equal(conflict.errorCode, 'EndPoint.3044', 'moving onto a port whose server_port is taken');
      assert.equal((await sdkError(put({ service_name: 'bad.name' }))).errorCode, 'EndPoint.3076');
      // A refused update changed nothing.
      assert.deepEqual(await show(s.id), shown);
    });

    test('renames through PUT …/name; no name means {region}.{id}', async () => {
      const s = await create({ service_name: 'before' });
      await available(s.id);
      const rename = async (data?: unknown) =>
        provider.sdk({
          method: 'PUT',
          url: `${SERVICES}/${s.id}/name`,
          ...(data !== undefined ? { data } : {}),
        });
      const r = await rename({ endpoint_service_name: 'after' });
      assert.deepEqual(
        { ...r, httpStatusCode: undefined },
        {
          endpoint_service_name: `${region}.after.${s.id}`,
          httpStatusCode: undefined,
        },
      );
      assert.equal((await show(s.id)).service_name, `${region}.after.${s.id}`);
      assert.equal((await rename({})).endpoint_service_name, `${region}.${s.id}`);
      assert.equal((await rename()).endpoint_service_name, `${region}.${s.id}`);
      assert.equal(
        (await sdkError(rename({ endpoint_service_name: 'x'.repeat(17) }))).errorCode,
        'EndPoint.3076',
      );
      assert.equal((await sdkError(rename({ name: 'x' }))).errorCode, 'EndPoint.0002');
      const missing = await sdkError(
        provider.sdk({
          method: 'PUT',
          url: `${SERVICES}/00000000-0000-4000-8000-000000000000/name`,
          data: {},
        }),
      );
      assert.equal(missing.httpStatusCode, 404);
    });

    test('deletes: 204, then 404; the quota unit and the server ports come back', async () => {
      const s = await create({ ports: [{ client_port: 80, server_port: 4444 }] });
      await available(s.id);
      const before = (await list()).total_count;
      const res = await provider.sdk({ method: 'DELETE', url: `${SERVICES}/${s.id}` });
      assert.equal(res.httpStatusCode, 204);
      await gone(s.id);
      const err = await sdkError(show(s.id));
      assert.equal(err.errorCode, 'EndPoint.0005');
      assert.equal((await list()).total_count, before - 1);
      assert.equal((await list({ id: s.id })).total_count, 0);
      const again = await create({ ports: [{ client_port: 80, server_port: 4444 }] });
      assert.equal(again.status, 'creating');
      const twice = await sdkError(provider.sdk({ method: 'DELETE', url: `${SERVICES}/${s.id}` }));
      assert.equal(twice.httpStatusCode, 404);
    });

    test('endpoints: creating/accepted block a delete, pending/rejected fail with EndPoint.2004', async () => {
      // The endpoint API is another area's; rows are written directly to pin the service's rules.
      const db = server.running.store.db;
      const s = await create();
      await available(s.id);
      let marker = 30_000_000 + Math.floor(Math.random() * 1_000_000);
      const endpoint = async (status: string) => {
        const id = crypto.randomUUID();
        await insertEndpointRow(db, {
          id,
          project_id: consumer.projectId,
          domain_id: consumer.domainId,
          service_id: s.id,
          service_type: 'interface',
          marker_id: marker++,
          status,
        });
        return id;
      };
      const statusOf = async (id: string) =>
        db.selectFrom('endpoints').select(['status', 'error']).where('id', '=', id).executeTakeFirstOrThrow();
      const setStatus = (id: string, status: string) =>
        db.updateTable('endpoints').set({ status }).where('id', '=', id).execute();

      const accepted = await endpoint('accepted');
      const creating = await endpoint('creating');
      const pending = await endpoint('pendingAcceptance');
      const rejected = await endpoint('rejected');
      const deleting = await endpoint('deleting');
      assert.equal((await show(s.id)).connection_count, 2, 'creating + accepted');
      assert.equal((await list({ id: s.id })).endpoint_services[0]?.connection_count, 2);

      const del = () => provider.sdk({ method: 'DELETE', url: `${SERVICES}/${s.id}` });
      let err = await sdkError(del());
      assert.equal(err.httpStatusCode, 400);
      assert.equal(err.errorCode, 'EndPoint.3006');
      await setStatus(accepted, 'deleting');
      err = await sdkError(del());
      assert.equal(err.errorCode, 'EndPoint.3006', 'a creating endpoint still blocks');
      await setStatus(creating, 'deleting');
      assert.equal((await show(s.id)).status, 'available', 'a refused delete changed nothing');

      assert.equal((await del()).httpStatusCode, 204, 'deleting endpoints do not block (peers.md §3.2)');
      await gone(s.id);
      for (const id of [pending, rejected]) {
        const row = await statusOf(id);
        assert.equal(row.status, 'failed');
        assert.deepEqual(JSON.parse(row.error), [
          { error_code: 'EndPoint.2004', error_message: 'The endpoint service has been deleted.' },
        ]);
      }
      assert.equal(
        (await statusOf(deleting)).status,
        'deleting',
        'endpoints already deleting are left alone',
      );
      await db.deleteFrom('endpoints').where('service_id', '=', s.id).execute();
    });

    test("tenancy: another tenant's service is 404; describe and public lists work for everyone", async () => {
      const s = await create({ service_name: 'shared' });
      await available(s.id);
      for (const call of [
        () => consumer.sdk({ method: 'GET', url: `${SERVICES}/${s.id}` }),
        () => consumer.sdk({ method: 'PUT', url: `${SERVICES}/${s.id}`, data: { description: 'x' } }),
        () =>
          consumer.sdk({
            method: 'PUT',
            url: `${SERVICES}/${s.id}/name`,
            data: { endpoint_service_name: 'x' },
          }),
        () => consumer.sdk({ method: 'DELETE', url: `${SERVICES}/${s.id}` }),
        () => consumer.sdk({ method: 'POST', url: `/v2/{project_id}/vpc-endpoint-services/${s.id}/upgrade` }),
      ]) {
        const err = await sdkError(call());
        assert.equal(err.httpStatusCode, 404);
        assert.equal(err.errorCode, 'EndPoint.0005');
      }
      const theirs = await list({ limit: 1000 }, consumer);
      assert.deepEqual(theirs.endpoint_services, []);
      assert.equal(theirs.total_count, 0);
      // The provider's VPC is not the consumer's.
      const foreign = await sdkError(
        consumer.sdk({
          method: 'POST',
          url: SERVICES,
          data: {
            port_id: ids.port('127.20.0.10'),
            vpc_id: ids.vpc('vpc-a'),
            server_type: 'VM',
            ports: freshPorts(),
          },
        }),
      );
      assert.equal(foreign.errorCode, 'EndPoint.2001');

      const expected = {
        id: s.id,
        service_name: `${region}.shared.${s.id}`,
        service_type: 'interface',
        created_at: s.created_at,
        is_charge: false,
        public_border_group: 'center',
        enable_policy: false,
      };
      for (const query of [{ id: s.id }, { endpoint_service_name: `${region}.shared.${s.id}` }]) {
        const d = await consumer.sdk({ method: 'GET', url: `${SERVICES}/describe`, queryParams: query });
        assert.deepEqual({ ...d, httpStatusCode: undefined }, { ...expected, httpStatusCode: undefined });
      }
      for (const query of [{}, { id: s.id, endpoint_service_name: expected.service_name }]) {
        const err = await sdkError(
          consumer.sdk({ method: 'GET', url: `${SERVICES}/describe`, queryParams: query }),
        );
        assert.equal(err.errorCode, 'EndPoint.0002');
      }
      for (const query of [{ id: crypto.randomUUID() }, { endpoint_service_name: 'shared' }]) {
        const err = await sdkError(
          consumer.sdk({ method: 'GET', url: `${SERVICES}/describe`, queryParams: query }),
        );
        assert.equal(err.httpStatusCode, 404, 'describe matches the exact full name only');
        assert.equal(err.errorCode, 'EndPoint.0005');
      }

      for (const who of [provider, consumer]) {
        const pub = wire<{ endpoint_services: Record<string, unknown>[]; total_count: number }>(
          await who.sdk({ method: 'GET', url: `${SERVICES}/public` }),
        );
        assert.equal(pub.total_count, server.config.public_services.length);
        assert.ok(pub.total_count >= 1, 'the default configuration has public services');
        for (const p of pub.endpoint_services) {
          assert.deepEqual(Object.keys(p).sort(), [
            'created_at',
            'enable_policy',
            'id',
            'is_charge',
            'owner',
            'service_name',
            'service_type',
          ]);
          assert.equal(typeof p.is_charge, 'boolean');
          assert.equal(p.owner, 'vpcep');
          assert.match(String(p.created_at), TIME);
        }
        assert.ok(!pub.endpoint_services.some((p) => p.id === s.id), 'tenant services are not public');
      }
      const [first] = server.config.public_services;
      assert.ok(first?.id !== undefined);
      const pubName = `${region}.${first.name}.${first.id}`;
      const byName = wire<{ endpoint_services: { id: string; service_name: string }[]; total_count: number }>(
        await consumer.sdk({
          method: 'GET',
          url: `${SERVICES}/public`,
          queryParams: { endpoint_service_name: first.name.toUpperCase() },
        }),
      );
      assert.deepEqual(
        byName.endpoint_services.map((p) => p.service_name),
        [pubName],
      );
      const paged = wire<{ endpoint_services: unknown[]; total_count: number }>(
        await consumer.sdk({
          method: 'GET',
          url: `${SERVICES}/public`,
          queryParams: { limit: 1, offset: 1 },
        }),
      );
      assert.equal(paged.endpoint_services.length, Math.min(1, paged.total_count - 1));
      const described = await provider.sdk({
        method: 'GET',
        url: `${SERVICES}/describe`,
        queryParams: { id: first.id },
      });
      assert.equal(described.service_name, pubName);
      assert.equal(described.service_type, first.service_type);
      const notMine = await sdkError(show(first.id));
      assert.equal(notMine.httpStatusCode, 404, 'a public service is not a tenant service');
    });

    test('v2 upgrade and add-server-resources answer 204 with no body for an existing service', async () => {
      const s = await create();
      const v2 = `/v2/{project_id}/vpc-endpoint-services/${s.id}`;
      const up = await provider.sdk({ method: 'POST', url: `${v2}/upgrade` });
      assert.equal(up.httpStatusCode, 204);
      assert.deepEqual({ ...up, httpStatusCode: undefined }, { httpStatusCode: undefined });
      const add = await provider.sdk({
        method: 'POST',
        url: `${v2}/add-server-resources`,
        data: {
          server_resources: [
            { resource_id: 'elb-1', availability_zone_id: 'az1' },
            { resource_id: 'elb-2' },
            { resource_id: 'elb-3', availability_zone_id: null },
          ],
        },
      });
      assert.equal(add.httpStatusCode, 204);
      assert.deepEqual({ ...add, httpStatusCode: undefined }, { httpStatusCode: undefined });
      for (const data of [
        {},
        { server_resources: [] },
        { server_resources: [{ resource_id: '' }] },
        { server_resources: [{ resource_id: null }] },
        { server_resources: [{ resource_id: 'elb-1', availability_zone_id: 7 }] },
        { server_resources: [{ resource_id: 'elb-1', availability_zone_id: 'z'.repeat(65) }] },
        { server_resources: null },
        { extra: 1 },
      ]) {
        const err = await sdkError(provider.sdk({ method: 'POST', url: `${v2}/add-server-resources`, data }));
        assert.equal(err.errorCode, 'EndPoint.0002', JSON.stringify(data));
      }
      const missing = await sdkError(
        provider.sdk({
          method: 'POST',
          url: `/v2/{project_id}/vpc-endpoint-services/${crypto.randomUUID()}/upgrade`,
        }),
      );
      assert.equal(missing.httpStatusCode, 404);
      assert.equal((await show(s.id)).service_name, s.service_name, 'nothing else changed');
    });
  });
}
