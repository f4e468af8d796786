/**
 * The data plane's desired state as a pure function of what the store says:
 * which listeners should run for a set of forwarding endpoints, and which
 * endpoints stay control-plane only (and why). No I/O, so the rules are
 * testable without sockets.
 */
import { createHash } from 'node:crypto';
import { hostRangesOf, tenantAddressOnHost, type HostRanges } from '../vpc/host-ranges.ts';
import type { ForwardingEndpoint } from '../vpcep/endpoints/dataplane.ts';
import { ContestedAddresses } from './contested.ts';
import type { ListenerSpec } from './forwarder/types.ts';

export interface ForwardingSettings {
  /** Endpoint IPs in these IPv4 CIDRs are bound, and tenant backends in them dialled; others are not. */
  bindable: BindableRange;
  maxConnectionsPerEndpoint: number;
  tcpIdleTimeoutMs: number;
  udpIdleTimeoutMs: number;
}

/**
 * Why an accepted endpoint has no listener. `backend_not_bindable`: the
 * tenant's backend port lies outside the bindable ranges (or in a reserved
 * one), a host address no tenant owns. `address_contested` / `backend_contested`:
 * the endpoint's or the backend's address lies where subnets of two projects
 * overlap (contested.ts), so it might be another tenant's.
 */
export const SKIP_REASONS = [
  'not_bindable',
  'address_contested',
  'no_backend',
  'backend_not_bindable',
  'backend_contested',
  'no_ports',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** tcp_proxy values that ask for a PROXY v2 header (decision #12); toa_open cannot be done in userspace. */
const PROXY_MODES = new Set(['proxy_open', 'open', 'proxy_vni']);

/** `dataplane.bindable_cidrs` less `dataplane.reserved_cidrs`: where tenants' addresses live on the host. */
export class BindableRange {
  readonly cidrs: readonly string[];
  readonly ranges: HostRanges;

  constructor(cidrs: readonly string[], reserved: readonly string[] = []) {
    this.cidrs = [...cidrs];
    this.ranges = hostRangesOf({ bindable_cidrs: cidrs, reserved_cidrs: reserved });
  }

  contains(ip: string): boolean {
    return tenantAddressOnHost(this.ranges, ip);
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
  contested: ContestedAddresses = ContestedAddresses.none,
): ListenerSpec[] | SkipReason {
  if (!settings.bindable.contains(ep.ip)) return 'not_bindable';
  if (contested.contains(ep.ip)) return 'address_contested';
  if (ep.backendIp === null) return 'no_backend';
  const backendIp = ep.backendIp;
  // The operator's public-service targets are trusted wherever they are.
  if (!ep.operatorBackend) {
    if (!settings.bindable.contains(backendIp)) return 'backend_not_bindable';
    if (contested.contains(backendIp)) return 'backend_contested';
  }
  if (ep.ports.length === 0) return 'no_ports';
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
