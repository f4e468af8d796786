// The operator's public services: created from the configuration at start and
// brought up to date on every later start (syncPublicServices runs again here
// with a changed configuration, as a restart would), then read through the API.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { PublicServiceConfig } from '../../src/config/schema.ts';
import type { VpcepDeps } from '../../src/vpcep/deps.ts';
import { inTransaction } from '../../src/store/seeding.ts';
import { syncPublicServices } from '../../src/vpcep/services/bootstrap.ts';
import { testDialects } from '../support/db.ts';
import { sdkError } from '../support/sdk.ts';
import { startTestServer, vpcepDepsOf, type TestServer } from '../support/server.ts';
import { insertEndpointRow } from './services.support.ts';

const SERVICES = '/v1/{project_id}/vpc-endpoint-services';
const REGION = 'tr-west-1';

interface PublicItem {
  id: string;
  owner: string;
  service_name: string;
  service_type: string;
  created_at: string;
  is_charge: boolean;
  enable_policy: boolean;
}

const OBS: PublicServiceConfig = {
  id: '11111111-2222-4333-8444-555555555501',
  name: 'obs',
  service_type: 'gateway',
  owner: 'OTC',
  is_charge: true,
};
const DNS: PublicServiceConfig = {
  name: 'dns',
  service_type: 'interface',
  backend_ip: '127.0.0.53',
  ports: [{ client_port: 53, server_port: 53, protocol: 'UDP' }],
  tcp_proxy: 'proxy_open',
};

