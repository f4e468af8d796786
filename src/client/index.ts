import { ConnectionsApi } from './connections.ts';
import { EndpointsApi } from './endpoints.ts';
import type { Transport } from './http.ts';
import { IdentityApi } from './identity.ts';
import { PermissionsApi } from './permissions.ts';
import { QuotasApi } from './quotas.ts';
import { PublicServicesApi, ServicesApi } from './services.ts';
import { TagsApi } from './tags.ts';
import { PortsApi, RouteTablesApi, SubnetsApi, VpcsApi } from './vpc.ts';

// The project's own client: every operation of the API, typed, over any
// transport. The CLI and the tests use it with signedTransport; a browser
// would use tokenTransport. This module imports nothing of node.

export class VpcepClient {
  readonly vpcs: VpcsApi;
  readonly subnets: SubnetsApi;
  readonly ports: PortsApi;
  readonly routetables: RouteTablesApi;
  readonly services: ServicesApi;
  readonly publicServices: PublicServicesApi;
  readonly endpoints: EndpointsApi;
  readonly connections: ConnectionsApi;
  readonly permissions: PermissionsApi;
  readonly quotas: QuotasApi;
  readonly tags: TagsApi;
  readonly identity: IdentityApi;

  constructor(
    readonly transport: Transport,
    readonly projectId: string,
  ) {
    const scope = { transport, projectId };
    this.vpcs = new VpcsApi(scope);
    this.subnets = new SubnetsApi(scope);
    this.ports = new PortsApi(scope);
    this.routetables = new RouteTablesApi(scope);
    this.services = new ServicesApi(scope);
    this.publicServices = new PublicServicesApi(scope);
    this.endpoints = new EndpointsApi(scope);
    this.connections = new ConnectionsApi(scope);
    this.permissions = new PermissionsApi(scope);
    this.quotas = new QuotasApi(scope);
    this.tags = new TagsApi(scope);
    this.identity = new IdentityApi(scope);
  }
}

export { ApiError, ConnectionError, InvalidInput } from './errors.ts';
export type { HttpRequest, HttpResponse, Transport } from './http.ts';
export { waitForEndpoint, waitForService, WaitError, type WaitOptions } from './waiter.ts';
export type * from './types.ts';
