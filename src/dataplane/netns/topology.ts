/**
 * The networks namespaces mode should have, as a pure function of the store's
 * subnets and ports: per VPC its subnets' gateways, and the ports that are
 * instances (`compute:*`) or load balancers, each with its address and
 * gateway. No I/O, so the rules are testable without root.
 */
import { containsAddress, formatIpv4, parseHostCidr, parseIpv4, type Cidr } from '../../vpc/cidr.ts';
import type { NetworkPort, NetworkSubnet } from '../../vpc/network-inventory.ts';

export interface PortNetwork {
  portId: string;
  /** e.g. 10.0.0.10/24: the port's address with its subnet's prefix. */
  address: string;
  gateway: string;
}

export interface VpcNetwork {
  vpcId: string;
  /** Gateway addresses with their subnets' prefixes, e.g. 10.0.0.1/24, sorted. */
  gateways: string[];
  ports: PortNetwork[];
}

/** 127/8 is the loopback network inside every namespace: a subnet there cannot be a VPC's. */
const LOOPBACK: Cidr = { network: parseIpv4('127.0.0.0') ?? 0, prefix: 8 };

/** Device owners of ports that are an instance's or a load balancer's interface. */
export function isInstancePort(deviceOwner: string): boolean {
  return deviceOwner.startsWith('compute:') || /loadbalancer/i.test(deviceOwner);
}

function usable(cidr: Cidr | undefined): cidr is Cidr {
  return cidr !== undefined && !containsAddress(LOOPBACK, cidr.network);
}

export function desiredNetworks(
  subnets: readonly NetworkSubnet[],
  ports: readonly NetworkPort[],
): Map<string, VpcNetwork> {
  const vpcs = new Map<string, VpcNetwork>();
  const bySubnet = new Map<string, { cidr: Cidr; gateway: string }>();
  for (const s of subnets) {
    const cidr = parseHostCidr(s.cidr);
    const gw = parseIpv4(s.gatewayIp);
    if (!usable(cidr) || gw === undefined || !containsAddress(cidr, gw)) continue;
    // Re-formatted from the parsed number: only a plain dotted quad ever reaches a command.
    const gateway = formatIpv4(gw);
    bySubnet.set(s.id, { cidr, gateway });
    const vpc = vpcs.get(s.vpcId) ?? { vpcId: s.vpcId, gateways: [], ports: [] };
    vpc.gateways.push(`${gateway}/${cidr.prefix}`);
    vpcs.set(s.vpcId, vpc);
  }
  for (const p of ports) {
    const subnet = bySubnet.get(p.subnetId);
    const vpc = vpcs.get(p.vpcId);
    const ip = parseIpv4(p.ip);
    if (!subnet || !vpc || ip === undefined || !containsAddress(subnet.cidr, ip)) continue;
    const address = formatIpv4(ip);
    if (!isInstancePort(p.deviceOwner) || address === subnet.gateway) continue;
    vpc.ports.push({ portId: p.id, address: `${address}/${subnet.cidr.prefix}`, gateway: subnet.gateway });
  }
  for (const vpc of vpcs.values()) vpc.gateways.sort();
  return vpcs;
}

/** `10.0.0.1/24` → `10.0.0.1`. */
export function hostOf(address: string): string {
  return address.split('/')[0] ?? address;
}
