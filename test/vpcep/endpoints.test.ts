// POST /v1/{project_id}/vpc-endpoints over HTTP with the official SDK core:
// the seed's example bodies, the documented fields and JSON types, the
// asynchronous lifecycle and every error code of create.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testDialects } from '../support/db.ts';
import type { TestServer } from '../support/server.ts';
import {
  endpointTestBed,
  createEndpoint,
  createService,
  expectError,
  publicGatewayService,
  settled,
  whitelistDomain,
  type Network,
} from './endpoints.support.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

/** Every field of the detail response (seed 004 §4.3.2, api-surface §3.3) with its JSON type. */
function assertEndpointShape(e: Record<string, unknown>): void {
  const types: Record<string, string> = {
    id: 'string',
    service_type: 'string',
    status: 'string',
    endpoint_service_name: 'string',
    marker_id: 'number',
    endpoint_service_id: 'string',
    enable_dns: 'boolean',
    vpc_id: 'string',
    subnet_id: 'string',
    created_at: 'string',
    updated_at: 'string',
    project_id: 'string',
    enable_whitelist: 'boolean',
    description: 'string',
    specification_name: 'string',
    enable_status: 'string',
    public_border_group: 'string',
  };
  for (const [key, type] of Object.entries(types)) assert.equal(typeof e[key], type, `${key} is a ${type}`);
  for (const key of [
    'active_status',
    'dns_names',
    'tags',
    'whitelist',
    'routetables',
    'policy_statement',
    'error',
  ]) {
    assert.ok(Array.isArray(e[key]), `${key} is an array`);
  }
  assert.match(String(e.id), UUID);
  assert.match(String(e.created_at), TIME);
  assert.match(String(e.updated_at), TIME);
  assert.ok(
    Number.isInteger(e.marker_id) && Number(e.marker_id) >= 16777216 && Number(e.marker_id) < 2 ** 31,
  );
  assert.deepEqual(e.active_status, ['active']);
  assert.equal(e.enable_status, 'enable');
}