for (const dialect of testDialects()) {
  describe(`public endpoint services (${dialect})`, () => {
    let server: TestServer;
    let deps: VpcepDeps;
    // What every start does, in a transaction of its own.
    const restart = (public_services: PublicServiceConfig[]) =>
      inTransaction(deps.db, (trx) =>
        syncPublicServices({ ...deps, config: { ...server.config, public_services } }, trx),
      );
    const listPublic = async (queryParams: Record<string, unknown> = {}) =>
      (await server.consumer.sdk({ method: 'GET', url: `${SERVICES}/public`, queryParams })) as unknown as {
        endpoint_services: PublicItem[];
        total_count: number;
      };

    before(async () => {
      server = await startTestServer({ dialect, overrides: { public_services: [OBS, DNS] } });
      deps = vpcepDepsOf(server);
    });
    after(async () => server.close());

    test('are listed for every tenant with the configured owner, charge and composed name', async () => {
      const pub = await listPublic();
      assert.equal(pub.total_count, 2);
      const obs = pub.endpoint_services.find((p) => p.id === OBS.id);
      assert.deepEqual(obs && { ...obs, created_at: '' }, {
        id: OBS.id,
        owner: 'OTC',
        service_name: `${REGION}.obs.${OBS.id}`,
        service_type: 'gateway',
        created_at: '',
        is_charge: true,
        enable_policy: false,
      });
      const dns = pub.endpoint_services.find((p) => p.service_type === 'interface');
      assert.ok(dns);
      assert.equal(dns.owner, 'vpcep', 'the default owner');
      assert.equal(dns.service_name, `${REGION}.dns.${dns.id}`);
      // Filters and paging.
      assert.deepEqual(
        (await listPublic({ endpoint_service_name: 'OBS' })).endpoint_services.map((p) => p.id),
        [OBS.id],
      );
      assert.deepEqual(
        (await listPublic({ id: dns.id })).endpoint_services.map((p) => p.id),
        [dns.id],
      );
      const asc = await listPublic({ sort_dir: 'asc', limit: 1 });
      assert.equal(asc.endpoint_services.length, 1);
      assert.equal(asc.total_count, 2);
      assert.deepEqual((await listPublic({ offset: 2 })).endpoint_services, []);
      assert.equal((await sdkError(listPublic({ limit: 5000 }))).errorCode, 'EndPoint.0006');
    });

    test('a restart with the same configuration changes nothing', async () => {
      const before = await listPublic();
      const rowsBefore = await deps.db.selectFrom('endpoint_services').selectAll().orderBy('id').execute();
      await restart([OBS, DNS]);
      assert.deepEqual(await listPublic(), before);
      const rowsAfter = await deps.db.selectFrom('endpoint_services').selectAll().orderBy('id').execute();
      assert.deepEqual(rowsAfter, rowsBefore, 'not even updated_at moves');
    });

    test('a changed configuration updates in place, keeping ids and created_at', async () => {
      const before = await listPublic();
      const dnsId = before.endpoint_services.find((p) => p.service_type === 'interface')?.id;
      await restart([
        { ...OBS, name: 'objects', owner: 'ops', is_charge: false, enable_policy: true },
        { ...DNS, ports: [{ client_port: 53, server_port: 5353, protocol: 'UDP' }] },
      ]);
      const after = await listPublic();
      const obs = after.endpoint_services.find((p) => p.id === OBS.id);
      assert.equal(obs?.service_name, `${REGION}.objects.${OBS.id}`);
      assert.equal(obs?.owner, 'ops');
      assert.equal(obs?.is_charge, false);
      assert.equal(obs?.enable_policy, true);
      assert.equal(obs?.created_at, before.endpoint_services.find((p) => p.id === OBS.id)?.created_at);
      assert.equal(
        after.endpoint_services.find((p) => p.service_type === 'interface')?.id,
        dnsId,
        'found by name',
      );
      const ports = await deps.db
        .selectFrom('service_ports')
        .select(['server_port'])
        .where('service_id', '=', dnsId ?? '')
        .execute();
      assert.deepEqual(ports, [{ server_port: 5353 }]);
      const described = await server.provider.sdk({
        method: 'GET',
        url: `${SERVICES}/describe`,
        queryParams: { endpoint_service_name: `${REGION}.objects.${OBS.id}` },
      });
      assert.equal(described.id, OBS.id);
      assert.equal(described.enable_policy, true);
    });

    test('a service dropped from the configuration goes unless an endpoint uses it', async () => {
      await restart([OBS]);
      assert.deepEqual(
        (await listPublic()).endpoint_services.map((p) => p.id),
        [OBS.id],
      );
      // An endpoint (written directly: another area's API) keeps OBS alive when it is dropped too.
      await insertEndpointRow(deps.db, {
        id: crypto.randomUUID(),
        project_id: server.consumer.projectId,
        domain_id: server.consumer.domainId,
        service_id: OBS.id ?? '',
        service_type: 'gateway',
        marker_id: 40_000_000,
        status: 'accepted',
      });
      await restart([]);
      assert.deepEqual(
        (await listPublic()).endpoint_services.map((p) => p.id),
        [OBS.id],
      );
    });

    test("refuses at start a configured id that is a tenant's service, or a name given twice", async () => {
      const tenant = crypto.randomUUID();
      const now = Date.now();
      await deps.db
        .insertInto('endpoint_services')
        .values({
          id: tenant,
          project_id: server.provider.projectId,
          domain_id: server.provider.domainId,
          name: '',
          service_name: `${REGION}.${tenant}`,
          port_id: 'p',
          vip_port_id: null,
          vpc_id: 'v',
          pool_id: null,
          server_type: 'VM',
          service_type: 'interface',
          approval_enabled: 1,
          status: 'available',
          tcp_proxy: 'close',
          description: '',
          ip: null,
          ip_version: null,
          snat_network_id: null,
          cidr_type: null,
          enable_policy: 0,
          is_public: 0,
          owner: null,
          is_charge: 0,
          error: '[]',
          created_at: now,
          updated_at: now,
        })
        .execute();
      await assert.rejects(restart([{ ...OBS, id: tenant }]), /belongs to a tenant's endpoint service/);
      await assert.rejects(restart([OBS, { ...DNS, name: 'obs' }]), /configured twice/);
      await assert.rejects(restart([{ ...DNS, tcp_proxy: 'sometimes' }]), /tcp_proxy/);
      await assert.rejects(
        restart([
          {
            ...DNS,
            ports: [
              { client_port: 53, server_port: 53, protocol: 'TCP' },
              { client_port: 53, server_port: 54 },
            ],
          },
        ]),
        /mapped more than once/,
      );
    });
  });
}
