/**
 * Namespaces mode (`dataplane.network: namespaces`): every VPC an isolated
 * Linux network, converged from the store. See docs/networking.md.
 *
 *   port namespace ──veth── VPC namespace (bridge, gateways, endpoint IPs, nft)
 *                                 │ transit veth (a /30 of 198.19.192.0/18)
 *                           data-plane namespace (listeners, resolver, one routing table per VPC)
 *
 * A client's connection to an endpoint IP is DNAT-ed in its VPC's namespace
 * to the endpoint's listener in the data-plane namespace, keeping the
 * client's own address; the forwarder dials the backend from the provider
 * VPC's transit address, in 198.19.128.0/17. Policy routing in the data-plane
 * namespace (by source address) sends each answer back into the right VPC,
 * however much their CIDRs overlap.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.ts';
import { formatIpv4, parseIpv4 } from '../../vpc/cidr.ts';
import { networkInventory } from '../../vpc/network-inventory.ts';
import type { ForwardingEndpoint } from '../../vpcep/endpoints/dataplane.ts';
import { BindableRange, endpointListeners, type ForwardingSettings, type SkipReason } from '../desired.ts';
import type { ListenerSpec } from '../forwarder/types.ts';
import {
  LISTENER_RANGE,
  LISTENER_SLOTS,
  RESOLVER_ADDRESS,
  SlotAllocator,
  TRANSIT_SLOTS,
  VPCEP_RANGE,
  listenerAddress,
  transit,
  transitIndex,
} from './addresses.ts';
import { ETC_NETNS, removeAll, resolverDirs } from './cleanup.ts';
import type { Kernel } from './kernel.ts';
import { hasOnly, MTU } from './links.ts';
import { BRIDGE, NetnsNames, transitLink, VPC_TRANSIT } from './names.ts';
import { dataplaneRules, vpcRules, type SteeredEndpoint } from './nft-rules.ts';
import { convergePolicyRules } from './policy-rules.ts';
import { convergePort, type PortNamespaceContext } from './port-namespace.ts';
import { namespacesKernel } from './requirements.ts';
import { desiredNetworks, hostOf, type VpcNetwork } from './topology.ts';

export interface NetworkLog {
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
}

export interface NamespacesNetworkOptions {
  db: Kysely<Database>;
  prefix: string;
  /** Leave everything in place on close (a restart then adopts it). */
  keep: boolean;
  /** Whether the VPCs get a resolver (this process runs the DNS role). */
  resolver: boolean;
  settings: ForwardingSettings;
  log: NetworkLog;
}

interface Steering extends SteeredEndpoint {
  vpcId: string;
  backendVpcId: string;
}

export class NamespacesNetwork {
  readonly names: NetnsNames;
  readonly #kernel: Kernel;
  readonly #opts: NamespacesNetworkOptions;
  /** The settings endpointListeners gets: every address is reachable from the data plane here. */
  readonly #everywhere: ForwardingSettings;
  readonly #listeners = new SlotAllocator(LISTENER_SLOTS);
  readonly #vpcs = new SlotAllocator(TRANSIT_SLOTS);
  readonly #steered = new Map<string, Steering>();
  /** Rule sets loaded, by namespace: unchanged text is not loaded again. */
  readonly #loaded = new Map<string, string>();
  /** Ports whose namespace was checked, with what it was checked against. */
  readonly #checked = new Map<string, string>();
  readonly #portContext: PortNamespaceContext;

  private constructor(kernel: Kernel, opts: NamespacesNetworkOptions) {
    this.#kernel = kernel;
    this.#opts = opts;
    this.names = new NetnsNames(opts.prefix);
    this.#everywhere = { ...opts.settings, bindable: new BindableRange(['0.0.0.0/0']) };
    this.#portContext = { kernel, names: this.names, checked: this.#checked, resolver: opts.resolver };
  }

  /** Checks the host, creates the data-plane namespace and adopts what an earlier run left. */
  static async start(opts: NamespacesNetworkOptions): Promise<NamespacesNetwork> {
    const net = new NamespacesNetwork(namespacesKernel(), opts);
    await net.#dataplaneBase();
    await net.#adopt();
    return net;
  }

