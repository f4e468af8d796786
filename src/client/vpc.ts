import { allMarkerPages, call, type Scope } from './resource.ts';
import type {
  ListPortsQuery,
  ListRouteTablesQuery,
  ListSubnetsQuery,
  ListVpcsQuery,
  Port,
  PortCreate,
  RouteTable,
  RouteTableSummary,
  Subnet,
  SubnetCreate,
  SubnetUpdate,
  Vpc,
  VpcCreate,
  VpcUpdate,
} from './types.ts';

// The VPC API v1 subset: VPCs, subnets, ports and route tables.

type Filter<Q> = Omit<Q, 'limit' | 'marker'>;

export class VpcsApi {
  constructor(private readonly scope: Scope) {}

  async list(query: ListVpcsQuery = {}): Promise<Vpc[]> {
    return (await call<{ vpcs: Vpc[] }>(this.scope, 'GET', '/v1/{project_id}/vpcs', { query })).vpcs;
  }

  async listAll(filter: Filter<ListVpcsQuery> = {}): Promise<Vpc[]> {
    return allMarkerPages((marker, limit) => this.list({ ...filter, limit, marker }));
  }

  async get(id: string): Promise<Vpc> {
    return (await call<{ vpc: Vpc }>(this.scope, 'GET', '/v1/{project_id}/vpcs/{id}', { params: { id } }))
      .vpc;
  }

  async create(vpc: VpcCreate): Promise<Vpc> {
    return (await call<{ vpc: Vpc }>(this.scope, 'POST', '/v1/{project_id}/vpcs', { body: { vpc } })).vpc;
  }

  async update(id: string, vpc: VpcUpdate): Promise<Vpc> {
    const body = { vpc };
    return (
      await call<{ vpc: Vpc }>(this.scope, 'PUT', '/v1/{project_id}/vpcs/{id}', { params: { id }, body })
    ).vpc;
  }

  async delete(id: string): Promise<void> {
    await call(this.scope, 'DELETE', '/v1/{project_id}/vpcs/{id}', { params: { id } });
  }
}

export class SubnetsApi {
  constructor(private readonly scope: Scope) {}

  async list(query: ListSubnetsQuery = {}): Promise<Subnet[]> {
    return (await call<{ subnets: Subnet[] }>(this.scope, 'GET', '/v1/{project_id}/subnets', { query }))
      .subnets;
  }

  async listAll(filter: Filter<ListSubnetsQuery> = {}): Promise<Subnet[]> {
    return allMarkerPages((marker, limit) => this.list({ ...filter, limit, marker }));
  }

  async get(id: string): Promise<Subnet> {
    const params = { id };
    return (await call<{ subnet: Subnet }>(this.scope, 'GET', '/v1/{project_id}/subnets/{id}', { params }))
      .subnet;
  }

  async create(subnet: SubnetCreate): Promise<Subnet> {
    const body = { subnet };
    return (await call<{ subnet: Subnet }>(this.scope, 'POST', '/v1/{project_id}/subnets', { body })).subnet;
  }

  /** The API addresses a subnet under its VPC for changes; answers `{id, status}`. */
  async update(vpcId: string, id: string, subnet: SubnetUpdate): Promise<{ id: string; status: string }> {
    const params = { vpc_id: vpcId, id };
    const answer = await call<{ subnet: { id: string; status: string } }>(
      this.scope,
      'PUT',
      '/v1/{project_id}/vpcs/{vpc_id}/subnets/{id}',
      { params, body: { subnet } },
    );
    return answer.subnet;
  }

  async delete(vpcId: string, id: string): Promise<void> {
    const params = { vpc_id: vpcId, id };
    await call(this.scope, 'DELETE', '/v1/{project_id}/vpcs/{vpc_id}/subnets/{id}', { params });
  }
}

export class PortsApi {
  constructor(private readonly scope: Scope) {}

  async list(query: ListPortsQuery = {}): Promise<Port[]> {
    return (await call<{ ports: Port[] }>(this.scope, 'GET', '/v1/{project_id}/ports', { query })).ports;
  }

  async listAll(filter: Filter<ListPortsQuery> = {}): Promise<Port[]> {
    return allMarkerPages((marker, limit) => this.list({ ...filter, limit, marker }));
  }

  async get(id: string): Promise<Port> {
    return (await call<{ port: Port }>(this.scope, 'GET', '/v1/{project_id}/ports/{id}', { params: { id } }))
      .port;
  }

  async create(port: PortCreate): Promise<Port> {
    return (await call<{ port: Port }>(this.scope, 'POST', '/v1/{project_id}/ports', { body: { port } }))
      .port;
  }

  async delete(id: string): Promise<void> {
    await call(this.scope, 'DELETE', '/v1/{project_id}/ports/{id}', { params: { id } });
  }
}

export class RouteTablesApi {
  constructor(private readonly scope: Scope) {}

  async list(query: ListRouteTablesQuery = {}): Promise<RouteTableSummary[]> {
    const path = '/v1/{project_id}/routetables';
    return (await call<{ routetables: RouteTableSummary[] }>(this.scope, 'GET', path, { query })).routetables;
  }

  async listAll(filter: Filter<ListRouteTablesQuery> = {}): Promise<RouteTableSummary[]> {
    return allMarkerPages((marker, limit) => this.list({ ...filter, limit, marker }));
  }

  async get(id: string): Promise<RouteTable> {
    const path = '/v1/{project_id}/routetables/{id}';
    return (await call<{ routetable: RouteTable }>(this.scope, 'GET', path, { params: { id } })).routetable;
  }
}
