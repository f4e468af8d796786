import type { Static } from 'typebox';
import type {
  CreatePortBody,
  CreateSubnetBody,
  CreateVpcBody,
  ListPortsQuery,
  ListRouteTablesQuery,
  ListSubnetsQuery,
  ListVpcsQuery,
  PortView,
  RouteTableListItem,
  RouteTableView,
  SubnetView,
  UpdateSubnetBody,
  UpdateVpcBody,
  VpcView,
} from '../vpc/schemas.ts';
import type {
  ConnectionsQuery as ServerConnectionsQuery,
  ConnectionView,
} from '../vpcep/connections/schemas.ts';
import type {
  CreateEndpointBody,
  EndpointTrafficView,
  EndpointView,
  ListEndpointsQuery,
  PolicyBody,
  UpdateEndpointBody,
} from '../vpcep/endpoints/schemas.ts';
import type { PermissionsQuery, PermissionView } from '../vpcep/permissions/schemas.ts';
import type {
  AddServerResourcesBody,
  CreateServiceBody,
  DescribedService,
  DescribeServiceQuery,
  ListPublicServicesQuery,
  ListServicesQuery,
  PublicServiceView,
  ServiceView,
  UpdateServiceBody,
} from '../vpcep/services/schemas.ts';
import type { TaggedResource, TagInput } from '../vpcep/shared/tags.ts';
import type { ResourceList, ResourceQueryBody, TagValues } from '../vpcep/tags/schemas.ts';

// The wire shapes of requests and answers, taken (as types only, erased at
// build) from the server's own schemas, so a field renamed on one side fails
// the type check of the other. Nothing of the server runs in the client.

export type Vpc = VpcView;
export type Subnet = SubnetView;
export type Port = PortView;
export type RouteTable = RouteTableView;
export type RouteTableSummary = RouteTableListItem;
export type EndpointService = Static<typeof ServiceView>;
export type PublicService = Static<typeof PublicServiceView>;
export type ServiceDescription = Static<typeof DescribedService>;
export type Endpoint = Static<typeof EndpointView>;
/** This node's data-plane counters of an endpoint (a vpcep extension). */
export type EndpointTraffic = EndpointTrafficView;
export type Connection = Static<typeof ConnectionView>;
export type Permission = Static<typeof PermissionView>;
export type TaggedResourceRow = NonNullable<Static<typeof ResourceList>['resources']>[number];

export type VpcCreate = CreateVpcBody['vpc'];
export type VpcUpdate = UpdateVpcBody['vpc'];
export type SubnetCreate = CreateSubnetBody['subnet'];
export type SubnetUpdate = UpdateSubnetBody['subnet'];
export type PortCreate = CreatePortBody['port'];
export type ServiceCreate = CreateServiceBody;
export type ServiceUpdate = UpdateServiceBody;
export type ServerResources = AddServerResourcesBody['server_resources'];
export type EndpointCreate = CreateEndpointBody;
export type EndpointUpdate = UpdateEndpointBody;
export type EndpointPolicy = PolicyBody;
export type TagResourceQuery = Omit<ResourceQueryBody, 'action' | 'limit' | 'offset'>;

export type { TaggedResource, TagInput, TagValues };
export type {
  DescribeServiceQuery,
  ListEndpointsQuery,
  ListPortsQuery,
  ListPublicServicesQuery,
  ListRouteTablesQuery,
  ListServicesQuery,
  ListSubnetsQuery,
  ListVpcsQuery,
  PermissionsQuery,
};

/** The server's schema builds the status union from a list, which its static type cannot follow. */
export type ConnectionsQuery = Omit<ServerConnectionsQuery, 'status'> & { status?: EndpointStatus };

export type ServiceStatus = 'creating' | 'available' | 'failed' | 'deleting';
export type EndpointStatus =
  'creating' | 'pendingAcceptance' | 'accepted' | 'rejected' | 'failed' | 'deleting';

export interface Quota {
  type: string;
  used: number;
  quota: number;
}

export interface Project {
  id: string;
  name: string;
  domain_id: string;
  enabled: boolean;
}

/** One page of a VPCEP list and the number of matches in all pages. */
export interface Page<T> {
  items: T[];
  total: number;
}
