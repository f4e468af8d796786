/**
 * The parts of `startDataplane` that namespaces mode adds: the network
 * converger around the forwarding processes (started inside the data-plane
 * namespace), and the VPCs' resolver.
 */
import type { Kysely } from 'kysely';
import type { Config } from '../../config/schema.ts';
import type { Database } from '../../store/schema.ts';
import type { ForwardingSettings } from '../desired.ts';
import type { DnsZoneTable } from '../dns/records.ts';
import { DnsServer } from '../dns/server.ts';
import type { EndpointCounters } from '../forwarder/counters.ts';
import { ForwardingProcesses, type PlaneLog } from '../workers/plane.ts';
import { RESOLVER_ADDRESS } from './addresses.ts';
import { NamespacedForwarding } from './forwarding.ts';
import { bindInNamespace } from './namespace-sockets.ts';
import { NamespacesNetwork } from './network.ts';

export interface NamespacesOptions {
  config: Config;
  db: Kysely<Database>;
  counters: EndpointCounters;
  settings: ForwardingSettings;
  /** Whether this process also answers DNS, and so serves the VPCs' resolver. */
  resolver: boolean;
  log: PlaneLog;
}

export async function startNamespaces(
  opts: NamespacesOptions,
): Promise<{ network: NamespacesNetwork; forwarding: NamespacedForwarding }> {
  const dp = opts.config.dataplane;
  const network = await NamespacesNetwork.start({
    db: opts.db,
    prefix: dp.namespace_prefix ?? 'vpcep',
    keep: dp.keep_namespaces === true,
    resolver: opts.resolver,
    settings: opts.settings,
    log: opts.log,
  });
  const processes = new ForwardingProcesses({
    // A process cannot forward inside a namespace it is not in: at least one worker.
    workers: Math.max(1, dp.workers ?? 1),
    connectTimeoutMs: dp.connect_timeout_ms,
    counters: opts.counters,
    log: opts.log,
    debug: opts.config.log_level === 'debug' || opts.config.log_level === 'trace',
    launcher: network.launcher(),
  });
  return { network, forwarding: new NamespacedForwarding(network, processes, opts.log) };
}

/** The embedded DNS, answering the VPCs on the resolver address of the data-plane namespace. */
export async function startVpcResolver(
  network: NamespacesNetwork,
  table: DnsZoneTable,
  ttl: number,
  log: PlaneLog,
): Promise<DnsServer> {
  const sockets = await bindInNamespace(network.launcher(), RESOLVER_ADDRESS, 53);
  const server = new DnsServer({ host: RESOLVER_ADDRESS, port: 53, table, ttl, log, sockets });
  await server.start();
  return server;
}