  /** The command the forwarding processes are started through: inside the data-plane namespace. */
  launcher(): string[] {
    return [this.#kernel.ip, 'netns', 'exec', this.names.dataplane];
  }

  get kernel(): Kernel {
    return this.#kernel;
  }

  /**
   * An endpoint's listeners in this mode: on its own listener address in the
   * data-plane namespace, dialling the backend from the provider VPC's
   * transit address. Only a tenant's port can be a backend: an operator's
   * target is a host address, which no VPC reaches.
   */
  plan = (ep: ForwardingEndpoint): ListenerSpec[] | SkipReason => {
    if (ep.operatorBackend || ep.backendIp === null || ep.backendVpcId === undefined) return 'no_backend';
    // The endpoint's address goes into nft rules: only a plain dotted quad, re-formatted.
    const parsed = parseIpv4(ep.ip);
    if (parsed === undefined) return 'not_bindable';
    const specs = endpointListeners(ep, this.#everywhere);
    if (typeof specs === 'string') return specs;
    const slot = this.#listeners.take(ep.endpointId);
    const provider = this.#vpcs.take(ep.backendVpcId);
    const consumer = this.#vpcs.take(ep.vpcId);
    if (slot === undefined || provider === undefined || consumer === undefined) return 'not_bindable';
    const listener = listenerAddress(slot);
    const source = transit(provider).dp;
    this.#steered.set(ep.endpointId, {
      vpcId: ep.vpcId,
      backendVpcId: ep.backendVpcId,
      ip: formatIpv4(parsed),
      listener,
      mappings: ep.ports
        .filter((m) => Number.isInteger(m.client_port) && m.client_port >= 1 && m.client_port <= 65535)
        .map((m) => ({ protocol: m.protocol === 'UDP' ? 'udp' : 'tcp', port: m.client_port })),
    });
    return specs.map((s) => ({ ...s, listenHost: listener, sourceHost: source }));
  };

