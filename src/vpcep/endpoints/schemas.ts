import { Type, type Static } from 'typebox';
import { listQuery } from '../shared/pagination.ts';
import { TagSchema } from '../shared/tags.ts';

// Wire shapes of the endpoint operations (seed 004 §4.3, api-surface §3.3). Bodies
// refuse unknown keys (decision #15). Several fields are typed loosely on purpose
// (ids without minLength, `port_ip` and whitelist entries as plain strings): an
// empty id or a malformed address has its own, more specific code in the seed
// (EndPoint.2029/2011/2010, 2041, 2044), which the service layer reports.

const strict = { additionalProperties: false } as const;
const Ref = Type.String({ maxLength: 64 });

/**
 * A free-form JSON object. Declared as a record (patternProperties), not as an
 * object with additionalProperties: the `loose` switch strips additional
 * properties everywhere, which would empty an object declared the other way.
 */
const FreeForm = Type.Record(Type.String(), Type.Unknown());

/** PolicyStatement of the SDK: capitalised keys, as IAM policies spell them. */
export const PolicyStatement = Type.Object(
  {
    Effect: Type.Union([Type.Literal('Allow'), Type.Literal('Deny')]),
    Action: Type.Array(Type.String({ maxLength: 256 }), { maxItems: 100 }),
    Resource: Type.Array(Type.String({ maxLength: 1024 }), { maxItems: 100 }),
    Condition: Type.Optional(FreeForm),
    Sid: Type.Optional(Type.String({ maxLength: 128 })),
  },
  strict,
);
export type PolicyStatement = Static<typeof PolicyStatement>;

const PolicyStatements = Type.Array(PolicyStatement, { maxItems: 10 });
/** Free-form IAM-style policy document; stored and echoed as given. */
const PolicyDocument = FreeForm;

export const CreateEndpointBody = Type.Object(
  {
    endpoint_service_id: Ref,
    vpc_id: Ref,
    subnet_id: Type.Optional(Ref),
    port_ip: Type.Optional(Type.String({ maxLength: 64 })),
    enable_dns: Type.Optional(Type.Boolean()),
    tags: Type.Optional(Type.Array(TagSchema)),
    routetables: Type.Optional(Type.Array(Ref, { maxItems: 200 })),
    whitelist: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 10_000 })),
    enable_whitelist: Type.Optional(Type.Boolean()),
    description: Type.Optional(Type.String()),
    policy_statement: Type.Optional(PolicyStatements),
    policy_document: Type.Optional(PolicyDocument),
    ip_version: Type.Optional(Type.Union([Type.Literal('ipv4'), Type.Literal('dualstack')])),
    ipv6_address: Type.Optional(Type.String({ format: 'ipv6' })),
    specification_name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  strict,
);
export type CreateEndpointBody = Static<typeof CreateEndpointBody>;

export const UpdateEndpointBody = Type.Object(
  {
    whitelist: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 10_000 })),
    enable_whitelist: Type.Optional(Type.Boolean()),
  },
  strict,
);
export type UpdateEndpointBody = Static<typeof UpdateEndpointBody>;

export const RoutetablesBody = Type.Object({ routetables: Type.Array(Ref, { maxItems: 200 }) }, strict);
export type RoutetablesBody = Static<typeof RoutetablesBody>;

export const PolicyBody = Type.Object(
  { policy_statement: Type.Optional(PolicyStatements), policy_document: Type.Optional(PolicyDocument) },
  strict,
);
export type PolicyBody = Static<typeof PolicyBody>;

/** The action is checked by the service so a wrong one answers EndPoint.2027, not 0002. */
export const UpgradeBody = Type.Object({ action: Type.String({ maxLength: 32 }) }, strict);
export type UpgradeBody = Static<typeof UpgradeBody>;

export const ListEndpointsQuery = listQuery(1000, {
  endpoint_service_name: Type.Optional(Type.String({ maxLength: 128 })),
  vpc_id: Type.Optional(Type.String({ maxLength: 64 })),
  id: Type.Optional(Type.String({ maxLength: 64 })),
});
export type ListEndpointsQuery = Static<typeof ListEndpointsQuery>;

export const ProjectParams = Type.Object({ project_id: Type.String({ maxLength: 64 }) });
export const EndpointParams = Type.Object({
  project_id: Type.String({ maxLength: 64 }),
  vpc_endpoint_id: Type.String({ maxLength: 200 }),
});

// ---- Responses ----------------------------------------------------------------
// Every field endpointView (shared/present.ts) emits, with its JSON type. Extra
// properties are let through (additionalProperties) so a field added to the
// shared view later is never silently dropped by the serializer.

const ErrorEntry = Type.Object({ error_code: Type.String(), error_message: Type.String() });
const TagView = Type.Object({ key: Type.String(), value: Type.String() });

export const EndpointView = Type.Object(
  {
    id: Type.String(),
    service_type: Type.String(),
    status: Type.String(),
    active_status: Type.Array(Type.String()),
    endpoint_service_name: Type.String(),
    marker_id: Type.Integer(),
    endpoint_service_id: Type.String(),
    enable_dns: Type.Boolean(),
    dns_names: Type.Array(Type.String()),
    ip: Type.Optional(Type.String()),
    vpc_id: Type.String(),
    subnet_id: Type.String(),
    created_at: Type.String(),
    updated_at: Type.String(),
    project_id: Type.String(),
    tags: Type.Array(TagView),
    whitelist: Type.Array(Type.String()),
    enable_whitelist: Type.Boolean(),
    routetables: Type.Array(Type.String()),
    description: Type.String(),
    policy_statement: Type.Array(Type.Unknown()),
    policy_document: Type.Optional(Type.Unknown()),
    specification_name: Type.String(),
    enable_status: Type.String(),
    public_border_group: Type.String(),
    ip_version: Type.String(),
    ipv6_address: Type.Optional(Type.String()),
    error: Type.Array(ErrorEntry),
  },
  { additionalProperties: true },
);

export const EndpointList = Type.Object({ endpoints: Type.Array(EndpointView), total_count: Type.Integer() });

export const RoutetablesResult = Type.Object({
  routetables: Type.Array(Type.String()),
  error: Type.Array(Type.Unknown()),
});

/**
 * GET /vpc-endpoints/{id}/traffic, a vpcep extension (the cloud has no such
 * operation): this node's data-plane counters of one endpoint. `traffic` is null
 * on a node that does not forward (no `dataplane` role): it counts nothing, and
 * zeros would claim an idle endpoint.
 */
export const EndpointTrafficView = Type.Object({
  vpc_endpoint_id: Type.String(),
  dataplane: Type.Boolean(),
  traffic: Type.Union([
    Type.Object({
      active_connections: Type.Integer(),
      total_connections: Type.Integer(),
      active_udp_sessions: Type.Integer(),
      total_udp_sessions: Type.Integer(),
      bytes_client_to_backend: Type.Integer(),
      bytes_backend_to_client: Type.Integer(),
      refused: Type.Object({ whitelist: Type.Integer(), limit: Type.Integer() }),
      backend_errors: Type.Integer(),
    }),
    Type.Null(),
  ]),
});
export type EndpointTrafficView = Static<typeof EndpointTrafficView>;
