// Seed 004 §5.1 "Configuring a VPC Endpoint for Communication Across VPCs",
// played by two accounts over HTTP with the official SDK core: the provider
// publishes a service with approval on and whitelists the consumer; the
// consumer connects an endpoint; the provider accepts and later rejects it; the
// consumer deletes it; the provider deletes the service. Each step checks what
// both sides see, and what the data plane would carry.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { acceptedInterfaceEndpoints } from '../../src/vpcep/endpoints/dataplane.ts';
import { testDialects } from '../support/db.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { sdkError } from '../support/sdk.ts';
import {
  createEndpoint,
  expectError,
  getEndpoint,
  NETWORKS,
  networkOf,
  settled,
  waitFor,
  waitGone,
  type Network,
} from './endpoints.support.ts';

type Json = Record<string, unknown>;

for (const dialect of testDialects()) {
  describe(`seed §5.1 walkthrough across two accounts (${dialect})`, () => {
    let server: TestServer;
    let netP: Network;
    let netC: Network;

    const provider = (
      method: 'GET' | 'POST' | 'PUT' | 'DELETE',
      url: string,
      data?: unknown,
      queryParams?: Json,
    ) =>
      server.provider.sdk({
        method,
        url,
        ...(data !== undefined ? { data } : {}),
        ...(queryParams ? { queryParams } : {}),
      });

    before(async () => {
      server = await startTestServer({ dialect, accountExtras: NETWORKS });
      netP = await networkOf(server.provider, 'vpc-p');
      netC = await networkOf(server.consumer, 'vpc-c');
    });
    after(async () => server.close());

    test('service → whitelist → endpoint → accept → reject → delete', async () => {
      // 1. The provider publishes its ECS (the NIC 127.20.0.10) with the seed's
      // request body, approval switched on, and a name.
      const created = await provider('POST', '/v1/{project_id}/vpc-endpoint-services', {
        port_id: netP.backendPortId,
        vpc_id: netP.vpcId,
        approval_enabled: true,
        service_type: 'interface',
        server_type: 'VM',
        service_name: 'walk',
        ports: [
          { client_port: 8080, server_port: 80, protocol: 'TCP' },
          { client_port: 8081, server_port: 80, protocol: 'TCP' },
        ],
      });
      const serviceId = String(created.id);
      const service = await waitFor(
        () => provider('GET', `/v1/{project_id}/vpc-endpoint-services/${serviceId}`),
        (s) => s.status === 'available',
      );
      const serviceName = String(service.service_name);
      assert.equal(serviceName, `${server.config.region}.walk.${serviceId}`);

      // 2. The consumer looks the service up by name, as it would before connecting.
      const described = await server.consumer.sdk({
        method: 'GET',
        url: '/v1/{project_id}/vpc-endpoint-services/describe',
        queryParams: { endpoint_service_name: serviceName },
      });
      assert.equal(described.id, serviceId);

      // 3. Not whitelisted yet: refused.
      const endpointBody = {
        subnet_id: netC.subnetId,
        vpc_id: netC.vpcId,
        endpoint_service_id: serviceId,
        enable_dns: true,
      };
      await expectError(createEndpoint(server.consumer, endpointBody), 400, 'EndPoint.2012');

      // 4. The provider whitelists the consumer's account.
      const permission = `iam:domain::${server.consumer.domainId}`;
      const added = await provider(
        'POST',
        `/v1/{project_id}/vpc-endpoint-services/${serviceId}/permissions/action`,
        {
          action: 'add',
          permissions: [permission],
        },
      );
      assert.deepEqual(added.permissions, [permission]);

      // 5. The §5.1 endpoint request: creating, then pendingAcceptance without an address.
      const endpoint = await createEndpoint(server.consumer, endpointBody);
      assert.equal(endpoint.status, 'creating');
      assert.equal(endpoint.endpoint_service_name, serviceName);
      const id = String(endpoint.id);
      const pending = await settled(server.consumer, id);
      assert.equal(pending.status, 'pendingAcceptance');
      assert.equal(pending.ip, undefined);
      assert.deepEqual(await acceptedInterfaceEndpoints(server.running.store.db, { endpointIds: [id] }), []);

      // 6. The provider sees the connection request with the consumer's account.
      const connectionsUrl = `/v1/{project_id}/vpc-endpoint-services/${serviceId}/connections`;
      const conns = await provider('GET', connectionsUrl, undefined, { id });
      const conn = (conns.connections as Json[])[0];
      assert.ok(conn);
      assert.equal(conn.status, 'pendingAcceptance');
      assert.equal(conn.marker_id, pending.marker_id);
      assert.equal(conn.domain_id, server.consumer.domainId);

      // 7. Accept: effective at once; the consumer now sees the address and name.
      const accepted = await provider('POST', `${connectionsUrl}/action`, {
        action: 'receive',
        endpoints: [id],
      });
      assert.equal((accepted.connections as Json[])[0]?.status, 'accepted');
      const live = await getEndpoint(server.consumer, id);
      assert.equal(live.status, 'accepted');
      assert.equal(live.ip, '127.30.0.2');
      assert.deepEqual(live.dns_names, [`${id}.${server.config.region}.${server.config.dns.zone}`]);

      // What the data plane would forward: endpoint ip:8080 → 127.20.0.10:80, with the marker id.
      const [forward] = await acceptedInterfaceEndpoints(server.running.store.db, { endpointIds: [id] });
      assert.ok(forward);
      assert.equal(forward.ip, '127.30.0.2');
      assert.equal(forward.backendIp, '127.20.0.10');
      assert.equal(forward.markerId, live.marker_id);
      assert.equal(forward.vpcId, netC.vpcId);
      assert.deepEqual(forward.ports, [
        { client_port: 8080, server_port: 80, protocol: 'TCP' },
        { client_port: 8081, server_port: 80, protocol: 'TCP' },
      ]);

      // 8. Reject after accept: rejected, the address stays visible, no traffic.
      const rejected = await provider('POST', `${connectionsUrl}/action`, {
        action: 'reject',
        endpoints: [id],
      });
      assert.equal((rejected.connections as Json[])[0]?.status, 'rejected');
      const cut = await getEndpoint(server.consumer, id);
      assert.equal(cut.status, 'rejected');
      assert.equal(cut.ip, '127.30.0.2');
      assert.deepEqual(await acceptedInterfaceEndpoints(server.running.store.db, { endpointIds: [id] }), []);

      // 9. The consumer deletes its endpoint: 204, then 404; the provider's list forgets it.
      const gone = await server.consumer.sdk({
        method: 'DELETE',
        url: `/v1/{project_id}/vpc-endpoints/${id}`,
      });
      assert.equal(gone.httpStatusCode, 204);
      await waitGone(server.consumer, id);
      const after = await provider('GET', connectionsUrl, undefined, { id });
      assert.deepEqual(after.connections, []);

      // 10. With no endpoint left the provider can delete the service too.
      const deleted = await provider('DELETE', `/v1/{project_id}/vpc-endpoint-services/${serviceId}`);
      assert.equal(deleted.httpStatusCode, 204);
      const deadline = Date.now() + 10_000;
      for (;;) {
        const err = await sdkError(
          provider('GET', `/v1/{project_id}/vpc-endpoint-services/${serviceId}`),
        ).catch(() => undefined);
        if (err?.httpStatusCode === 404) break;
        assert.ok(Date.now() < deadline, 'the service is gone within 10 s');
        await new Promise((r) => setTimeout(r, 20));
      }
    });
  });
}
