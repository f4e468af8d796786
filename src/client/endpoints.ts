import { allPages, call, type Scope } from './resource.ts';
import type {
  Endpoint,
  EndpointCreate,
  EndpointPolicy,
  EndpointTraffic,
  EndpointUpdate,
  ListEndpointsQuery,
  Page,
} from './types.ts';

// VPC endpoints: the consumer's side of a connection.

const BASE = '/v1/{project_id}/vpc-endpoints';
const ONE = `${BASE}/{id}`;

export class EndpointsApi {
  constructor(private readonly scope: Scope) {}

  async list(query: ListEndpointsQuery = {}): Promise<Page<Endpoint>> {
    const answer = await call<{ endpoints: Endpoint[]; total_count: number }>(this.scope, 'GET', BASE, {
      query,
    });
    return { items: answer.endpoints, total: answer.total_count };
  }

  async listAll(filter: Omit<ListEndpointsQuery, 'limit' | 'offset'> = {}): Promise<Endpoint[]> {
    return allPages((offset, limit) => this.list({ ...filter, offset, limit }));
  }

  async get(id: string): Promise<Endpoint> {
    return call(this.scope, 'GET', ONE, { params: { id } });
  }

  /** Answers while the endpoint is `creating`; see waiter.ts. */
  async create(body: EndpointCreate): Promise<Endpoint> {
    return call(this.scope, 'POST', BASE, { body });
  }

  /**
   * The traffic counters of the answering node's data plane (a vpcep
   * extension): `traffic` is null where that node does not forward.
   */
  async traffic(id: string): Promise<EndpointTraffic> {
    return call(this.scope, 'GET', `${ONE}/traffic`, { params: { id } });
  }

  /** Changes the endpoint's IP whitelist (the only mutable part). */
  async update(id: string, body: EndpointUpdate): Promise<Endpoint> {
    return call(this.scope, 'PUT', ONE, { params: { id }, body });
  }

  /** Starts the deletion: the endpoint is `deleting`, then gone (404). */
  async delete(id: string): Promise<void> {
    await call(this.scope, 'DELETE', ONE, { params: { id } });
  }

  /** Replaces the route tables of a gateway endpoint. */
  async setRoutetables(id: string, routetables: string[]): Promise<string[]> {
    const body = { routetables };
    const answer = await call<{ routetables: string[] }>(this.scope, 'PUT', `${ONE}/routetables`, {
      params: { id },
      body,
    });
    return answer.routetables;
  }

  async setPolicy(id: string, policy: EndpointPolicy): Promise<Endpoint> {
    return call(this.scope, 'PUT', `${ONE}/policy`, { params: { id }, body: policy });
  }

  async deletePolicy(id: string): Promise<Endpoint> {
    return call(this.scope, 'DELETE', `${ONE}/policy`, { params: { id } });
  }

  /** Starts the upgrade to the professional edition (the API's only action is `start`). */
  async upgrade(id: string, action = 'start'): Promise<void> {
    await call(this.scope, 'POST', '/v2/{project_id}/vpc-endpoints/{id}/upgrade', {
      params: { id },
      body: { action },
    });
  }
}
