/**
 * The data plane's desired state as a pure function of what the store says:
 * which listeners should run for a set of forwarding endpoints, and which
 * endpoints stay control-plane only (and why). No I/O, so the rules are
 * testable without sockets.
 */
import { createHash } from 'node:crypto';
import { BlockList, isIPv4 } from 'node:net';
import type { ForwardingEndpoint } from '../vpcep/endpoints/dataplane.ts';
import type { ListenerSpec } from './forwarder/types.ts';

export interface ForwardingSettings {
  /** Endpoint IPs in these IPv4 CIDRs are bound; others are not. */
  bindable: BindableRange;
  maxConnectionsPerEndpoint: number;
  tcpIdleTimeoutMs: number;
  udpIdleTimeoutMs: number;
}

/** Why an accepted endpoint has no listener. */
export type SkipReason = 'not_bindable' | 'no_backend' | 'no_ports';

/** tcp_proxy values that ask for a PROXY v2 header (decision #12); toa_open cannot be done in userspace. */
const PROXY_MODES = new Set(['proxy_open', 'open', 'proxy_vni']);

export class BindableRange {
  readonly #list = new BlockList();
  readonly cidrs: readonly string[];

  constructor(cidrs: readonly string[]) {
    this.cidrs = [...cidrs];
    for (const cidr of cidrs) {
      const [address = '', prefix = ''] = cidr.split('/');
      this.#list.addSubnet(address, Number(prefix), 'ipv4');
    }
  }

  contains(ip: string): boolean {
    return isIPv4(ip) && this.#list.check(ip, 'ipv4');
  }
}

/**
 * The consumer VPC's virtual network id for TLV 0xE1. Our VPC inventory has
 * no numeric segment id, so it is derived: the first 24 bits (a VXLAN VNI's
 * width) of SHA-256 over the VPC id. Stable across restarts and nodes.
 */
export function vpcVni(vpcId: string): number {
  return createHash('sha256').update(vpcId).digest().readUIntBE(0, 3);
}

export function listenerKey(endpointId: string, protocol: string, clientPort: number): string {
  return `${endpointId}:${protocol}:${clientPort}`;
}

/**
 * The listeners of one endpoint, or why it has none. Per endpoint, so the
 * controller recomputes only the endpoints a change touched.
 */
export function endpointListeners(
  ep: ForwardingEndpoint,
  settings: ForwardingSettings,
): ListenerSpec[] | SkipReason {
  if (!settings.bindable.contains(ep.ip)) return 'not_bindable';
  if (ep.backendIp === null) return 'no_backend';
  if (ep.ports.length === 0) return 'no_ports';
  const backendIp = ep.backendIp;
  const proxy = PROXY_MODES.has(ep.tcpProxy)
    ? { markerId: ep.markerId, ...(ep.tcpProxy === 'proxy_vni' ? { vni: vpcVni(ep.vpcId) } : {}) }
    : null;
  return ep.ports.map((m) => {
    const protocol = m.protocol === 'UDP' ? 'UDP' : 'TCP';
    return {
      key: listenerKey(ep.endpointId, protocol, m.client_port),
      endpointId: ep.endpointId,
      protocol,
      listenHost: ep.ip,
      listenPort: m.client_port,
      targetHost: backendIp,
      targetPort: m.server_port,
      proxyProtocol: protocol === 'TCP' ? proxy : null,
      whitelist: ep.enableWhitelist ? [...ep.whitelist] : null,
      maxConnections: settings.maxConnectionsPerEndpoint,
      idleTimeoutMs: protocol === 'TCP' ? settings.tcpIdleTimeoutMs : settings.udpIdleTimeoutMs,
    };
  });
}
