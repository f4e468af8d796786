// A populated console for the screenshots and the benchmark: the provider's
// service (approval required, tagged, the consumer whitelisted) with one
// accepted endpoint that has carried traffic (and the provider's note on it)
// and one waiting for acceptance.
import { connectTcp, roundTrip, startTcpBackend, type TcpBackend } from '../support/loopback.ts';
import { reachable } from '../support/reachable.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import {
  createEndpoint,
  createService,
  networkOf,
  NETWORKS,
  settled,
  whitelistDomain,
} from '../vpcep/endpoints.support.ts';

const BACKEND_IP = '127.20.0.10';
const CLIENT_IP = '127.30.0.7';

export interface Scene {
  server: TestServer;
  serviceId: string;
  acceptedId: string;
  pendingId: string;
  close(): Promise<void>;
}

export async function startScene(): Promise<Scene> {
  const server = await startTestServer({ accountExtras: NETWORKS });
  let backend: TcpBackend | undefined;
  const close = async () => {
    await server.close();
    await backend?.close();
  };
  try {
    backend = await startTcpBackend(BACKEND_IP);
    const provider = await networkOf(server.provider, 'vpc-p');
    const consumer = await networkOf(server.consumer, 'vpc-c');
    const { id: serviceId } = await createService(server, provider, {
      approval: true,
      name: 'orders',
      ports: [{ client_port: 8080, server_port: backend.port, protocol: 'TCP' }],
    });
    await server.provider.sdk({
      method: 'POST',
      url: `/v1/{project_id}/endpoint_service/${serviceId}/tags/action`,
      data: { action: 'create', tags: [{ key: 'team', value: 'orders' }] },
    });
    await whitelistDomain(server, serviceId, server.consumer.domainId);
    const endpoint = async (ip: string, description: string) => {
      const created = await createEndpoint(server.consumer, {
        endpoint_service_id: serviceId,
        vpc_id: consumer.vpcId,
        subnet_id: consumer.subnetId,
        port_ip: ip,
        enable_dns: true,
        description,
      });
      const id = String(created.id);
      await settled(server.consumer, id);
      return id;
    };
    const acceptedId = await endpoint('127.30.0.80', 'checkout');
    const pendingId = await endpoint('127.30.0.81', 'reporting');
    await server.provider.sdk({
      method: 'POST',
      url: `/v1/{project_id}/vpc-endpoint-services/${serviceId}/connections/action`,
      data: { action: 'receive', endpoints: [acceptedId] },
    });
    // The provider's own note on the accepted connection (the Connections tab's field).
    await server.provider.sdk({
      method: 'PUT',
      url: `/v1/{project_id}/vpc-endpoint-services/${serviceId}/connections/description`,
      data: { connections: [{ id: acceptedId, description: 'checkout team' }] },
    });
    await reachable('127.30.0.80', 8080, CLIENT_IP);
    const socket = await connectTcp('127.30.0.80', 8080, CLIENT_IP);
    await roundTrip(socket, Buffer.alloc(64 * 1024, 1));
    socket.destroy();
    return { server, serviceId, acceptedId, pendingId, close };
  } catch (err) {
    await close();
    throw err;
  }
}
