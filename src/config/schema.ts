import { Type, type Static } from 'typebox';
import { TestbedAccountKeys } from './testbed-schema.ts';

// One schema validates the YAML file, the environment overrides and the embedded
// defaults, so a bad key is reported the same way wherever it came from.

const Id32 = Type.String({ pattern: '^[0-9a-f]{32}$' });

export const AccessKeyConfig = Type.Object(
  {
    ak: Type.String({ pattern: '^[A-Za-z0-9]{8,128}$' }),
    sk: Type.String({ minLength: 16, maxLength: 256 }),
    /** An inactive key is refused like an unknown one. */
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('inactive')])),
  },
  { additionalProperties: false },
);

/** The first user of an account is the account's own user; the others are IAM users. */
export const UserConfig = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    access_keys: Type.Optional(Type.Array(AccessKeyConfig)),
    /** false: every sign-in and key of the user is refused. */
    enabled: Type.Optional(Type.Boolean()),
    description: Type.Optional(Type.String({ maxLength: 255 })),
  },
  { additionalProperties: false },
);

/**
 * A grant of a role or policy (system name or display name, or a custom policy's
 * name) to a group: on one project (by name or id), on all projects, or on the
 * account (global services: IAM).
 */
export const GrantConfig = Type.Object(
  {
    role: Type.String({ minLength: 1, maxLength: 128 }),
    project: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    scope: Type.Optional(
      Type.Union([Type.Literal('project'), Type.Literal('all_projects'), Type.Literal('domain')]),
    ),
  },
  { additionalProperties: false },
);

export const GroupConfig = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64 }),
    description: Type.Optional(Type.String({ maxLength: 255 })),
    /** Names of users of the account (declared in `users`). */
    users: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }))),
    grants: Type.Optional(Type.Array(GrantConfig)),
  },
  { additionalProperties: false },
);

/** A custom policy in IAM's JSON form; `name` is its display name. */
export const PolicyConfig = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64 }),
    type: Type.Optional(Type.Union([Type.Literal('XA'), Type.Literal('AX')])),
    description: Type.Optional(Type.String({ maxLength: 256 })),
    policy: Type.Unknown(),
  },
  { additionalProperties: false },
);

export const ProjectConfig = Type.Object(
  {
    id: Type.Optional(Id32),
    name: Type.String({ minLength: 1, maxLength: 64 }),
  },
  { additionalProperties: false },
);

export const PortConfig = Type.Object(
  {
    id: Type.Optional(Type.String({ format: 'uuid' })),
    name: Type.Optional(Type.String({ maxLength: 255 })),
    ip: Type.String({ format: 'ipv4' }),
    device_owner: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);

export const SubnetConfig = Type.Object(
  {
    id: Type.Optional(Type.String({ format: 'uuid' })),
    name: Type.String({ minLength: 1, maxLength: 64 }),
    cidr: Type.String(),
    gateway_ip: Type.Optional(Type.String({ format: 'ipv4' })),
    ports: Type.Optional(Type.Array(PortConfig)),
  },
  { additionalProperties: false },
);

export const VpcConfig = Type.Object(
  {
    id: Type.Optional(Type.String({ format: 'uuid' })),
    name: Type.String({ minLength: 1, maxLength: 64 }),
    cidr: Type.String(),
    project: Type.Optional(Type.String({ minLength: 1 })),
    subnets: Type.Optional(Type.Array(SubnetConfig)),
  },
  { additionalProperties: false },
);

export const AccountConfig = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64 }),
    id: Type.Optional(Id32),
    projects: Type.Optional(Type.Array(ProjectConfig)),
    users: Type.Optional(Type.Array(UserConfig)),
    groups: Type.Optional(Type.Array(GroupConfig)),
    policies: Type.Optional(Type.Array(PolicyConfig)),
    vpcs: Type.Optional(Type.Array(VpcConfig)),
    ...TestbedAccountKeys,
  },
  { additionalProperties: false },
);

const Delay = Type.Integer({ minimum: 0, maximum: 3_600_000 });
const Timeout = Type.Integer({ minimum: 1, maximum: 2 ** 31 - 1 });

const Role = Type.Union([
  Type.Literal('api'),
  Type.Literal('jobs'),
  Type.Literal('dataplane'),
  Type.Literal('dns'),
]);
export type Role = Static<typeof Role>;

const PortMappingConfig = Type.Object(
  {
    client_port: Type.Integer({ minimum: 1, maximum: 65535 }),
    server_port: Type.Integer({ minimum: 1, maximum: 65535 }),
    protocol: Type.Optional(Type.Union([Type.Literal('TCP'), Type.Literal('UDP')])),
  },
  { additionalProperties: false },
);