  /** Makes the kernel match the store and `specs` (the listeners about to run). */
  async converge(specs: readonly ListenerSpec[]): Promise<void> {
    const wanted = new Set(specs.map((s) => s.endpointId));
    for (const id of [...this.#steered.keys()]) if (!wanted.has(id)) this.#steered.delete(id);
    this.#listeners.retain(wanted);
    const inventory = await networkInventory(this.#opts.db);
    const nets = desiredNetworks(inventory.subnets, inventory.ports);
    const keep = new Set(nets.keys());
    for (const s of this.#steered.values()) keep.add(s.backendVpcId).add(s.vpcId);
    this.#vpcs.retain(keep);
    for (const id of nets.keys()) {
      if (this.#vpcs.take(id) === undefined) {
        this.#opts.log.warn({ vpcId: id }, 'no transit address left for this VPC; it gets no network');
        nets.delete(id);
      }
    }
    await this.#removeStale(nets);
    await this.#build(nets);
    await convergePolicyRules(this.#kernel, this.names.dataplane, this.#steered.values(), this.#vpcs);
    await this.#filter(nets);
  }

  /** Removes every namespace and resolver file of this prefix, unless told to keep them. */
  async close(): Promise<void> {
    if (this.#opts.keep) return;
    await removeAll(this.#kernel, this.names);
  }

  async #dataplaneBase(): Promise<void> {
    const dp = this.names.dataplane;
    if (!this.#kernel.namespaces().includes(dp)) await this.#kernel.addNamespace(dp);
    await this.#kernel.batch(dp, [
      'link set lo up',
      // Every listener address is local at once: no address to add per endpoint.
      `route replace local ${LISTENER_RANGE} dev lo table local`,
      `addr replace ${RESOLVER_ADDRESS}/32 dev lo`,
    ]);
    // - Answers leave by the table of the VPC they belong to, not by the way in: no reverse-path check.
    // - The forwarders dial backends from named source ports (forwarder/source-ports.ts); a port
    //   whose earlier connection to the same backend is in TIME_WAIT may be used again, which
    //   Linux allows by default on loopback only.
    await this.#kernel.sysctl(dp, {
      'net.ipv4.ip_forward': '0',
      'net.ipv4.conf.all.rp_filter': '0',
      'net.ipv4.conf.default.rp_filter': '0',
      'net.ipv4.tcp_tw_reuse': '1',
    });
  }

  /** After a restart: each VPC keeps the transit /30 it had, so its routes stay valid. */
  async #adopt(): Promise<void> {
    const links = await this.#kernel.links(this.names.dataplane);
    const inventory = await networkInventory(this.#opts.db);
    const vpcIds = new Set(inventory.subnets.map((s) => s.vpcId));
    for (const id of vpcIds) {
      const address = links.get(transitLink(id))?.addresses[0]?.local;
      const index = address === undefined ? undefined : transitIndex(address);
      if (index !== undefined) this.#vpcs.adopt(id, index);
    }
  }

  async #removeStale(nets: Map<string, VpcNetwork>): Promise<void> {
    const wanted = new Set([this.names.dataplane]);
    for (const vpc of nets.values()) {
      wanted.add(this.names.vpc(vpc.vpcId));
      for (const p of vpc.ports) wanted.add(this.names.port(p.portId));
    }
    for (const ns of this.#kernel.namespaces()) {
      if (!this.names.owns(ns) || wanted.has(ns)) continue;
      await this.#kernel.deleteNamespace(ns);
      this.#loaded.delete(ns);
      this.#opts.log.info({ namespace: ns }, 'removed a network namespace nothing in the store wants');
    }
    for (const [portId] of this.#checked)
      if (!wanted.has(this.names.port(portId))) this.#checked.delete(portId);
    for (const dir of resolverDirs(this.names)) {
      if (!wanted.has(dir)) rmSync(join(ETC_NETNS, dir), { recursive: true, force: true });
    }
  }

  async #build(nets: Map<string, VpcNetwork>): Promise<void> {
    const k = this.#kernel;
    const dp = this.names.dataplane;
    const dpLinks = await k.links(dp);
    const dpLines: string[] = [];
    for (const vpc of nets.values()) {
      const index = this.#vpcs.get(vpc.vpcId);
      if (index === undefined) continue;
      const t = transit(index);
      const ns = this.names.vpc(vpc.vpcId);
      if (!k.namespaces().includes(ns)) {
        await k.addNamespace(ns);
        this.#loaded.delete(ns);
        await k.batch(ns, [
          'link set lo up',
          `link add ${BRIDGE} mtu ${MTU} type bridge`,
          `link set ${BRIDGE} up`,
        ]);
        await k.sysctl(ns, { 'net.ipv4.ip_forward': '1' });
      }
      let links = await k.links(ns);
      const link = transitLink(vpc.vpcId);
      if (!dpLinks.has(link) || !links.has(VPC_TRANSIT)) {
        if (links.has(VPC_TRANSIT)) await k.batch(ns, [`link del ${VPC_TRANSIT}`]);
        if (dpLinks.has(link)) await k.batch(dp, [`link del ${link}`]);
        await k.batch(dp, [
          `link add ${link} mtu ${MTU} type veth peer name ${VPC_TRANSIT} mtu ${MTU} netns ${ns}`,
        ]);
        dpLinks.delete(link);
        links = await k.links(ns);
      }
      if (!hasOnly(dpLinks.get(link), [`${t.dp}/30`])) {
        dpLines.push(`addr flush dev ${link}`, `addr add ${t.dp}/30 dev ${link}`);
      }
      dpLines.push(`link set ${link} up`, `route replace default via ${t.vpc} dev ${link} table ${t.table}`);
      const lines: string[] = [];
      if (!hasOnly(links.get(VPC_TRANSIT), [`${t.vpc}/30`])) {
        lines.push(`addr flush dev ${VPC_TRANSIT}`, `addr add ${t.vpc}/30 dev ${VPC_TRANSIT}`);
      }
      lines.push(`link set ${VPC_TRANSIT} up`, `route replace ${VPCEP_RANGE} via ${t.dp} dev ${VPC_TRANSIT}`);
      // The gateways, and each endpoint IP as a /32: the namespace answers ARP for them.
      const want = new Set(vpc.gateways);
      for (const s of this.#steered.values()) if (s.vpcId === vpc.vpcId) want.add(`${s.ip}/32`);
      const have = new Set((links.get(BRIDGE)?.addresses ?? []).map((a) => `${a.local}/${a.prefixlen}`));
      for (const a of have) if (!want.has(a)) lines.push(`addr del ${a} dev ${BRIDGE}`);
      for (const a of want) if (!have.has(a)) lines.push(`addr add ${a} dev ${BRIDGE}`);
      await k.batch(ns, lines);
      for (const port of vpc.ports) await convergePort(this.#portContext, ns, links, port);
    }
    await k.batch(dp, dpLines);
  }

  async #filter(nets: Map<string, VpcNetwork>): Promise<void> {
    const resolver = this.#opts.resolver ? RESOLVER_ADDRESS : null;
    const links: { link: string; listeners: string[] }[] = [];
    for (const vpc of nets.values()) {
      const index = this.#vpcs.get(vpc.vpcId);
      if (index === undefined) continue;
      const endpoints = [...this.#steered.values()].filter((s) => s.vpcId === vpc.vpcId);
      links.push({ link: transitLink(vpc.vpcId), listeners: endpoints.map((e) => e.listener) });
      await this.#load(
        this.names.vpc(vpc.vpcId),
        vpcRules({
          endpoints,
          gateways: vpc.gateways.map(hostOf),
          dataplaneSource: transit(index).dp,
          resolver,
        }),
      );
    }
    await this.#load(this.names.dataplane, dataplaneRules({ links, resolver }));
  }

  async #load(ns: string, text: string): Promise<void> {
    if (this.#loaded.get(ns) === text) return;
    await this.#kernel.loadRules(ns, text);
    this.#loaded.set(ns, text);
  }
}
