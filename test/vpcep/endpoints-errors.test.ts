// POST /v1/{project_id}/vpc-endpoints: every error code of create (seed
// 004 table 7-3, decisions #3, #9, #17) and tenancy between the two accounts.
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
  settled,
  whitelistDomain,
  type Network,
} from './endpoints.support.ts';

for (const dialect of testDialects()) {
  describe(`create VPC endpoints: errors (${dialect})`, () => {
    let server: TestServer;
    let netP: Network;
    let netC: Network;
    let netC2: Network;
    let open: { id: string; serviceName: string };
    let closed: { id: string; serviceName: string };

    before(async () => {
      ({ server, netP, netC, netC2 } = await endpointTestBed(dialect));
      open = await createService(server, netP, {
        name: 'open',
        ports: [{ client_port: 8080, server_port: 80 }],
      });
      closed = await createService(server, netP, {
        name: 'closed',
        ports: [{ client_port: 8082, server_port: 82 }],
      });
      await whitelistDomain(server, open.id, server.consumer.domainId);
    });
    after(async () => server.close());

    test('port_ip must be a free host address of the subnet', async () => {
      const body = { subnet_id: netC.subnetId, vpc_id: netC.vpcId, endpoint_service_id: open.id };
      const holder = await createEndpoint(server.consumer, { ...body, port_ip: '127.30.0.2' });
      assert.equal((await settled(server.consumer, String(holder.id))).ip, '127.30.0.2');
      await expectError(
        createEndpoint(server.consumer, { ...body, port_ip: 'not-an-ip' }),
        400,
        'EndPoint.2041',
      );
      await expectError(
        createEndpoint(server.consumer, { ...body, port_ip: '127.30.0.0' }),
        400,
        'EndPoint.2041',
      );
      await expectError(
        createEndpoint(server.consumer, { ...body, port_ip: '127.30.0.255' }),
        400,
        'EndPoint.2041',
      );
      await expectError(
        createEndpoint(server.consumer, { ...body, port_ip: netC.gatewayIp }),
        400,
        'EndPoint.2041',
      );
      await expectError(
        createEndpoint(server.consumer, { ...body, port_ip: '127.31.0.9' }),
        400,
        'EndPoint.2043',
      );
      await expectError(
        createEndpoint(server.consumer, { ...body, port_ip: '127.30.0.2' }),
        400,
        'EndPoint.2042',
      );
    });

    test('the service must exist, be available and admit the caller', async () => {
      const body = { subnet_id: netC.subnetId, vpc_id: netC.vpcId };
      await expectError(
        createEndpoint(server.consumer, {
          ...body,
          endpoint_service_id: '4189d3c2-8882-4871-a3c2-d380272eed83',
        }),
        400,
        'EndPoint.2003',
      );
      await expectError(
        createEndpoint(server.consumer, { ...body, endpoint_service_id: '' }),
        400,
        'EndPoint.2029',
      );
      await expectError(
        createEndpoint(server.consumer, { ...body, endpoint_service_id: closed.id }),
        400,
        'EndPoint.2012',
      );
      // The owner's own account needs no whitelist record.
      const own = await createEndpoint(server.provider, {
        subnet_id: netP.subnetId,
        vpc_id: netP.vpcId,
        endpoint_service_id: closed.id,
      });
      assert.equal((await settled(server.provider, String(own.id))).status, 'accepted');

      const db = server.running.store.db;
      await db
        .updateTable('endpoint_services')
        .set({ status: 'failed' })
        .where('id', '=', closed.id)
        .execute();
      try {
        await expectError(
          createEndpoint(server.provider, {
            subnet_id: netP.subnetId,
            vpc_id: netP.vpcId,
            endpoint_service_id: closed.id,
          }),
          400,
          'EndPoint.2004',
        );
      } finally {
        await db
          .updateTable('endpoint_services')
          .set({ status: 'available' })
          .where('id', '=', closed.id)
          .execute();
      }
    });

    test('the VPC and subnet must be the caller’s and belong together', async () => {
      const body = { endpoint_service_id: open.id };
      await expectError(
        createEndpoint(server.consumer, { ...body, vpc_id: netP.vpcId, subnet_id: netP.subnetId }),
        400,
        'EndPoint.2001',
      );
      await expectError(
        createEndpoint(server.consumer, { ...body, vpc_id: '', subnet_id: netC.subnetId }),
        400,
        'EndPoint.2011',
      );
      await expectError(
        createEndpoint(server.consumer, { ...body, vpc_id: netC.vpcId, subnet_id: netC2.subnetId }),
        400,
        'EndPoint.2037',
      );
      await expectError(
        createEndpoint(server.consumer, { ...body, vpc_id: netC.vpcId, subnet_id: netP.subnetId }),
        404,
        'EndPoint.4004',
      );
      await expectError(
        createEndpoint(server.consumer, { ...body, vpc_id: netC.vpcId }),
        400,
        'EndPoint.2010',
      );
      await expectError(
        createEndpoint(server.consumer, { ...body, vpc_id: netC.vpcId, subnet_id: '' }),
        400,
        'EndPoint.2010',
      );
    });

    test('bodies are validated: unknown keys, types, whitelist, tags, description', async () => {
      const body = { subnet_id: netC.subnetId, vpc_id: netC.vpcId, endpoint_service_id: open.id };
      await expectError(createEndpoint(server.consumer, { ...body, surprise: 1 }), 400, 'EndPoint.0002');
      await expectError(
        createEndpoint(server.consumer, { ...body, enable_dns: 'true' }),
        400,
        'EndPoint.0002',
      );
      await expectError(createEndpoint(server.consumer, { vpc_id: netC.vpcId }), 400, 'EndPoint.0002');
      await expectError(
        createEndpoint(server.consumer, { ...body, ip_version: 'ipv5' }),
        400,
        'EndPoint.0002',
      );
      await expectError(
        createEndpoint(server.consumer, { ...body, whitelist: ['10.0.0.300'] }),
        400,
        'EndPoint.2044',
      );
      await expectError(
        createEndpoint(server.consumer, { ...body, whitelist: ['10.0.0.1/24'] }),
        400,
        'EndPoint.2044',
      );
      await expectError(
        createEndpoint(server.consumer, { ...body, whitelist: ['198.19.200.0/24'] }),
        400,
        'EndPoint.2044',
      );
      await expectError(
        createEndpoint(server.consumer, { ...body, whitelist: ['0.0.0.0/0'] }),
        400,
        'EndPoint.2044',
      );
      const many = Array.from({ length: 21 }, (_, i) => `10.0.0.${i + 1}`);
      await expectError(createEndpoint(server.consumer, { ...body, whitelist: many }), 400, 'EndPoint.2045');
      await expectError(
        createEndpoint(server.consumer, { ...body, description: '<b>' }),
        400,
        'EndPoint.0002',
      );
      await expectError(
        createEndpoint(server.consumer, { ...body, tags: [{ key: 'a=b', value: 'x' }] }),
        400,
        'EndPoint.3068',
      );
      await expectError(
        createEndpoint(server.consumer, {
          ...body,
          tags: [
            { key: 'k', value: '1' },
            { key: 'k', value: '2' },
          ],
        }),
        400,
        'EndPoint.3067',
      );
      await expectError(
        createEndpoint(server.consumer, {
          ...body,
          policy_statement: [{ Effect: 'Maybe', Action: [], Resource: [] }],
        }),
        400,
        'EndPoint.0002',
      );
    });

    test('endpoints are private to their project', async () => {
      const created = await createEndpoint(server.consumer, {
        subnet_id: netC.subnetId,
        vpc_id: netC.vpcId,
        endpoint_service_id: open.id,
      });
      const id = String(created.id);
      await expectError(getEndpoint(server.provider, id), 404, 'EndPoint.2006');
      await expectError(
        server.provider.sdk({ method: 'DELETE', url: `/v1/{project_id}/vpc-endpoints/${id}` }),
        404,
        'EndPoint.2006',
      );
      await expectError(
        server.provider.sdk({
          method: 'PUT',
          url: `/v1/{project_id}/vpc-endpoints/${id}`,
          data: { whitelist: [] },
        }),
        404,
        'EndPoint.2006',
      );
      const theirs = await server.provider.sdk({
        method: 'GET',
        url: '/v1/{project_id}/vpc-endpoints',
        queryParams: { id },
      });
      assert.deepEqual(theirs.endpoints, []);
      assert.equal(theirs.total_count, 0);
      assert.equal((await getEndpoint(server.consumer, id)).id, id);
    });
  });
}