/** An operator-defined public service, visible to every tenant (decision #21). */
export const PublicServiceConfig = Type.Object(
  {
    id: Type.Optional(Type.String({ format: 'uuid' })),
    name: Type.String({ pattern: '^[A-Za-z0-9_-]{1,16}$' }),
    service_type: Type.Union([Type.Literal('gateway'), Type.Literal('interface')]),
    owner: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    description: Type.Optional(Type.String({ maxLength: 128 })),
    is_charge: Type.Optional(Type.Boolean()),
    enable_policy: Type.Optional(Type.Boolean()),
    /** Interface services only: where accepted endpoints forward to. */
    backend_ip: Type.Optional(Type.String({ format: 'ipv4' })),
    ports: Type.Optional(Type.Array(PortMappingConfig, { maxItems: 200 })),
    tcp_proxy: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const ConfigSchema = Type.Object(
  {
    region: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }),
    listen: Type.String({ minLength: 1 }),
    database: Type.String({ minLength: 1 }),
    log_level: Type.Union([
      Type.Literal('fatal'),
      Type.Literal('error'),
      Type.Literal('warn'),
      Type.Literal('info'),
      Type.Literal('debug'),
      Type.Literal('trace'),
      Type.Literal('silent'),
    ]),
    /** `auto`: for people on a terminal, JSON lines otherwise. */
    log_format: Type.Union([Type.Literal('auto'), Type.Literal('json'), Type.Literal('pretty')]),
    /** Serve the API over HTTPS with this certificate chain and key (PEM files, read at start). */
    tls: Type.Optional(
      Type.Object(
        {
          cert_file: Type.String({ minLength: 1 }),
          key_file: Type.String({ minLength: 1 }),
        },
        { additionalProperties: false },
      ),
    ),
    /** Reject unknown request fields (the default) or, with `true`, accept and ignore them. */
    loose: Type.Boolean(),
    body_limit: Type.Integer({ minimum: 1024, maximum: 64 * 1024 * 1024 }),
    token_ttl_seconds: Type.Integer({ minimum: 60, maximum: 30 * 86400 }),
    signature_max_skew_seconds: Type.Integer({ minimum: 1, maximum: 86400 }),
    /** Failed password logins: per-user lock and per-address limit, counted in each node's memory. */
    login_lockout: Type.Object(
      {
        max_failures: Type.Integer({ minimum: 1, maximum: 1000 }),
        window_seconds: Type.Integer({ minimum: 1, maximum: 86400 }),
        lockout_seconds: Type.Integer({ minimum: 1, maximum: 86400 }),
        max_failures_per_address: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
      },
      { additionalProperties: false },
    ),
    /** Create the demo account on first start when the store has no account yet. */
    demo_account: Type.Boolean(),
    /**
     * Where vpcep writes its own files (the demo account's login). Default: the SQLite
     * database's folder; with PostgreSQL `.vpcep`. No control characters: it becomes a path.
     */
    data_dir: Type.Optional(
      Type.String({ minLength: 1, maxLength: 4096, pattern: '^[^\\x00-\\x1f\\x7f]+$' }),
    ),
    lifecycle: Type.Object(
      {
        endpoint_service_create: Delay,
        endpoint_service_delete: Delay,
        endpoint_create: Delay,
        endpoint_delete: Delay,
      },
      { additionalProperties: false },
    ),
    quotas: Type.Object(
      {
        endpoint_service: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
        endpoint: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
      },
      { additionalProperties: false },
    ),
    jobs: Type.Object(
      {
        poll_ms: Type.Integer({ minimum: 10, maximum: 60_000 }),
        lease_ms: Type.Integer({ minimum: 100, maximum: 3_600_000 }),
        max_attempts: Type.Integer({ minimum: 1, maximum: 1000 }),
        /**
         * A handler still running after this long is abandoned: its transaction rolls back,
         * its connection is released and the job is retried like any failure. Optional in
         * the type so callers that set the other keys need not repeat it; the defaults fill it.
         */
        handler_timeout_ms: Type.Optional(Type.Integer({ minimum: 10, maximum: 3_600_000 })),
      },
      { additionalProperties: false },
    ),
    /** PostgreSQL only (SQLite has one connection and no server-side timeouts). */
    postgres: Type.Object(
      {
        /** Connections of the API (and start-up) pool. */
        pool_size: Type.Integer({ minimum: 1, maximum: 1000 }),
        /** Connections of the job worker's own pool, so jobs can never take the API's. */
        jobs_pool_size: Type.Integer({ minimum: 1, maximum: 1000 }),
        /** Server-side limit of one statement, ms; 0 disables it. */
        statement_timeout_ms: Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1 }),
        /** Server-side limit of a wait for a lock, ms; 0 disables it. */
        lock_timeout_ms: Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1 }),
      },
      { additionalProperties: false },
    ),
    metrics: Type.Object(
      {
        /**
         * HOST:PORT of a listener of its own for GET /metrics; the API listener then no
         * longer serves it. The series name every tenant's endpoints: operator data.
         */
        listen: Type.Optional(Type.String({ minLength: 1 })),
      },
      { additionalProperties: false },
    ),
    limits: Type.Object(
      {
        /** IP whitelist entries per endpoint. */
        endpoint_whitelist: Type.Integer({ minimum: 1, maximum: 10_000 }),
        /** Port mappings per endpoint service. */
        port_mappings: Type.Integer({ minimum: 1, maximum: 10_000 }),
        /** Whitelist (permission) records per endpoint service. */
        permissions: Type.Integer({ minimum: 1, maximum: 100_000 }),
      },
      { additionalProperties: false },
    ),
    /** IAM users, groups and policies (docs/iam.md): limits per account, and cache sync. */
    iam: Type.Object(
      {
        max_users: Type.Integer({ minimum: 1, maximum: 100_000 }),
        max_groups: Type.Integer({ minimum: 1, maximum: 100_000 }),
        max_policies: Type.Integer({ minimum: 1, maximum: 100_000 }),
        /** Permanent access keys per user (2 on the cloud). */
        max_access_keys: Type.Integer({ minimum: 1, maximum: 100 }),
        /**
         * How often each node reads IAM's change counter: the longest a change made on
         * another node can go unnoticed when its notification is lost.
         */
        sync_ms: Type.Integer({ minimum: 50, maximum: 600_000 }),
      },
      { additionalProperties: false },
    ),
    /** What this process runs; several processes sharing one PostgreSQL database may split them. */
    roles: Type.Array(Role, { minItems: 1, uniqueItems: true }),
    dataplane: Type.Object(
      {
        /**
         * Endpoint IPs inside these IPv4 CIDRs are bound for real; endpoints elsewhere stay
         * control-plane only (binding an arbitrary address needs it configured on a host interface).
         */
        bindable_cidrs: Type.Array(Type.String({ minLength: 1 }), { maxItems: 1000 }),
        /**
         * Addresses inside the bindable ranges that this host's own services use (API, DNS, a
         * local database): no subnet may overlap them and the data plane never binds or dials them.
         */
        reserved_cidrs: Type.Array(Type.String({ minLength: 1 }), { maxItems: 1000 }),
        /** Concurrent flows (TCP connections plus UDP sessions) per endpoint; excess is refused. */
        max_connections_per_endpoint: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
        tcp_idle_timeout_ms: Timeout,
        udp_idle_timeout_ms: Timeout,
        /** How long a backend TCP connect may take before the client is reset. */
        connect_timeout_ms: Timeout,
        /** Full re-read of the store: how changes made by other nodes arrive, and how failed binds retry. */
        resync_ms: Type.Integer({ minimum: 100, maximum: 3_600_000 }),
        /**
         * Forwarding processes (default: the number of cores); 0 forwards on the main
         * process's own event loop, beside the API. Optional in the type only: the
         * defaults always hold it, and a partial override keeps it.
         */
        workers: Type.Optional(Type.Integer({ minimum: 0, maximum: 256 })),
        /**
         * `loopback`: every VPC shares the host's loopback network. `namespaces`: each VPC is a
         * Linux network namespace of its own (root or CAP_NET_ADMIN; docs/networking.md).
         */
        network: Type.Optional(Type.Union([Type.Literal('loopback'), Type.Literal('namespaces')])),
        /** Namespaces mode: the prefix of every namespace vpcep creates (and may delete). */
        namespace_prefix: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9]{0,11}$' })),
        /** Namespaces mode: leave the namespaces in place when `vpcep serve` stops. */
        keep_namespaces: Type.Optional(Type.Boolean()),
      },
      { additionalProperties: false },
    ),
    dns: Type.Object(
      {
        /** Zone the endpoints' private names live under: `{endpoint_id}.{region}.{zone}`. */
        zone: Type.String({ pattern: '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$' }),
        /** UDP and TCP address of the embedded DNS server (role `dns`). */
        listen: Type.String({ minLength: 1 }),
        ttl: Type.Integer({ minimum: 0, maximum: 86400 }),
      },
      { additionalProperties: false },
    ),
    public_services: Type.Array(PublicServiceConfig),
    accounts: Type.Array(AccountConfig),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
export type AccountConfig = Static<typeof AccountConfig>;
export type GrantConfig = Static<typeof GrantConfig>;
export type VpcConfig = Static<typeof VpcConfig>;
export type PublicServiceConfig = Static<typeof PublicServiceConfig>;
