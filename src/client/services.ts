import { allPages, call, type Scope } from './resource.ts';
import type {
  DescribeServiceQuery,
  EndpointService,
  ListPublicServicesQuery,
  ListServicesQuery,
  Page,
  PublicService,
  ServerResources,
  ServiceCreate,
  ServiceDescription,
  ServiceUpdate,
} from './types.ts';

// Endpoint services: the provider's own, the operator's public ones, and the
// look-up any consumer may make before connecting.

const BASE = '/v1/{project_id}/vpc-endpoint-services';
const ONE = `${BASE}/{id}`;
const V2_ONE = '/v2/{project_id}/vpc-endpoint-services/{id}';

type Filter<Q> = Omit<Q, 'limit' | 'offset'>;

export class ServicesApi {
  constructor(private readonly scope: Scope) {}

  async list(query: ListServicesQuery = {}): Promise<Page<EndpointService>> {
    const answer = await call<{ endpoint_services: EndpointService[]; total_count: number }>(
      this.scope,
      'GET',
      BASE,
      { query },
    );
    return { items: answer.endpoint_services, total: answer.total_count };
  }

  async listAll(filter: Filter<ListServicesQuery> = {}): Promise<EndpointService[]> {
    return allPages((offset, limit) => this.list({ ...filter, offset, limit }));
  }

  async get(id: string): Promise<EndpointService> {
    return call(this.scope, 'GET', ONE, { params: { id } });
  }

  /** Answers while the service is `creating`; see waiter.ts. */
  async create(body: ServiceCreate): Promise<EndpointService> {
    return call(this.scope, 'POST', BASE, { body });
  }

  async update(id: string, body: ServiceUpdate): Promise<EndpointService> {
    return call(this.scope, 'PUT', ONE, { params: { id }, body });
  }

  /** Starts the deletion: the service is `deleting`, then gone (404). */
  async delete(id: string): Promise<void> {
    await call(this.scope, 'DELETE', ONE, { params: { id } });
  }

  /** Sets the custom part of the service name; undefined clears it. Answers the new full name. */
  async rename(id: string, name: string | undefined): Promise<string> {
    const body = name === undefined ? {} : { endpoint_service_name: name };
    const answer = await call<{ endpoint_service_name: string }>(this.scope, 'PUT', `${ONE}/name`, {
      params: { id },
      body,
    });
    return answer.endpoint_service_name;
  }

  async upgrade(id: string): Promise<void> {
    await call(this.scope, 'POST', `${V2_ONE}/upgrade`, { params: { id } });
  }

  async addServerResources(id: string, resources: ServerResources): Promise<void> {
    const body = { server_resources: resources };
    await call(this.scope, 'POST', `${V2_ONE}/add-server-resources`, { params: { id }, body });
  }

  /** Basic facts of any service, by id or by full name (what a consumer checks before connecting). */
  async describe(query: DescribeServiceQuery): Promise<ServiceDescription> {
    return call(this.scope, 'GET', `${BASE}/describe`, { query });
  }
}

export class PublicServicesApi {
  constructor(private readonly scope: Scope) {}

  async list(query: ListPublicServicesQuery = {}): Promise<Page<PublicService>> {
    const answer = await call<{ endpoint_services: PublicService[]; total_count: number }>(
      this.scope,
      'GET',
      `${BASE}/public`,
      { query },
    );
    return { items: answer.endpoint_services, total: answer.total_count };
  }

  async listAll(filter: Filter<ListPublicServicesQuery> = {}): Promise<PublicService[]> {
    return allPages((offset, limit) => this.list({ ...filter, offset, limit }));
  }
}
