import { Type, type Static } from 'typebox';
import { listQuery } from '../shared/pagination.ts';
import { SERVICE_STATUSES } from '../shared/lifecycle.ts';
import { TagSchema } from '../shared/tags.ts';

// Wire shapes of the endpoint-service operations. Request bodies refuse unknown
// keys and wrong JSON types (EndPoint.0002). Fields whose bad values have their
// own code in table 7-3 (server_type 3021, protocol 3075, port range 3043, port
// count 2028/3074, service name 3076) are typed loosely here and checked in
// rules.ts, so the specific code reaches the client instead of a generic 0002.

const strict = { additionalProperties: false } as const;

export const TCP_PROXY_VALUES = ['close', 'toa_open', 'proxy_open', 'open', 'proxy_vni'] as const;

/** Identifiers of other resources: opaque text, bounded so a huge value cannot reach SQL. */
const Ref = Type.String({ maxLength: 64 });

export const PortMappingInput = Type.Object(
  {
    client_port: Type.Optional(Type.Integer()),
    server_port: Type.Optional(Type.Integer()),
    protocol: Type.Optional(Type.String({ maxLength: 16 })),
  },
  strict,
);
export type PortMappingInput = Static<typeof PortMappingInput>;

const Ports = Type.Array(PortMappingInput);

export const CreateServiceBody = Type.Object(
  {
    port_id: Ref,
    vpc_id: Ref,
    server_type: Type.String({ maxLength: 16 }),
    ports: Ports,
    service_name: Type.Optional(Type.String({ maxLength: 64 })),
    approval_enabled: Type.Optional(Type.Boolean()),
    service_type: Type.Optional(Type.String({ maxLength: 16 })),
    tcp_proxy: Type.Optional(Type.Enum([...TCP_PROXY_VALUES])),
    description: Type.Optional(Type.String()),
    tags: Type.Optional(Type.Array(TagSchema)),
    // Decision #15: accepted, type-checked, stored and echoed.
    vip_port_id: Type.Optional(Ref),
    pool_id: Type.Optional(Ref),
    cidr_type: Type.Optional(Type.Enum(['public', 'internal'])),
    enable_policy: Type.Optional(Type.Boolean()),
    ip: Type.Optional(Type.String({ maxLength: 255 })),
    ip_version: Type.Optional(Type.Enum(['ipv4', 'ipv6'])),
    snat_network_id: Type.Optional(Ref),
  },
  strict,
);
export type CreateServiceBody = Static<typeof CreateServiceBody>;

export const UpdateServiceBody = Type.Object(
  {
    approval_enabled: Type.Optional(Type.Boolean()),
    service_name: Type.Optional(Type.String({ maxLength: 64 })),
    ports: Type.Optional(Ports),
    port_id: Type.Optional(Ref),
    tcp_proxy: Type.Optional(Type.Enum([...TCP_PROXY_VALUES])),
    description: Type.Optional(Type.String()),
    ip: Type.Optional(Type.String({ maxLength: 255 })),
    // Seed 000 documents vip_port_id on modify as well.
    vip_port_id: Type.Optional(Ref),
  },
  strict,
);
export type UpdateServiceBody = Static<typeof UpdateServiceBody>;

/** The SDK makes the whole body of the rename call optional: no body means "no name". */
export const RenameServiceBody = Type.Union([
  Type.Object({ endpoint_service_name: Type.Optional(Type.String({ maxLength: 64 })) }, strict),
  Type.Null(),
]);
export type RenameServiceBody = Static<typeof RenameServiceBody>;

export const AddServerResourcesBody = Type.Object(
  {
    server_resources: Type.Array(
      Type.Object(
        {
          resource_id: Type.String({ minLength: 1, maxLength: 64 }),
          // The huaweicloud Terraform provider always sends the key, as null when unset.
          availability_zone_id: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
        },
        strict,
      ),
      { minItems: 1 },
    ),
  },
  strict,
);
export type AddServerResourcesBody = Static<typeof AddServerResourcesBody>;

