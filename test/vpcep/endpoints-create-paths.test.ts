// What a create decides, whichever way the store runs it. On PostgreSQL the
// common create is one call of a database function (migration 0008) and the
// rest a transaction of statements (src/vpcep/endpoints/create.ts); on SQLite
// always the latter. These cases pin what both must answer alike: the whitelist
// decision, a full subnet and a spent quota leaving nothing written, a subnet
// named by its neutron id, and concurrent creates taking distinct lowest
// addresses.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseIpv4 } from '../../src/vpc/cidr.ts';
import { testDialects } from '../support/db.ts';
import { startTestServer, type TestAccount, type TestServer } from '../support/server.ts';
import {
  createEndpoint,
  createService,
  expectError,
  NETWORKS,
  networkOf,
  waitGone,
  type Network,
} from './endpoints.support.ts';

type Body = Record<string, unknown>;

/** Lifecycle delays of the tests (none) but for the endpoint create job, which waits an hour. */
const QUEUED_CREATES = {
  endpoint_service_create: 0,
  endpoint_service_delete: 0,
  endpoint_create: 3_600_000,
  endpoint_delete: 0,
};

for (const dialect of testDialects()) {
  describe(`endpoint creates, every path (${dialect})`, () => {
    let server: TestServer;
    let netP: Network;
    let netC: Network;
    let subnetCount = 0;
    let serverPort = 1000;
    /** A service of the provider on its backend NIC; each on its own server port, as the API requires. */
    const newService = (name: string, target = server, net = netP) => {
      serverPort += 1;
      return createService(target, net, { name, ports: [{ client_port: 8080, server_port: serverPort }] });
    };

    before(async () => {
      server = await startTestServer({
        dialect,
        accountExtras: NETWORKS,
        overrides: { quotas: { endpoint_service: 50, endpoint: 50 } },
      });
      netP = await networkOf(server.provider, 'vpc-p');
      netC = await networkOf(server.consumer, 'vpc-c');
    });
    after(async () => server.close());

    /** A new /29 subnet (gateway .1, so five free addresses .2–.6) in the account's VPC. */
    const smallSubnet = async (account: TestAccount, net: Network, octets: string): Promise<Body> => {
      subnetCount += 1;
      const res = await account.sdk({
        method: 'POST',
        url: '/v1/{project_id}/subnets',
        data: { subnet: { name: `small-${subnetCount}`, cidr: `${octets}.0/29`, vpc_id: net.vpcId } },
      });
      return res.subnet as Body;
    };
    const portsOf = async (account: TestAccount, subnetId: string): Promise<string[]> => {
      const res = await account.sdk({
        method: 'GET',
        url: '/v1/{project_id}/ports',
        queryParams: { network_id: subnetId },
      });
      return (res.ports as Body[]).map((p) => String((p.fixed_ips as Body[])[0]?.ip_address)).sort();
    };
    const endpointUsage = async (account: TestAccount): Promise<number> => {
      const res = await account.sdk({
        method: 'GET',
        url: '/v1/{project_id}/quotas',
        queryParams: { type: 'endpoint' },
      });
      return Number((res.quotas as { resources: Body[] }).resources[0]?.used);
    };
    const permit = async (serviceId: string, permissions: string[], type = 'domainId') => {
      await server.provider.sdk({
        method: 'POST',
        url: `/v1/{project_id}/vpc-endpoint-services/${serviceId}/permissions/action`,
        data: { action: 'add', permissions, permission_type: type },
      });
    };

    test("another account's create follows the whitelist: its id in any case, a pattern, or *", async () => {
      const consumer = server.consumer.domainId;
      const body = (id: string) => ({
        endpoint_service_id: id,
        vpc_id: netC.vpcId,
        subnet_id: netC.subnetId,
      });
      const exact = await newService('wl-exact');
      await expectError(createEndpoint(server.consumer, body(exact.id)), 400, 'EndPoint.2012');
      await permit(exact.id, ['organizations:orgPath::*'], 'orgPath');
      await expectError(createEndpoint(server.consumer, body(exact.id)), 400, 'EndPoint.2012');
      await permit(exact.id, [`iam:domain::${consumer.toUpperCase()}`]);
      assert.equal((await createEndpoint(server.consumer, body(exact.id))).httpStatusCode, 200);

      const pattern = await newService('wl-pattern');
      await permit(pattern.id, ['iam:domain::zz*']);
      await expectError(createEndpoint(server.consumer, body(pattern.id)), 400, 'EndPoint.2012');
      await permit(pattern.id, [`iam:domain::${consumer.slice(0, 2)}*${consumer.slice(-2)}`]);
      assert.equal((await createEndpoint(server.consumer, body(pattern.id))).httpStatusCode, 200);

      const everyone = await newService('wl-star');
      await permit(everyone.id, ['*']);
      assert.equal((await createEndpoint(server.consumer, body(everyone.id))).httpStatusCode, 200);
    });

    test('a full subnet answers EndPoint.4010 naming it, and the refused create leaves nothing behind', async () => {
      const service = await newService('fill');
      const subnet = await smallSubnet(server.provider, netP, '127.20.9');
      const subnetId = String(subnet.id);
      const body = { endpoint_service_id: service.id, vpc_id: netP.vpcId, subnet_id: subnetId };
      const before = await endpointUsage(server.provider);
      const made: Body[] = [];
      for (let i = 0; i < 5; i++) made.push(await createEndpoint(server.provider, body));
      const full = ['127.20.9.2', '127.20.9.3', '127.20.9.4', '127.20.9.5', '127.20.9.6'];
      assert.deepEqual(await portsOf(server.provider, subnetId), full);
      const markers = made.map((e) => Number(e.marker_id));
      assert.equal(new Set(markers).size, 5, 'every endpoint has its own marker id');

      const refused = await expectError(createEndpoint(server.provider, body), 400, 'EndPoint.4010');
      assert.match(String(refused.errorMsg), /127\.20\.9\.0\/29/);
      assert.equal(await endpointUsage(server.provider), before + 5, 'the refused create took no quota');
      assert.deepEqual(await portsOf(server.provider, subnetId), full, 'nor an address');

      // The address of a deleted endpoint is the lowest free one again.
      const first = made[0];
      assert.ok(first);
      await server.provider.sdk({
        method: 'DELETE',
        url: `/v1/{project_id}/vpc-endpoints/${String(first.id)}`,
      });
      await waitGone(server.provider, String(first.id));
      assert.deepEqual(await portsOf(server.provider, subnetId), full.slice(1));
      const again = await createEndpoint(server.provider, body);
      assert.deepEqual(await portsOf(server.provider, subnetId), full);
      assert.ok(Number(again.marker_id) > Math.max(...markers), 'marker ids are never reused');
    });

    test('a spent quota answers Endpoint.1018 and writes no port, no endpoint', async () => {
      const isolated = await startTestServer({
        dialect,
        accountExtras: NETWORKS,
        // The create jobs stay queued, so the job table shows what a refused create left.
        overrides: {
          quotas: { endpoint_service: 5, endpoint: 2 },
          lifecycle: QUEUED_CREATES,
        },
      });
      try {
        const net = await networkOf(isolated.provider, 'vpc-p');
        const service = await newService('spent', isolated, net);
        const body = { endpoint_service_id: service.id, vpc_id: net.vpcId, subnet_id: net.subnetId };
        const first = await createEndpoint(isolated.provider, body);
        const second = await createEndpoint(isolated.provider, body);
        const portsBefore = await portsOf(isolated.provider, net.subnetId);
        const jobs = () => isolated.running.store.db.selectFrom('jobs').select('resource_id').execute();
        const jobsBefore = await jobs();
        await expectError(createEndpoint(isolated.provider, body), 400, 'Endpoint.1018');
        assert.deepEqual(await portsOf(isolated.provider, net.subnetId), portsBefore);
        assert.deepEqual(await jobs(), jobsBefore, 'the job enqueued before the quota was refused is gone');
        const listed = await isolated.provider.sdk({ method: 'GET', url: '/v1/{project_id}/vpc-endpoints' });
        assert.deepEqual((listed.endpoints as Body[]).map((e) => e.id).sort(), [first.id, second.id].sort());
      } finally {
        await isolated.close();
      }
    });

    test('a subnet named by its neutron_subnet_id: the endpoint records the subnet id', async () => {
      const service = await newService('neutron');
      const subnet = await smallSubnet(server.provider, netP, '127.20.10');
      const neutronId = String(subnet.neutron_subnet_id);
      assert.notEqual(neutronId, String(subnet.id));
      const made = await createEndpoint(server.provider, {
        endpoint_service_id: service.id,
        vpc_id: netP.vpcId,
        subnet_id: neutronId,
      });
      assert.equal(made.subnet_id, String(subnet.id));
      assert.deepEqual(await portsOf(server.provider, String(subnet.id)), ['127.20.10.2']);
    });

    test('creates racing in one subnet take distinct addresses, lowest first, and a full subnet refuses the rest', async () => {
      const service = await newService('race');
      const subnet = await smallSubnet(server.provider, netP, '127.20.11');
      const body = { endpoint_service_id: service.id, vpc_id: netP.vpcId, subnet_id: String(subnet.id) };
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, () => createEndpoint(server.provider, body)),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 5);
      assert.deepEqual(await portsOf(server.provider, String(subnet.id)), [
        '127.20.11.2',
        '127.20.11.3',
        '127.20.11.4',
        '127.20.11.5',
        '127.20.11.6',
      ]);
      for (const r of results) {
        if (r.status === 'rejected') {
          assert.equal((r.reason as { errorCode?: string }).errorCode, 'EndPoint.4010');
        }
      }
    });

    test('a gateway inside the block is stepped over', async () => {
      const service = await newService('mid-gateway');
      subnetCount += 1;
      const res = await server.provider.sdk({
        method: 'POST',
        url: '/v1/{project_id}/subnets',
        data: {
          subnet: {
            name: `mid-${subnetCount}`,
            cidr: '127.20.13.0/29',
            gateway_ip: '127.20.13.3',
            vpc_id: netP.vpcId,
          },
        },
      });
      const subnetId = String((res.subnet as Body).id);
      const body = { endpoint_service_id: service.id, vpc_id: netP.vpcId, subnet_id: subnetId };
      for (let i = 0; i < 5; i++) await createEndpoint(server.provider, body);
      assert.deepEqual(await portsOf(server.provider, subnetId), [
        '127.20.13.1',
        '127.20.13.2',
        '127.20.13.4',
        '127.20.13.5',
        '127.20.13.6',
      ]);
      await expectError(createEndpoint(server.provider, body), 400, 'EndPoint.4010');
    });
  });

  describe(`both create paths write the same rows (${dialect})`, () => {
    let server: TestServer;
    let netP: Network;
    before(async () => {
      server = await startTestServer({
        dialect,
        accountExtras: NETWORKS,
        // The create jobs stay queued: their rows are compared. No data-plane role: its
        // controller would read the store on each create's change notice, beside the
        // statements being counted (the job poller's claim, one statement a poll, stays).
        overrides: { lifecycle: QUEUED_CREATES, roles: ['api', 'jobs'] },
      });
      netP = await networkOf(server.provider, 'vpc-p');
    });
    after(async () => server.close());

    /** Every row a create wrote for endpoint `id`, with what differs between two creates by design left out. */
    const rowsOf = async (id: string, ip: string) => {
      const db = server.running.store.db;
      const endpoint = await db
        .selectFrom('endpoints')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      const port = await db
        .selectFrom('ports')
        .selectAll()
        .where('device_id', '=', id)
        .executeTakeFirstOrThrow();
      const jobs = await db.selectFrom('jobs').selectAll().where('resource_id', '=', id).execute();
      const tags = await db.selectFrom('resource_tags').selectAll().where('resource_id', '=', id).execute();
      assert.equal(endpoint.ip, ip);
      assert.equal(endpoint.port_id, port.id);
      assert.equal(port.ip_address, ip);
      assert.equal(port.name, `vpcep-${id}`);
      assert.deepEqual(JSON.parse(endpoint.dns_names), [
        `${id}.${server.config.region}.${server.config.dns.zone}`,
      ]);
      assert.equal(jobs.length, 1);
      assert.ok(Number(endpoint.marker_id) > 0);
      const {
        id: _e,
        ip: _i,
        port_id: _p,
        marker_id: _m,
        dns_names: _d,
        created_at: c,
        updated_at: u,
        ...rest
      } = endpoint;
      assert.equal(Number(port.ip_number), parseIpv4(ip));
      const {
        id: _pi,
        ip_address: _pa,
        ip_number: _pnum,
        name: _pn,
        mac_address: _mac,
        device_id: _dev,
        ...portRest
      } = port;
      const job = jobs[0]!;
      return {
        endpoint: { ...rest, times: Number(u) - Number(c) },
        port: { ...portRest, created_at: typeof port.created_at, updated_at: typeof port.updated_at },
        job: { kind: job.kind, payload: job.payload, attempts: job.attempts, max_attempts: job.max_attempts },
        jobDelay: Number(job.run_at) - Number(endpoint.created_at),
        tags: tags.map(({ resource_id: _r, ...t }) => t),
      };
    };

    test('an automatic address and a given one: the same endpoint, port, job and tags', async () => {
      const service = await createService(server, netP, {
        name: 'paths',
        ports: [{ client_port: 8080, server_port: 2000 }],
      });
      const res = await server.provider.sdk({
        method: 'POST',
        url: '/v1/{project_id}/subnets',
        data: { subnet: { name: 'paths', cidr: '127.20.14.0/29', vpc_id: netP.vpcId } },
      });
      const subnetId = String((res.subnet as Body).id);
      const body = {
        endpoint_service_id: service.id,
        vpc_id: netP.vpcId,
        subnet_id: subnetId,
        enable_dns: true,
        enable_whitelist: true,
        whitelist: ['127.0.0.1', '10.0.0.0/8'],
        description: 'same either way',
        tags: [
          { key: 'b', value: '2' },
          { key: 'a', value: '' },
        ],
        policy_statement: [{ Effect: 'Allow', Action: ['obs:*'], Resource: ['*'] }],
        specification_name: 'default',
      };
      const store = server.running.store;
      const before = store.statementsRun();
      const automatic = await createEndpoint(server.provider, body);
      const automaticStatements = store.statementsRun() - before;
      const between = store.statementsRun();
      const given = await createEndpoint(server.provider, { ...body, port_ip: '127.20.14.3' });
      const givenStatements = store.statementsRun() - between;
      assert.deepEqual(
        await rowsOf(String(automatic.id), '127.20.14.2'),
        await rowsOf(String(given.id), '127.20.14.3'),
      );
      // The answers too, but for what names the endpoint itself.
      const answer = ({
        id: _i,
        marker_id: _m,
        dns_names: _d,
        created_at: _c,
        updated_at: _u,
        ...rest
      }: Body) => rest;
      assert.deepEqual(answer(automatic), answer(given));
      if (dialect === 'postgres') {
        // Both answers read the tags back and send a change notice; what differs is the
        // create itself: one call of the function against a dozen statements.
        assert.ok(
          givenStatements - automaticStatements >= 9,
          `automatic: ${automaticStatements} statements, given address: ${givenStatements}`,
        );
      }
    });
  });
}
