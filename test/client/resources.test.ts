// Every operation of the client module against the real server, on both
// stores: the provider and the consumer account each drive their side through
// VpcepClient over the signed transport, and the waiter follows the lifecycles.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApiError, InvalidInput } from '../../src/client/errors.ts';
import { VpcepClient, waitForEndpoint, waitForService, WaitError } from '../../src/client/index.ts';
import { passwordToken, tokenTransport } from '../../src/client/token-transport.ts';
import { signedClient } from '../support/client.ts';
import { testDialects } from '../support/db.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const FAST = { intervalMs: 20, timeoutMs: 10_000 };

async function expectApiError(promise: Promise<unknown>, status: number, code: string): Promise<ApiError> {
  const err = await promise.then(
    () => assert.fail(`expected ${code}`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ApiError, String(err));
  assert.equal(err.status, status, err.message);
  assert.equal(err.errorCode, code, err.message);
  return err;
}

for (const dialect of testDialects()) {
  describe(`client module, every operation (${dialect})`, () => {
    let server: TestServer;
    let p: VpcepClient;
    let c: VpcepClient;
    before(async () => {
      server = await startTestServer({ dialect });
      p = signedClient(server.url, server.provider);
      c = signedClient(server.url, server.consumer);
    });
    after(async () => server.close());

    test('identity: projects, account, versions; a token transport reaches the same API', async () => {
      const projects = await p.identity.projects('tr-west-1');
      assert.deepEqual(
        projects.map((x) => x.id),
        [server.provider.projectId],
      );
      assert.equal((await p.identity.domains())[0]?.name, 'provider');
      assert.ok((await p.identity.versions()).some((v) => v.id === 'v1'));

      const token = await passwordToken(server.url, {
        domain: 'consumer',
        user: server.consumer.user,
        password: server.consumer.password,
        projectId: server.consumer.projectId,
      });
      assert.equal(token.projectId, server.consumer.projectId);
      const byToken = new VpcepClient(tokenTransport(server.url, token.token), token.projectId);
      assert.deepEqual(await byToken.quotas.list('endpoint'), [{ type: 'endpoint', used: 0, quota: 50 }]);
      await expectApiError(
        new VpcepClient(tokenTransport(server.url, 'MIIbogus'), token.projectId).vpcs.list(),
        401,
        'EndPoint.0003',
      );
    });

    test('network, service, whitelist, endpoint, connection, tags, quotas and teardown', async () => {
      // The provider's network: VPC, subnet, backend port; route tables come with the VPC.
      const vpc = await p.vpcs.create({ name: 'vpc-p', cidr: '127.20.0.0/16' });
      assert.equal((await p.vpcs.update(vpc.id, { description: 'provider' })).description, 'provider');
      assert.equal((await p.vpcs.get(vpc.id)).name, 'vpc-p');
      assert.deepEqual(
        (await p.vpcs.listAll()).map((v) => v.id),
        [vpc.id],
      );
      const subnet = await p.subnets.create({
        name: 'sn-p',
        cidr: '127.20.0.0/24',
        vpc_id: vpc.id,
        gateway_ip: '127.20.0.1',
      });
      assert.equal((await p.subnets.update(vpc.id, subnet.id, { name: 'sn-p2' })).id, subnet.id);
      assert.equal((await p.subnets.get(subnet.id)).name, 'sn-p2');
      assert.equal((await p.subnets.listAll({ vpc_id: vpc.id })).length, 1);
      const port = await p.ports.create({
        network_id: subnet.id,
        fixed_ips: [{ ip_address: '127.20.0.10' }],
        device_owner: 'compute:az1',
      });
      assert.equal((await p.ports.get(port.id)).fixed_ips[0]?.ip_address, '127.20.0.10');
      assert.deepEqual(
        (await p.ports.listAll({ fixed_ips: ['ip_address=127.20.0.10'] })).map((x) => x.id),
        [port.id],
      );
      const [table] = await p.routetables.listAll({ vpc_id: vpc.id });
      assert.ok(table);
      assert.equal((await p.routetables.get(table.id)).vpc_id, vpc.id);
      // A second page is fetched by marker: with page size 1, both VPCs still come back.
      const vpc2 = await p.vpcs.create({ name: 'vpc-p2', cidr: '127.21.0.0/16' });
      assert.equal((await p.vpcs.list({ limit: 1 })).length, 1);
      assert.equal((await p.vpcs.listAll()).length, 2);
      await p.vpcs.delete(vpc2.id);

      // The consumer's network.
      const cvpc = await c.vpcs.create({ name: 'vpc-c', cidr: '127.30.0.0/16' });
      const csubnet = await c.subnets.create({ name: 'sn-c', cidr: '127.30.0.0/24', vpc_id: cvpc.id });

      // The service, with approval, waited for.
      const created = await p.services.create({
        port_id: port.id,
        vpc_id: vpc.id,
        server_type: 'VM',
        service_type: 'interface',
        approval_enabled: true,
        service_name: 'cli',
        ports: [{ client_port: 8080, server_port: 80, protocol: 'TCP' }],
      });
      const seen: string[] = [];
      const service = await waitForService(p.services, created.id, 'available', {
        ...FAST,
        onProgress: (s) => seen.push(s),
      });
      assert.equal(service?.status, 'available');
      assert.equal(seen.at(-1), 'available');
      assert.equal((await p.services.update(created.id, { description: 'd' })).description, 'd');
      const fullName = await p.services.rename(created.id, 'renamed');
      assert.equal(fullName, `tr-west-1.renamed.${created.id}`);
      assert.equal((await p.services.get(created.id)).service_name, fullName);
      assert.deepEqual(
        (await p.services.listAll({ status: 'available' })).map((s) => s.id),
        [created.id],
      );
      assert.equal((await p.services.list({ limit: 1 })).total, 1);
      await p.services.upgrade(created.id);
      await p.services.addServerResources(created.id, [{ resource_id: port.id }]);
      assert.equal((await c.services.describe({ endpoint_service_name: fullName })).id, created.id);
      const publics = await c.publicServices.listAll();
      assert.ok(publics.length > 0 && publics.every((s) => typeof s.owner === 'string'));

      // The whitelist, in both of its APIs.
      const domain = `iam:domain::${server.consumer.domainId}`;
      assert.deepEqual(await p.permissions.add(created.id, [domain]), [domain]);
      const [record] = await p.permissions.listAll(created.id);
      assert.equal(record?.permission, domain);
      assert.equal((await p.permissions.describe(created.id, record.id, 'consumer')).description, 'consumer');
      const other = 'iam:domain::0123456789abcdef0123456789abcdef';
      const [batch] = await p.permissions.batchCreate(created.id, [{ permission: other, description: 'x' }]);
      assert.equal((await p.permissions.list(created.id)).total, 2);
      assert.deepEqual(
        (await p.permissions.batchDelete(created.id, [batch!.id])).map((r) => r.permission),
        [other],
      );
      await p.permissions.add(created.id, [other]);
      assert.deepEqual(await p.permissions.remove(created.id, [other]), [other]);
      assert.equal((await p.permissions.list(created.id)).total, 1);

      // The consumer's endpoint: pending until the provider accepts it.
      const endpoint = await c.endpoints.create({
        endpoint_service_id: created.id,
        vpc_id: cvpc.id,
        subnet_id: csubnet.id,
        port_ip: '127.30.0.5',
        enable_dns: true,
        whitelist: ['127.30.0.0/24'],
        enable_whitelist: true,
      });
      const pending = await waitForEndpoint(c.endpoints, endpoint.id, 'settled', FAST);
      assert.equal(pending?.status, 'pendingAcceptance');
      await assert.rejects(
        waitForEndpoint(c.endpoints, endpoint.id, 'accepted', { intervalMs: 20, timeoutMs: 100 }),
        (e: unknown) => e instanceof WaitError && e.timedOut && e.status === 'pendingAcceptance',
      );
      const [connection] = (await p.connections.list(created.id, { status: 'pendingAcceptance' })).items;
      assert.equal(connection?.id, endpoint.id);
      assert.equal((await p.connections.accept(created.id, endpoint.id)).status, 'accepted');
      assert.equal((await waitForEndpoint(c.endpoints, endpoint.id, 'accepted', FAST))?.ip, '127.30.0.5');
      assert.equal(
        (await p.connections.describe(created.id, [{ id: endpoint.id, description: 'ok' }]))[0]?.description,
        'ok',
      );
      assert.deepEqual((await c.endpoints.update(endpoint.id, { whitelist: ['127.30.0.7'] })).whitelist, [
        '127.30.0.7',
      ]);
      assert.equal((await c.endpoints.listAll({ vpc_id: cvpc.id })).length, 1);
      await c.endpoints.upgrade(endpoint.id);
      const statement = { Effect: 'Allow' as const, Action: ['*'], Resource: ['*'] };
      assert.deepEqual(
        (await c.endpoints.setPolicy(endpoint.id, { policy_statement: [statement] })).policy_statement,
        [statement],
      );
      assert.deepEqual((await c.endpoints.deletePolicy(endpoint.id)).policy_statement, []);
      assert.equal((await p.connections.reject(created.id, endpoint.id)).status, 'rejected');
      await assert.rejects(
        waitForEndpoint(c.endpoints, endpoint.id, 'accepted', FAST),
        (e: unknown) => e instanceof WaitError && !e.timedOut && e.status === 'rejected',
      );

      // Tags, on both resource types.
      await p.tags.add('endpoint_service', created.id, [{ key: 'env', value: 'test' }]);
      await c.tags.add('endpoint', endpoint.id, [{ key: 'team', value: 'a' }]);
      assert.deepEqual(await p.tags.projectTags('endpoint_service'), [{ key: 'env', values: ['test'] }]);
      const found = await p.tags.filter('endpoint_service', { tags: [{ key: 'env', values: ['test'] }] });
      assert.deepEqual(
        found.items.map((r) => r.resource_id),
        [created.id],
      );
      assert.equal(await c.tags.count('endpoint', { tags: [{ key: 'team', values: ['a'] }] }), 1);
      await c.tags.remove('endpoint', endpoint.id, [{ key: 'team' }]);
      assert.equal(await c.tags.count('endpoint', { without_any_tag: true }), 1);

      // A gateway endpoint to the operator's public service, for the route-table call.
      const gateway = publics.find((s) => s.service_type === 'gateway');
      assert.ok(gateway);
      const [ctable] = await c.routetables.listAll({ vpc_id: cvpc.id });
      const gw = await c.endpoints.create({
        endpoint_service_id: gateway.id,
        vpc_id: cvpc.id,
        routetables: [],
      });
      await waitForEndpoint(c.endpoints, gw.id, 'settled', FAST);
      assert.deepEqual(await c.endpoints.setRoutetables(gw.id, [ctable!.id]), [ctable!.id]);

      assert.deepEqual(await c.quotas.list(), [
        { type: 'endpoint', used: 2, quota: 50 },
        { type: 'endpoint_service', used: 0, quota: 20 },
      ]);

      // Teardown, each delete waited for.
      for (const id of [endpoint.id, gw.id]) {
        await c.endpoints.delete(id);
        assert.equal(await waitForEndpoint(c.endpoints, id, 'deleted', FAST), undefined);
      }
      await p.services.delete(created.id);
      assert.equal(await waitForService(p.services, created.id, 'deleted', FAST), undefined);
      await expectApiError(p.services.get(created.id), 404, 'EndPoint.0005');
      await p.ports.delete(port.id);
      await p.subnets.delete(vpc.id, subnet.id);
      await p.vpcs.delete(vpc.id);
      assert.deepEqual(await p.vpcs.listAll(), []);
    });

    test("another tenant's resources and hostile ids answer 404, never another resource", async () => {
      const vpc = await p.vpcs.create({ name: 'mine', cidr: '127.22.0.0/16' });
      await expectApiError(c.vpcs.get(vpc.id), 404, 'VPC.0005');
      for (const id of ['../vpcs', `${vpc.id}/../${vpc.id}`, 'x?id=y', 'a#b', 'ü'.repeat(60)]) {
        const err = await p.vpcs.get(id).then(
          () => assert.fail(`GET of ${JSON.stringify(id)} must fail`),
          (e: unknown) => e,
        );
        assert.ok(err instanceof ApiError && err.status === 404, String(err));
      }
      await assert.rejects(p.vpcs.get('..'), InvalidInput);
      await expectApiError(p.services.get('x'.repeat(100)), 404, 'EndPoint.0005');
      await p.vpcs.delete(vpc.id);
    });

    // Known server fault, reported: on PostgreSQL a NUL in a path parameter reaches
    // the query and fails it (500 EndPoint.0001) instead of answering 404.
    test('an id holding NUL is refused with 400 EndPoint.0002 before any look-up, on every resource', async () => {
      const reads = [
        (id: string) => p.vpcs.get(id),
        (id: string) => p.subnets.get(id),
        (id: string) => p.ports.get(id),
        (id: string) => p.services.get(id),
        (id: string) => p.endpoints.get(id),
      ];
      for (const read of reads) {
        for (const id of ['\u0000', 'a\u0000b']) {
          const err = await read(id).then(
            () => assert.fail('must fail'),
            (e: unknown) => e,
          );
          assert.ok(err instanceof ApiError && err.status === 400, String(err));
          assert.equal(err.errorCode, 'EndPoint.0002');
        }
      }
    });
  });
}
