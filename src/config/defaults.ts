import { availableParallelism } from 'node:os';
import type { Config } from './schema.ts';

/** One forwarding process per core, beside the main process that serves the API. */
export function defaultWorkers(): number {
  return availableParallelism();
}

/** The embedded defaults: `vpcep serve` with no configuration runs on these. */
export function defaultConfig(): Config {
  return {
    region: 'tr-west-1',
    listen: '127.0.0.1:8080',
    database: 'sqlite:.vpcep/vpcep.db',
    log_level: 'info',
    log_format: 'auto',
    loose: false,
    body_limit: 1024 * 1024,
    token_ttl_seconds: 24 * 3600,
    signature_max_skew_seconds: 15 * 60,
    // IAM's login policy defaults: 5 failures within 15 minutes lock the user for 15 minutes.
    login_lockout: {
      max_failures: 5,
      window_seconds: 15 * 60,
      lockout_seconds: 15 * 60,
      max_failures_per_address: 20,
    },
    demo_account: true,
    lifecycle: {
      endpoint_service_create: 1000,
      endpoint_service_delete: 1000,
      endpoint_create: 1000,
      endpoint_delete: 1000,
    },
    quotas: { endpoint_service: 20, endpoint: 50 },
    // A handler gets a third of the lease: abandoned well before another node could claim its job.
    jobs: { poll_ms: 200, lease_ms: 30_000, max_attempts: 10, handler_timeout_ms: 10_000 },
    postgres: { pool_size: 10, jobs_pool_size: 2, statement_timeout_ms: 30_000, lock_timeout_ms: 10_000 },
    // Unset: /metrics is served on the API listener.
    metrics: {},
    limits: { endpoint_whitelist: 20, port_mappings: 200, permissions: 500 },
    // The cloud's default quotas: 50 users, 20 groups, 200 custom policies, 2 keys a user.
    iam: { max_users: 50, max_groups: 20, max_policies: 200, max_access_keys: 2, sync_ms: 2000 },
    roles: ['api', 'jobs', 'dataplane', 'dns'],
    dataplane: {
      bindable_cidrs: ['127.0.0.0/8'],
      // Where host services listen by default: the API on 127.0.0.1:8080, DNS on 127.0.0.1:5353.
      reserved_cidrs: ['127.0.0.0/16'],
      max_connections_per_endpoint: 3000,
      // AWS PrivateLink's fixed TCP idle timeout; UDP as its network load balancers do.
      tcp_idle_timeout_ms: 350_000,
      udp_idle_timeout_ms: 120_000,
      connect_timeout_ms: 10_000,
      resync_ms: 5000,
      workers: defaultWorkers(),
      network: 'loopback',
      namespace_prefix: 'vpcep',
      keep_namespaces: false,
    },
    dns: { zone: 'vpcep.local', listen: '127.0.0.1:5353', ttl: 60 },
    public_services: [
      {
        id: '3b8a4d5e-0b5f-4f0e-9a53-6f1d2c7e0b01',
        name: 'obs',
        service_type: 'gateway',
        owner: 'vpcep',
        description: 'Object storage gateway (operator-defined public service)',
      },
      {
        id: '3b8a4d5e-0b5f-4f0e-9a53-6f1d2c7e0b02',
        name: 'dns',
        service_type: 'interface',
        owner: 'vpcep',
        description: 'Private DNS (operator-defined public service)',
        ports: [{ client_port: 53, server_port: 53, protocol: 'UDP' }],
      },
    ],
    accounts: [],
  };
}
