import { apiError, type ApiError } from '../errors/api-error.ts';
import {
  ALLOWED_RANGES,
  MAX_PREFIX,
  MIN_PREFIX,
  RESERVED_RANGE,
  checkNetworkCidr,
  containsAddress,
  containsCidr,
  firstHost,
  formatCidr,
  formatIpv4,
  intersection,
  isHostAddress,
  mustParseCidr,
  overlaps,
  parseIpv4,
  type Cidr,
  type NetworkProblem,
} from './cidr.ts';
import { onHost, type HostRanges } from './host-ranges.ts';

// The address rules of the inventory, shared by the API, configuration seeding
// and the VPCEP module, so a resource the file declares obeys exactly what an API
// caller would be held to. Each rule throws a catalog error whose message names
// the offending value: "Invalid CIDR." alone does not tell a user which one.

function networkError(what: string, text: string, problem: NetworkProblem): ApiError {
  switch (problem) {
    case 'syntax':
      return apiError('VPC.0101', `Invalid ${what} CIDR '${text}': expected a.b.c.d/n.`);
    case 'host-bits': {
      const [addr = '', prefix = ''] = text.split('/');
      const ip = parseIpv4(addr) ?? 0;
      const size = 2 ** (32 - Number(prefix));
      return apiError(
        'VPC.0101',
        `Invalid ${what} CIDR '${text}': host bits are set (the network is ${formatIpv4(ip - (ip % size))}/${prefix}).`,
      );
    }
    case 'prefix':
      return apiError(
        'VPC.0101',
        `Invalid ${what} CIDR '${text}': the prefix must be /${MIN_PREFIX} to /${MAX_PREFIX}.`,
      );
    case 'reserved':
      return apiError(
        'VPC.0102',
        `The ${what} CIDR '${text}' overlaps the reserved range ${formatCidr(RESERVED_RANGE)}.`,
      );
    case 'range':
      return apiError(
        'VPC.0101',
        `Invalid ${what} CIDR '${text}': it must lie inside ${ALLOWED_RANGES.map(formatCidr).join(', ')}.`,
      );
  }
}

export function vpcCidr(text: string): Cidr {
  const check = checkNetworkCidr(text);
  if (!check.ok) throw networkError('VPC', text, check.problem);
  return check.cidr;
}

export interface Placed {
  id: string;
  cidr: string;
}

/** A subnet CIDR: a valid network inside its VPC, overlapping none of its siblings. */
export function subnetCidr(text: string, vpc: Cidr, siblings: readonly Placed[]): Cidr {
  const check = checkNetworkCidr(text);
  if (!check.ok) throw networkError('subnet', text, check.problem);
  const cidr = check.cidr;
  if (!containsCidr(vpc, cidr)) {
    throw apiError('VPC.0201', `The subnet CIDR '${text}' is not inside the VPC CIDR ${formatCidr(vpc)}.`);
  }
  const clash = siblings.find((s) => overlaps(mustParseCidr(s.cidr), cidr));
  if (clash) {
    throw apiError('VPC.0102', `The subnet CIDR '${text}' overlaps subnet ${clash.id} (${clash.cidr}).`);
  }
  return cidr;
}

/**
 * Inside the bindable ranges every project's subnets share this host's network
 * (host-ranges.ts), so a subnet there may overlap neither an address the host's
 * own services use nor another project's subnet. `foreign` holds the CIDRs of
 * other projects' subnets near it. The message names the range in the way,
 * never whose it is: the other project's ids and names are none of the caller's
 * business. Outside the bindable ranges VPCs are isolated, as in the cloud.
 */
export function hostSubnetCidr(cidr: Cidr, ranges: HostRanges, foreign: readonly string[]): void {
  const text = formatCidr(cidr);
  for (const reserved of ranges.reserved) {
    const shared = intersection(cidr, reserved);
    if (shared && onHost(ranges, shared)) {
      throw apiError(
        'VPC.0102',
        `The subnet CIDR '${text}' overlaps ${formatCidr(reserved)}, which is reserved for services of this host.`,
      );
    }
  }
  for (const other of foreign) {
    const shared = intersection(cidr, mustParseCidr(other));
    if (shared && onHost(ranges, shared)) {
      throw apiError(
        'VPC.0102',
        `The subnet CIDR '${text}' overlaps ${other}, which is in use by another project: inside ${ranges.bindable.map(formatCidr).join(', ')} all projects share this host's network, so their subnets may not overlap.`,
      );
    }
  }
}

/** A new VPC CIDR must still hold every subnet the VPC has. */
export function vpcCidrHoldsSubnets(vpc: Cidr, subnets: readonly Placed[]): void {
  const outside = subnets.find((s) => !containsCidr(vpc, mustParseCidr(s.cidr)));
  if (outside) {
    throw apiError(
      'VPC.0201',
      `The VPC CIDR ${formatCidr(vpc)} would not contain subnet ${outside.id} (${outside.cidr}).`,
    );
  }
}

/** The gateway of a subnet: a host address of it, the first one unless chosen. */
export function gatewayAddress(subnet: Cidr, text: string | undefined): number {
  if (text === undefined) return firstHost(subnet);
  const ip = parseIpv4(text);
  if (ip === undefined || !containsAddress(subnet, ip) || !isHostAddress(subnet, ip)) {
    throw apiError(
      'VPC.0202',
      `Invalid gateway IP '${text}': it must be a host address of ${formatCidr(subnet)} (not its network or broadcast address).`,
    );
  }
  return ip;
}

/** Why an address cannot be given to a new port; undefined when it can. */
export type AddressProblem = 'invalid' | 'outside' | 'not-host' | 'gateway' | 'in-use';

export function addressProblem(
  subnet: Cidr,
  gateway: number,
  text: string,
  used: ReadonlySet<number>,
): AddressProblem | undefined {
  const ip = parseIpv4(text);
  if (ip === undefined) return 'invalid';
  if (!containsAddress(subnet, ip)) return 'outside';
  if (!isHostAddress(subnet, ip)) return 'not-host';
  if (ip === gateway) return 'gateway';
  if (used.has(ip)) return 'in-use';
  return undefined;
}

export function addressError(problem: AddressProblem, text: string, subnet: Cidr): ApiError {
  const where = formatCidr(subnet);
  switch (problem) {
    case 'invalid':
      return apiError('VPC.0002', `Invalid IP address '${text}'.`);
    case 'outside':
      return apiError('VPC.0301', `The IP address ${text} is not inside the subnet ${where}.`);
    case 'not-host':
      return apiError('VPC.0301', `The IP address ${text} is the network or broadcast address of ${where}.`);
    case 'gateway':
      return apiError('VPC.0302', `The IP address ${text} is the gateway of the subnet ${where}.`);
    case 'in-use':
      return apiError(
        'VPC.0302',
        `The IP address ${text} is already used by another port of the subnet ${where}.`,
      );
  }
}
