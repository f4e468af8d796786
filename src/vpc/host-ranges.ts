import { defaultConfig } from '../config/defaults.ts';
import { containsAddress, overlaps, parseHostCidr, parseIpv4, type Cidr } from './cidr.ts';

// The parts of the address space where VPCs are not isolated. The data plane
// binds endpoint addresses of the bindable ranges on this host and dials
// backends there, so inside them every project's subnets share one network:
// two projects owning one address would race for it, and an address a host
// service listens on (the API, DNS, a local database) would be reachable as a
// tenant's backend. The inventory rules (rules.ts) and the data plane read
// the same ranges from here.

export interface HostRanges {
  /** `dataplane.bindable_cidrs`: endpoint addresses in these are bound on the host. */
  readonly bindable: readonly Cidr[];
  /** `dataplane.reserved_cidrs`: addresses the host's own services use. */
  readonly reserved: readonly Cidr[];
}

function parseAll(texts: readonly string[]): Cidr[] {
  return texts.flatMap((t) => {
    const cidr = parseHostCidr(t);
    // The configuration loader has refused anything else already.
    if (cidr === undefined) throw new Error(`invalid CIDR ${t}`);
    return [cidr];
  });
}

/**
 * With `network: namespaces` every VPC is a network of its own and no tenant
 * address is on the host's: there are no shared ranges to keep apart.
 */
export function hostRangesOf(dp: {
  readonly bindable_cidrs: readonly string[];
  readonly reserved_cidrs: readonly string[];
  readonly network?: 'loopback' | 'namespaces' | undefined;
}): HostRanges {
  if (dp.network === 'namespaces') return { bindable: [], reserved: [] };
  return { bindable: parseAll(dp.bindable_cidrs), reserved: parseAll(dp.reserved_cidrs) };
}

/** The ranges of the embedded defaults (127.0.0.0/8 shared, 127.0.0.0/16 reserved). */
export const DEFAULT_HOST_RANGES: HostRanges = hostRangesOf(defaultConfig().dataplane);

/** Whether any address of `block` lies in a bindable range, i.e. on the host's shared network. */
export function onHost(ranges: HostRanges, block: Cidr): boolean {
  return ranges.bindable.some((r) => overlaps(r, block));
}

/**
 * Whether the data plane may bind or dial `ip` for a tenant: an IPv4 literal
 * inside a bindable range and outside every reserved one.
 */
export function tenantAddressOnHost(ranges: HostRanges, ip: string): boolean {
  const address = parseIpv4(ip);
  if (address === undefined) return false;
  return (
    ranges.bindable.some((r) => containsAddress(r, address)) &&
    !ranges.reserved.some((r) => containsAddress(r, address))
  );
}
