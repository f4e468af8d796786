import { Type, type Static } from 'typebox';

// Wire shapes of the VPC API v1 subset, with the field names and wrapper keys of
// the official SDK's models. Request objects refuse unknown keys so a typo or an
// unsupported feature (tags, security groups) is reported instead of ignored.
// CIDRs are plain strings here: their rules live in cidr.ts/rules.ts so a bad one
// gets the VPC.0101 answer users of the real API expect, not a generic 400.

const strict = { additionalProperties: false } as const;

/** Letters (any script), digits, `_`, `-` and `.`: the cloud's naming rule. */
const NamePattern = '^[\\p{L}\\p{N}_.-]*$';
const VpcName = Type.String({ maxLength: 64, pattern: NamePattern });
const SubnetName = Type.String({ minLength: 1, maxLength: 64, pattern: NamePattern });
const Description = Type.String({ maxLength: 255, pattern: '^[^<>]*$' });
const CidrText = Type.String({ maxLength: 64 });
const Ipv4 = Type.String({ format: 'ipv4' });
const Ref = Type.String({ minLength: 1, maxLength: 64 });

// ---- Requests ----------------------------------------------------------------

export const CreateVpcBody = Type.Object(
  {
    vpc: Type.Object(
      {
        cidr: CidrText,
        name: Type.Optional(VpcName),
        description: Type.Optional(Description),
        // Enterprise projects are not emulated: only the default one exists.
        enterprise_project_id: Type.Optional(Type.Literal('0')),
      },
      strict,
    ),
  },
  strict,
);
export type CreateVpcBody = Static<typeof CreateVpcBody>;

export const UpdateVpcBody = Type.Object(
  {
    vpc: Type.Object(
      {
        name: Type.Optional(VpcName),
        description: Type.Optional(Description),
        cidr: Type.Optional(CidrText),
        // VPC routes are not emulated; an empty list (what SDKs send to clear them) is accepted.
        routes: Type.Optional(Type.Array(Type.Object({}), { maxItems: 0 })),
      },
      strict,
    ),
  },
  strict,
);
export type UpdateVpcBody = Static<typeof UpdateVpcBody>;

const DnsFields = {
  dhcp_enable: Type.Optional(Type.Boolean()),
  primary_dns: Type.Optional(Ipv4),
  secondary_dns: Type.Optional(Ipv4),
  dnsList: Type.Optional(Type.Array(Ipv4, { maxItems: 2 })),
  // IPv6 is not emulated; `false` is what SDKs send by default.
  ipv6_enable: Type.Optional(Type.Literal(false)),
};

export const CreateSubnetBody = Type.Object(
  {
    subnet: Type.Object(
      {
        name: SubnetName,
        description: Type.Optional(Description),
        cidr: CidrText,
        vpc_id: Ref,
        gateway_ip: Type.Optional(Ipv4),
        availability_zone: Type.Optional(Type.String({ maxLength: 64 })),
        ...DnsFields,
      },
      strict,
    ),
  },
  strict,
);
export type CreateSubnetBody = Static<typeof CreateSubnetBody>;

export const UpdateSubnetBody = Type.Object(
  {
    subnet: Type.Object(
      { name: Type.Optional(SubnetName), description: Type.Optional(Description), ...DnsFields },
      strict,
    ),
  },
  strict,
);
export type UpdateSubnetBody = Static<typeof UpdateSubnetBody>;

export const DeviceOwner = Type.String({ maxLength: 64, pattern: '^[A-Za-z0-9_.:-]*$' });

export const CreatePortBody = Type.Object(
  {
    port: Type.Object(
      {
        network_id: Ref,
        name: Type.Optional(Type.String({ maxLength: 255 })),
        fixed_ips: Type.Optional(
          Type.Array(
            Type.Object({ ip_address: Type.Optional(Ipv4), subnet_id: Type.Optional(Ref) }, strict),
            { maxItems: 1 },
          ),
        ),
        device_owner: Type.Optional(DeviceOwner),
        // Not in the SDK's CreatePortOption, but what binds a NIC to a server or a
        // VIP to a load balancer; accepted so fixtures can describe both.
        device_id: Type.Optional(Type.String({ maxLength: 64 })),
      },
      strict,
    ),
  },
  strict,
);
export type CreatePortBody = Static<typeof CreatePortBody>;

// Query strings: unknown parameters are ignored, as the cloud does.
const Limit = Type.Optional(Type.Integer({ minimum: 0, maximum: 2147483647 }));
const Marker = Type.Optional(Type.String({ maxLength: 64 }));

export const ListVpcsQuery = Type.Object({
  id: Type.Optional(Type.String({ maxLength: 64 })),
  limit: Limit,
  marker: Marker,
  enterprise_project_id: Type.Optional(Type.String({ maxLength: 64 })),
});
export type ListVpcsQuery = Static<typeof ListVpcsQuery>;

export const ListSubnetsQuery = Type.Object({
  vpc_id: Type.Optional(Type.String({ maxLength: 64 })),
  limit: Limit,
  marker: Marker,
});
export type ListSubnetsQuery = Static<typeof ListSubnetsQuery>;