const NameFilter = Type.Optional(Type.String({ maxLength: 128 }));
const IdFilter = Type.Optional(Type.String({ maxLength: 64 }));

export const ListServicesQuery = listQuery(1000, {
  endpoint_service_name: NameFilter,
  id: IdFilter,
  // An enum, so a bad value fails validation on `status` and the error handler answers EndPoint.0019.
  status: Type.Optional(Type.Enum([...SERVICE_STATUSES])),
});
export type ListServicesQuery = Static<typeof ListServicesQuery>;

export const ListPublicServicesQuery = listQuery(1000, { endpoint_service_name: NameFilter, id: IdFilter });
export type ListPublicServicesQuery = Static<typeof ListPublicServicesQuery>;

export const DescribeServiceQuery = Type.Object({
  endpoint_service_name: Type.Optional(Type.String({ maxLength: 255 })),
  id: IdFilter,
});
export type DescribeServiceQuery = Static<typeof DescribeServiceQuery>;

const ProjectId = Type.String({ maxLength: 64 });
export const ProjectParams = Type.Object({ project_id: ProjectId });
export const ServiceParams = Type.Object({
  project_id: ProjectId,
  vpc_endpoint_service_id: Type.String({ maxLength: 200 }),
});

// ---- Responses ---------------------------------------------------------------
// Each object allows additional properties: the views in shared/present.ts are
// the source of truth and a field added there must reach clients even before
// it is described here. The schemas exist for the OpenAPI document.

const open = { additionalProperties: true } as const;

const PortMappingView = Type.Object(
  { client_port: Type.Integer(), server_port: Type.Integer(), protocol: Type.String() },
  open,
);
const TagView = Type.Object({ key: Type.String(), value: Type.String() }, open);
const ErrorView = Type.Object({ error_code: Type.String(), error_message: Type.String() }, open);

export const ServiceView = Type.Object(
  {
    id: Type.String(),
    port_id: Type.String(),
    vip_port_id: Type.String(),
    service_name: Type.String(),
    server_type: Type.String(),
    vpc_id: Type.String(),
    pool_id: Type.String(),
    approval_enabled: Type.Boolean(),
    status: Type.String(),
    service_type: Type.String(),
    created_at: Type.String(),
    updated_at: Type.String(),
    project_id: Type.String(),
    domain_id: Type.String(),
    cidr_type: Type.String(),
    ip: Type.String(),
    ip_version: Type.String(),
    snat_network_id: Type.String(),
    ports: Type.Array(PortMappingView),
    tcp_proxy: Type.String(),
    tags: Type.Array(TagView),
    connection_count: Type.Integer(),
    error: Type.Array(ErrorView),
    description: Type.String(),
    enable_policy: Type.Boolean(),
    supported_editions: Type.Array(Type.String()),
    public_border_group: Type.String(),
  },
  open,
);

export const ServiceList = Type.Object({
  endpoint_services: Type.Array(ServiceView),
  total_count: Type.Integer(),
});

export const PublicServiceView = Type.Object(
  {
    id: Type.String(),
    owner: Type.String(),
    service_name: Type.String(),
    service_type: Type.String(),
    created_at: Type.String(),
    is_charge: Type.Boolean(),
    enable_policy: Type.Boolean(),
  },
  open,
);
export const PublicServiceList = Type.Object({
  endpoint_services: Type.Array(PublicServiceView),
  total_count: Type.Integer(),
});

export const DescribedService = Type.Object(
  {
    id: Type.String(),
    service_name: Type.String(),
    service_type: Type.String(),
    created_at: Type.String(),
    is_charge: Type.Boolean(),
    public_border_group: Type.String(),
    enable_policy: Type.Boolean(),
  },
  open,
);

export const RenamedService = Type.Object({ endpoint_service_name: Type.String() });
