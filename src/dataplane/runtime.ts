/**
 * Builds the data-plane roles of one process: forwarders (`dataplane`), the
 * DNS server (`dns`) and the controller that feeds both from the store.
 */
import type { Kysely } from 'kysely';
import { defaultWorkers } from '../config/defaults.ts';
import { parseListen } from '../config/load.ts';
import type { Config, Role } from '../config/schema.ts';
import type { Database } from '../store/schema.ts';
import type { VpcepChange } from '../vpcep/deps.ts';
import { DataplaneController, type ControllerLog } from './controller.ts';
import { BindableRange } from './desired.ts';
import { DnsZoneTable } from './dns/records.ts';
import { DnsServer } from './dns/server.ts';
import { EndpointCounters } from './forwarder/counters.ts';
import { ForwarderSet } from './forwarder/forwarder-set.ts';
import { InProcessForwarding, type Forwarding } from './forwarding.ts';
import { ForwardingProcesses } from './workers/plane.ts';
import type { NamespacesNetwork } from './netns/network.ts';
import { startNamespaces, startVpcResolver } from './netns/start.ts';

export interface DataplaneOptions {
  config: Config;
  roles: readonly Role[];
  db: Kysely<Database>;
  /** In-process change notifications (absent on a node without the API). */
  subscribe?: (listener: (change: VpcepChange) => void) => () => void;
  log: ControllerLog & { debug?(obj: object, msg?: string): void };
}

export interface Dataplane {
  controller: DataplaneController;
  /** The listeners, in worker processes (or in this one with `dataplane.workers: 0`). */
  forwarding: Forwarding | undefined;
  /** Every forwarded flow's counts, summed over the workers. */
  counters: EndpointCounters | undefined;
  dns: { server: DnsServer; table: DnsZoneTable; address: { host: string; port: number } } | undefined;
  /** Why role `dns` runs without a server (its address could not be bound). */
  dnsError: string | undefined;
  close(): Promise<void>;
}

export function hasDataplaneRole(roles: readonly Role[]): boolean {
  return roles.includes('dataplane') || roles.includes('dns');
}

export async function startDataplane(opts: DataplaneOptions): Promise<Dataplane> {
  const { config, roles, log } = opts;
  const dp = config.dataplane;
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const c of closers.reverse()) await c();
  };
  try {
    let counters: EndpointCounters | undefined;
    let forwarding: Forwarding | undefined;
    let network: NamespacesNetwork | undefined;
    const settings = {
      bindable: new BindableRange(
        dp.network === 'namespaces' ? [] : dp.bindable_cidrs,
        dp.network === 'namespaces' ? [] : dp.reserved_cidrs,
      ),
      maxConnectionsPerEndpoint: dp.max_connections_per_endpoint,
      tcpIdleTimeoutMs: dp.tcp_idle_timeout_ms,
      udpIdleTimeoutMs: dp.udp_idle_timeout_ms,
    };
    if (roles.includes('dataplane') && dp.network === 'namespaces') {
      counters = new EndpointCounters();
      const started = await startNamespaces({
        config,
        db: opts.db,
        counters,
        settings,
        resolver: roles.includes('dns'),
        log,
      });
      network = started.network;
      forwarding = started.forwarding;
      const f = forwarding;
      closers.push(() => f.close());
    } else if (roles.includes('dataplane')) {
      counters = new EndpointCounters();
      forwarding =
        (dp.workers ?? defaultWorkers()) === 0
          ? new InProcessForwarding(
              new ForwarderSet({ counters, log, connectTimeoutMs: dp.connect_timeout_ms }),
            )
          : new ForwardingProcesses({
              workers: dp.workers ?? defaultWorkers(),
              connectTimeoutMs: dp.connect_timeout_ms,
              counters,
              log,
              debug: config.log_level === 'debug' || config.log_level === 'trace',
            });
      const f = forwarding;
      closers.push(() => f.close());
    }
    let dns: Dataplane['dns'];
    let dnsError: string | undefined;
    if (roles.includes('dns')) {
      const table = new DnsZoneTable(config.dns.zone);
      const { host, port } = parseListen(config.dns.listen, 'dns.listen');
      const server = new DnsServer({ host, port, table, ttl: config.dns.ttl, log });
      try {
        await server.start();
        closers.push(() => server.close());
        dns = { server, table, address: server.address() };
        if (network !== undefined) {
          const resolver = await startVpcResolver(network, table, config.dns.ttl, log);
          closers.push(() => resolver.close());
        }
      } catch (err) {
        // Not fatal: the default port is also mDNS's, which a desktop may hold. The API and
        // the forwarders still work; the failure is logged, printed by the CLI and exported.
        await server.close();
        dnsError = `cannot serve DNS on ${config.dns.listen}: ${err instanceof Error ? err.message : String(err)}`;
        log.warn({ listen: config.dns.listen, err }, 'DNS server not started');
      }
    }
    const controller = new DataplaneController({
      db: opts.db,
      forwarding,
      counters,
      dns: dns?.table,
      settings,
      ...(network !== undefined ? { plan: network.plan } : {}),
      resyncMs: dp.resync_ms,
      log,
    });
    closers.push(() => controller.close());
    const unsubscribe = opts.subscribe?.((change) => void controller.notify(change));
    if (unsubscribe) {
      closers.push(async () => {
        unsubscribe();
      });
    }
    await controller.start();
    return { controller, forwarding, counters, dns, dnsError, close };
  } catch (err) {
    await close();
    throw err;
  }
}
