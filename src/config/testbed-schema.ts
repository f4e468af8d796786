import { Type, type Static } from 'typebox';

// Endpoint services and endpoints an account of the configuration declares (a
// test bed in one file, docs/testbeds.md). Field names are the API's request
// fields, so a body from the API reference can be copied in; a few fields name
// other declarations instead of ids (`port_name`, `vpc_name`, `subnet_name`,
// `endpoint_service_name`). The values are checked by the same operations the
// API runs, at start, and their errors name the declaration.

const Text = Type.String({ maxLength: 1024 });
const Ref = Type.String({ minLength: 1, maxLength: 64 });

const DeclaredTag = Type.Object(
  { key: Type.String({ maxLength: 128 }), value: Type.Optional(Type.String({ maxLength: 128 })) },
  { additionalProperties: false },
);

const DeclaredPortMapping = Type.Object(
  {
    client_port: Type.Integer(),
    server_port: Type.Integer(),
    protocol: Type.Optional(Type.String({ maxLength: 16 })),
  },
  { additionalProperties: false },
);

export const DeclaredServiceConfig = Type.Object(
  {
    /** The custom part of the service name, and what identifies the declaration (one per account). */
    service_name: Type.String({ minLength: 1, maxLength: 64 }),
    /** A project of the account by name or id (default: its first). */
    project: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    /** The backend port: by id, or by the name of a port of the project (`vpcs[].subnets[].ports[].name`). */
    port_id: Type.Optional(Ref),
    port_name: Type.Optional(Ref),
    server_type: Type.Optional(Type.String({ maxLength: 16 })),
    ports: Type.Array(DeclaredPortMapping, { maxItems: 10_000 }),
    approval_enabled: Type.Optional(Type.Boolean()),
    tcp_proxy: Type.Optional(Type.String({ maxLength: 16 })),
    description: Type.Optional(Text),
    tags: Type.Optional(Type.Array(DeclaredTag, { maxItems: 100 })),
    /**
     * The whitelist: accounts that may connect, by name or id, `iam:domain::ID` as the API
     * writes it, or `*` for every account.
     */
    permissions: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 1000 })),
  },
  { additionalProperties: false },
);

export const DeclaredEndpointConfig = Type.Object(
  {
    /** What identifies the declaration (one per account); the API's endpoints have no name. */
    name: Type.String({ minLength: 1, maxLength: 64 }),
    project: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    /** A declared service: `SERVICE_NAME` of this account or `ACCOUNT/SERVICE_NAME`. */
    endpoint_service_name: Type.Optional(Type.String({ minLength: 1, maxLength: 130 })),
    /** Any service by id (an operator's public service, one made through the API). */
    endpoint_service_id: Type.Optional(Ref),
    vpc_name: Type.Optional(Ref),
    vpc_id: Type.Optional(Ref),
    subnet_name: Type.Optional(Ref),
    subnet_id: Type.Optional(Ref),
    port_ip: Type.Optional(Type.String({ maxLength: 64 })),
    enable_dns: Type.Optional(Type.Boolean()),
    whitelist: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 10_000 })),
    enable_whitelist: Type.Optional(Type.Boolean()),
    description: Type.Optional(Text),
    tags: Type.Optional(Type.Array(DeclaredTag, { maxItems: 100 })),
    /** Have the service's owner accept the connection once it waits for approval. */
    accept: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** The keys `accounts[]` gains for test beds (spread into AccountConfig). */
export const TestbedAccountKeys = {
  services: Type.Optional(Type.Array(DeclaredServiceConfig, { maxItems: 1000 })),
  endpoints: Type.Optional(Type.Array(DeclaredEndpointConfig, { maxItems: 1000 })),
};

export type DeclaredServiceConfig = Static<typeof DeclaredServiceConfig>;
export type DeclaredEndpointConfig = Static<typeof DeclaredEndpointConfig>;
