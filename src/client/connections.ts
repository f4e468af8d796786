import { allPages, call, type Scope } from './resource.ts';
import type { Connection, ConnectionsQuery, Page } from './types.ts';

// The provider's view of who connects to one of its services: list, accept,
// reject, annotate.

const BASE = '/v1/{project_id}/vpc-endpoint-services/{service_id}/connections';

export class ConnectionsApi {
  constructor(private readonly scope: Scope) {}

  async list(serviceId: string, query: ConnectionsQuery = {}): Promise<Page<Connection>> {
    const answer = await call<{ connections: Connection[]; total_count: number }>(this.scope, 'GET', BASE, {
      params: { service_id: serviceId },
      query,
    });
    return { items: answer.connections, total: answer.total_count };
  }

  async listAll(
    serviceId: string,
    filter: Omit<ConnectionsQuery, 'limit' | 'offset'> = {},
  ): Promise<Connection[]> {
    return allPages((offset, limit) => this.list(serviceId, { ...filter, offset, limit }));
  }

  /** The API takes one endpoint per call. */
  async accept(serviceId: string, endpointId: string): Promise<Connection> {
    return this.act(serviceId, 'receive', endpointId);
  }

  async reject(serviceId: string, endpointId: string): Promise<Connection> {
    return this.act(serviceId, 'reject', endpointId);
  }

  private async act(
    serviceId: string,
    action: 'receive' | 'reject',
    endpointId: string,
  ): Promise<Connection> {
    const answer = await call<{ connections: Connection[] }>(this.scope, 'POST', `${BASE}/action`, {
      params: { service_id: serviceId },
      body: { action, endpoints: [endpointId] },
    });
    const [connection] = answer.connections;
    if (!connection) throw new Error('the connection action answered no connection');
    return connection;
  }

  /** Sets the provider's description of connections, by endpoint id. */
  async describe(
    serviceId: string,
    descriptions: { id: string; description: string }[],
  ): Promise<Connection[]> {
    const answer = await call<{ connections: Connection[] }>(this.scope, 'PUT', `${BASE}/description`, {
      params: { service_id: serviceId },
      body: { connections: descriptions },
    });
    return answer.connections;
  }
}
