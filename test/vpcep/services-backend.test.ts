// Where a service's traffic may go, as the API sees it: `ip` is only ever the
// IPv4 address of the backend port (never a name, another address or a CIDR),
// a VPC endpoint's own port cannot be a backend, and a stored free-text `ip`
// from an older store is still echoed. The data plane side is in
// test/dataplane/tenancy.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { PortView } from '../../src/vpc/schemas.ts';
import type { ServiceView } from '../../src/vpcep/services/views.ts';
import { testDialects } from '../support/db.ts';
import { sdkError } from '../support/sdk.ts';
import type { TestServer } from '../support/server.ts';
import { createEndpoint, endpointTestBed, settled, waitFor, type Network } from './endpoints.support.ts';
import { SERVICES, wire } from './services.support.ts';

for (const dialect of testDialects()) {
  describe(`endpoint service backends (${dialect})`, () => {
    let server: TestServer;
    let net: Network;
    let backendId: string;
    let otherPort: PortView;
    let nextServerPort = 40_000;

    const body = (extra: Record<string, unknown> = {}) => ({
      port_id: backendId,
      vpc_id: net.vpcId,
      server_type: 'VM',
      ports: [{ client_port: 80, server_port: nextServerPort++, protocol: 'TCP' }],
      ...extra,
    });
    const create = (extra: Record<string, unknown> = {}) =>
      server.provider.sdk({ method: 'POST', url: SERVICES, data: body(extra) });
    const available = async (id: string) =>
      wire<ServiceView>(
        await waitFor(
          () => server.provider.sdk({ method: 'GET', url: `${SERVICES}/${id}` }),
          (s) => s.status === 'available',
        ),
      );
    const expect3010 = async (call: Promise<unknown>, why: string) => {
      const err = await sdkError(call);
      assert.equal(err.httpStatusCode, 400, why);
      assert.equal(err.errorCode, 'EndPoint.3010', `${why}: ${err.errorMsg}`);
    };

    before(async () => {
      ({ server, netP: net } = await endpointTestBed(dialect));
      backendId = net.backendPortId ?? assert.fail('the provider has a backend NIC');
      otherPort = wire<{ port: PortView }>(
        await server.provider.sdk({
          method: 'POST',
          url: '/v1/{project_id}/ports',
          data: { port: { network_id: net.subnetId, fixed_ips: [{ ip_address: '127.20.0.11' }] } },
        }),
      ).port;
    });
    after(async () => server?.close());

    test('create: ip must be the IPv4 address of the backend port', async () => {
      const refused: [string, string][] = [
        ['metadata.internal', 'a host name'],
        ['localhost', 'a host name resolving to loopback'],
        ['169.254.169.254', 'the metadata address'],
        ['127.0.0.1', 'where the API and DNS listen'],
        ['127.20.0.11', "another port's address in the same subnet"],
        ['127.20.0.010', 'a leading zero (octal to some readers)'],
        ['127.20.0.10/32', 'a CIDR'],
        [' 127.20.0.10', 'a leading space'],
        ['2132541450', 'a bare number'],
        ['0x7f.20.0.10', 'hex'],
        ['::ffff:127.20.0.10', 'IPv6'],
      ];
      for (const [ip, why] of refused) await expect3010(create({ ip }), why);
      const long = await sdkError(create({ ip: '1'.repeat(256) }));
      assert.equal(long.errorCode, 'EndPoint.0002', 'over the field length');
      // A NUL never reaches the ip rule: the edge refuses any string a store cannot hold.
      const nul = await sdkError(create({ ip: '127.20.0.10\u0000' }));
      assert.equal(nul.errorCode, 'EndPoint.0002', 'a NUL');

      const ok = wire<ServiceView>(await create({ ip: '127.20.0.10' }));
      assert.equal(ok.ip, '127.20.0.10');
      const none = wire<ServiceView>(await create({ ip: '' }));
      assert.equal(none.ip, '');
    });

    test('update: ip must match the port; a new port_id carries a stored ip along', async () => {
      const s = await available(String((await create({ ip: '127.20.0.10' })).id));
      const put = (data: Record<string, unknown>) =>
        server.provider.sdk({ method: 'PUT', url: `${SERVICES}/${s.id}`, data });
      await expect3010(put({ ip: '127.20.0.11' }), 'the address of another port');
      await expect3010(put({ ip: 'internal.example' }), 'a host name');
      assert.equal(wire<ServiceView>(await put({ ip: '127.20.0.10' })).ip, '127.20.0.10');
      const moved = wire<ServiceView>(await put({ port_id: otherPort.id }));
      assert.equal(moved.port_id, otherPort.id);
      assert.equal(moved.ip, '127.20.0.11', 'ip follows the backend port');
      assert.equal(wire<ServiceView>(await put({ ip: '' })).ip, '', "'' clears it");
    });

    test("a VPC endpoint's own port cannot be a backend (EndPoint.3004)", async () => {
      // The provider connects to its own service from its own VPC: the endpoint's
      // address becomes a port of vpc-p, which must not then serve as a backend.
      const service = await available(String((await create({ approval_enabled: false })).id));
      const ep = await createEndpoint(server.provider, {
        endpoint_service_id: service.id,
        vpc_id: net.vpcId,
        subnet_id: net.subnetId,
        port_ip: '127.20.0.50',
      });
      assert.equal((await settled(server.provider, String(ep.id))).status, 'accepted');
      const ports = wire<{ ports: PortView[] }>(
        await server.provider.sdk({
          method: 'GET',
          url: '/v1/{project_id}/ports',
          queryParams: { device_id: String(ep.id) },
        }),
      ).ports;
      const endpointPort = ports[0]?.id ?? assert.fail('the endpoint holds a port');
      const err = await sdkError(create({ port_id: endpointPort }));
      assert.equal(err.errorCode, 'EndPoint.3004', err.errorMsg);
      const put = await sdkError(
        server.provider.sdk({
          method: 'PUT',
          url: `${SERVICES}/${service.id}`,
          data: { port_id: endpointPort },
        }),
      );
      assert.equal(put.errorCode, 'EndPoint.3004', put.errorMsg);
    });

    test('a free-text ip from an older store is still echoed and the service stays usable', async () => {
      const s = await available(String((await create()).id));
      await server.running.store.db
        .updateTable('endpoint_services')
        .set({ ip: 'metadata.google.internal' })
        .where('id', '=', s.id)
        .execute();
      const url = `${SERVICES}/${s.id}`;
      assert.equal(
        wire<ServiceView>(await server.provider.sdk({ method: 'GET', url })).ip,
        'metadata.google.internal',
      );
      const changed = wire<ServiceView>(
        await server.provider.sdk({ method: 'PUT', url, data: { description: 'still works' } }),
      );
      assert.equal(changed.description, 'still works');
      assert.equal(changed.ip, 'metadata.google.internal');
    });
  });
}