export const ListPortsQuery = Type.Object({
  id: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 100 })),
  name: Type.Optional(Type.String({ maxLength: 255 })),
  network_id: Type.Optional(Type.String({ maxLength: 64 })),
  device_id: Type.Optional(Type.String({ maxLength: 64 })),
  device_owner: Type.Optional(Type.String({ maxLength: 64 })),
  status: Type.Optional(Type.String({ maxLength: 16 })),
  mac_address: Type.Optional(Type.String({ maxLength: 17 })),
  /** `ip_address=10.0.0.5` or `subnet_id=<neutron subnet id>`, repeatable. */
  fixed_ips: Type.Optional(Type.Array(Type.String({ maxLength: 128 }), { maxItems: 100 })),
  limit: Limit,
  marker: Marker,
});
export type ListPortsQuery = Static<typeof ListPortsQuery>;

export const ListRouteTablesQuery = Type.Object({
  id: Type.Optional(Type.String({ maxLength: 64 })),
  vpc_id: Type.Optional(Type.String({ maxLength: 64 })),
  subnet_id: Type.Optional(Type.String({ maxLength: 64 })),
  limit: Limit,
  marker: Marker,
});
export type ListRouteTablesQuery = Static<typeof ListRouteTablesQuery>;

const ProjectId = Type.String({ maxLength: 64 });
const Id = Type.String({ maxLength: 200 });
export const ProjectParams = Type.Object({ project_id: ProjectId });
export const VpcParams = Type.Object({ project_id: ProjectId, vpc_id: Id });
export const SubnetParams = Type.Object({ project_id: ProjectId, subnet_id: Id });
export const VpcSubnetParams = Type.Object({ project_id: ProjectId, vpc_id: Id, subnet_id: Id });
export const PortParams = Type.Object({ project_id: ProjectId, port_id: Id });
export const RouteTableParams = Type.Object({ project_id: ProjectId, routetable_id: Id });

// ---- Responses ---------------------------------------------------------------

const Route = Type.Object({ destination: Type.String(), nexthop: Type.String() });

export const VpcView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  cidr: Type.String(),
  status: Type.String(),
  routes: Type.Array(Route),
  enterprise_project_id: Type.String(),
  tenant_id: Type.String(),
  created_at: Type.String(),
  updated_at: Type.String(),
});
export type VpcView = Static<typeof VpcView>;

export const SubnetView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  cidr: Type.String(),
  gateway_ip: Type.String(),
  ipv6_enable: Type.Boolean(),
  dhcp_enable: Type.Boolean(),
  primary_dns: Type.String(),
  secondary_dns: Type.String(),
  dnsList: Type.Array(Type.String()),
  availability_zone: Type.String(),
  vpc_id: Type.String(),
  status: Type.String(),
  neutron_network_id: Type.String(),
  neutron_subnet_id: Type.String(),
  extra_dhcp_opts: Type.Array(Type.Object({ opt_name: Type.String(), opt_value: Type.String() })),
  scope: Type.String(),
  tenant_id: Type.String(),
  created_at: Type.String(),
  updated_at: Type.String(),
});
export type SubnetView = Static<typeof SubnetView>;

const FixedIp = Type.Object({ ip_address: Type.String(), subnet_id: Type.String() });

export const PortView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  network_id: Type.String(),
  admin_state_up: Type.Boolean(),
  mac_address: Type.String(),
  fixed_ips: Type.Array(FixedIp),
  device_id: Type.String(),
  device_owner: Type.String(),
  tenant_id: Type.String(),
  project_id: Type.String(),
  status: Type.String(),
  security_groups: Type.Array(Type.String()),
  allowed_address_pairs: Type.Array(Type.Object({ ip_address: Type.String(), mac_address: Type.String() })),
  extra_dhcp_opts: Type.Array(Type.Object({ opt_name: Type.String(), opt_value: Type.String() })),
  'binding:vnic_type': Type.String(),
  'binding:vif_details': Type.Object({}, { additionalProperties: true }),
  'binding:profile': Type.Object({}, { additionalProperties: true }),
  dns_assignment: Type.Array(
    Type.Object({ hostname: Type.String(), ip_address: Type.String(), fqdn: Type.String() }),
  ),
  dns_name: Type.String(),
  instance_id: Type.String(),
  instance_type: Type.String(),
  port_security_enabled: Type.Boolean(),
  zone_id: Type.String(),
  enable_efi: Type.Boolean(),
});
export type PortView = Static<typeof PortView>;

const RouteTableCommon = {
  id: Type.String(),
  name: Type.String(),
  default: Type.Boolean(),
  subnets: Type.Array(Type.Object({ id: Type.String() })),
  tenant_id: Type.String(),
  vpc_id: Type.String(),
  description: Type.String(),
  created_at: Type.String(),
  updated_at: Type.String(),
};

export const RouteTableRoute = Type.Object({
  type: Type.String(),
  destination: Type.String(),
  nexthop: Type.String(),
  description: Type.String(),
});
export type RouteTableRoute = Static<typeof RouteTableRoute>;

export const RouteTableListItem = Type.Object(RouteTableCommon);
export type RouteTableListItem = Static<typeof RouteTableListItem>;
export const RouteTableView = Type.Object({ ...RouteTableCommon, routes: Type.Array(RouteTableRoute) });
export type RouteTableView = Static<typeof RouteTableView>;

export const SubnetUpdateResult = Type.Object({ id: Type.String(), status: Type.String() });