for (const dialect of testDialects()) {
  describe(`create VPC endpoints (${dialect})`, () => {
    let server: TestServer;
    let netP: Network;
    let netC: Network;
    let netC2: Network;
    let open: { id: string; serviceName: string };
    let approval: { id: string; serviceName: string };
    let obs: { id: string; serviceName: string };

    before(async () => {
      ({ server, netP, netC, netC2 } = await endpointTestBed(dialect));
      open = await createService(server, netP, {
        name: 'open',
        ports: [{ client_port: 8080, server_port: 80 }],
      });
      approval = await createService(server, netP, {
        name: 'approval',
        approval: true,
        ports: [{ client_port: 8081, server_port: 81 }],
      });
      await whitelistDomain(server, open.id, server.consumer.domainId);
      await whitelistDomain(server, approval.id, server.consumer.domainId);
      obs = await publicGatewayService(server);
    });
    after(async () => server.close());

    test('the seed §4.3.1 example body creates an interface endpoint that becomes accepted', async () => {
      const created = await createEndpoint(server.consumer, {
        subnet_id: netC.subnetId,
        vpc_id: netC.vpcId,
        tags: [{ key: 'test1', value: 'test1' }],
        endpoint_service_id: open.id,
        enable_dns: true,
      });
      assert.equal(created.httpStatusCode, 200);
      assert.equal(created.status, 'creating');
      assertEndpointShape(created);
      assert.equal(created.service_type, 'interface');
      assert.equal(created.endpoint_service_id, open.id);
      assert.equal(created.endpoint_service_name, open.serviceName);
      assert.equal(created.vpc_id, netC.vpcId);
      assert.equal(created.subnet_id, netC.subnetId);
      assert.equal(created.project_id, server.consumer.projectId);
      assert.equal(created.enable_dns, true);
      assert.deepEqual(created.tags, [{ key: 'test1', value: 'test1' }]);
      assert.deepEqual(created.whitelist, []);
      assert.equal(created.enable_whitelist, false);
      assert.deepEqual(created.routetables, []);
      assert.equal(created.specification_name, 'default');
      assert.equal(created.ip, undefined, 'no address before acceptance');
      const id = String(created.id);
      assert.deepEqual(created.dns_names, [`${id}.${server.config.region}.${server.config.dns.zone}`]);

      const done = await settled(server.consumer, id);
      assert.equal(done.status, 'accepted');
      assertEndpointShape(done);
      // The lowest free host of 127.30.0.0/24: .1 is the gateway.
      assert.equal(done.ip, '127.30.0.2');
      assert.equal(done.created_at, created.created_at);
      assert.equal(done.marker_id, created.marker_id);
    });

    test('the §5.1 application example body is accepted', async () => {
      const created = await createEndpoint(server.consumer, {
        subnet_id: netC.subnetId,
        vpc_id: netC.vpcId,
        endpoint_service_id: open.id,
        enable_dns: true,
      });
      assert.equal(created.status, 'creating');
      const done = await settled(server.consumer, String(created.id));
      assert.equal(done.status, 'accepted');
      assert.equal(done.ip, '127.30.0.3');
    });

    test('a service with approval leaves the endpoint pendingAcceptance without an address', async () => {
      const created = await createEndpoint(server.consumer, {
        subnet_id: netC.subnetId,
        vpc_id: netC.vpcId,
        endpoint_service_id: approval.id,
      });
      const done = await settled(server.consumer, String(created.id));
      assert.equal(done.status, 'pendingAcceptance');
      assert.equal(done.ip, undefined);
      assert.deepEqual(done.dns_names, [], 'enable_dns defaults to false');
      assert.equal(done.enable_dns, false);
    });

    test('a gateway endpoint to the public OBS service gets the default route table and no address', async () => {
      const created = await createEndpoint(server.consumer, {
        vpc_id: netC2.vpcId,
        endpoint_service_id: obs.id,
        enable_dns: true,
      });
      assert.equal(created.service_type, 'gateway');
      assert.deepEqual(created.routetables, [netC2.routeTableId]);
      assert.deepEqual(created.dns_names, [], 'gateway endpoints get no private name');
      assert.equal(created.enable_dns, true, 'the flag is echoed as sent');
      assert.equal(created.subnet_id, '');
      const done = await settled(server.consumer, String(created.id));
      assert.equal(done.status, 'accepted', 'public services need no approval');
      assert.equal(done.ip, undefined);
      assertEndpointShape(done);

      // The route table already routes to OBS for that endpoint.
      await expectError(
        createEndpoint(server.consumer, { vpc_id: netC2.vpcId, endpoint_service_id: obs.id }),
        400,
        'EndPoint.2039',
      );
      // A route table of another VPC.
      await expectError(
        createEndpoint(server.consumer, {
          vpc_id: netC.vpcId,
          endpoint_service_id: obs.id,
          routetables: [netC2.routeTableId],
        }),
        400,
        'EndPoint.1019',
      );
      await expectError(
        createEndpoint(server.consumer, {
          vpc_id: netC.vpcId,
          endpoint_service_id: obs.id,
          routetables: ['00000000-0000-0000-0000-000000000000'],
        }),
        400,
        'EndPoint.1019',
      );
      const explicit = await createEndpoint(server.consumer, {
        vpc_id: netC.vpcId,
        endpoint_service_id: obs.id,
        routetables: [netC.routeTableId],
        policy_statement: [
          { Effect: 'Allow', Action: ['obs:*:*'], Resource: ['obs:*:*:*:*/*', 'obs:*:*:*:*'] },
        ],
      });
      assert.deepEqual(explicit.routetables, [netC.routeTableId]);
      assert.deepEqual(explicit.policy_statement, [
        { Effect: 'Allow', Action: ['obs:*:*'], Resource: ['obs:*:*:*:*/*', 'obs:*:*:*:*'] },
      ]);
    });

    test('every optional field is stored and echoed', async () => {
      const created = await createEndpoint(server.consumer, {
        subnet_id: netC.subnetId,
        vpc_id: netC.vpcId,
        endpoint_service_id: open.id,
        port_ip: '127.30.0.100',
        enable_dns: false,
        whitelist: ['127.30.0.0/24', '10.1.2.3'],
        enable_whitelist: true,
        description: 'made by a test',
        policy_document: { Version: '5.0', Statement: [] },
        ip_version: 'ipv4',
        specification_name: 'default',
        tags: [
          { key: 'b', value: '2' },
          { key: 'a', value: '1' },
        ],
      });
      assert.deepEqual(created.whitelist, ['127.30.0.0/24', '10.1.2.3']);
      assert.equal(created.enable_whitelist, true);
      assert.equal(created.description, 'made by a test');
      assert.deepEqual(created.policy_document, { Version: '5.0', Statement: [] });
      assert.equal(created.ip_version, 'ipv4');
      assert.deepEqual(created.tags, [
        { key: 'a', value: '1' },
        { key: 'b', value: '2' },
      ]);
      const done = await settled(server.consumer, String(created.id));
      assert.equal(done.ip, '127.30.0.100');
    });

    test('marker ids are distinct int32 values from 2^24 upwards', async () => {
      const list = await server.consumer.sdk({
        method: 'GET',
        url: '/v1/{project_id}/vpc-endpoints',
        queryParams: { limit: 1000 },
      });
      const markers = (list.endpoints as { marker_id: number }[]).map((e) => e.marker_id);
      assert.ok(markers.length >= 4);
      assert.equal(new Set(markers).size, markers.length);
      for (const m of markers) assert.ok(Number.isInteger(m) && m >= 16777216 && m <= 2147483647);
    });

    test('concurrent creates in one subnet get distinct addresses and marker ids', async () => {
      const body = { subnet_id: netC2.subnetId, vpc_id: netC2.vpcId, endpoint_service_id: open.id };
      const created = await Promise.all(
        Array.from({ length: 8 }, () => createEndpoint(server.consumer, body)),
      );
      const done = await Promise.all(created.map((e) => settled(server.consumer, String(e.id))));
      const ips = done.map((e) => String(e.ip));
      assert.equal(new Set(ips).size, 8, `addresses: ${ips.join(', ')}`);
      // The lowest free hosts, .2 to .9 (.1 is the gateway), in some order.
      assert.deepEqual(
        [...ips].sort((a, b) => Number(a.split('.')[3]) - Number(b.split('.')[3])),
        Array.from({ length: 8 }, (_, i) => `127.31.0.${i + 2}`),
      );
      assert.equal(new Set(done.map((e) => e.marker_id)).size, 8);
    });
  });
}
