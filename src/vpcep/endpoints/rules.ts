import { ApiError, apiError } from '../../errors/api-error.ts';
import { overlaps, parseCidr, parseIpv4, RESERVED_RANGE, type Cidr } from '../../vpc/cidr.ts';
import type { AddressProblem } from '../../vpc/inventory.ts';

// Pure rules of endpoints: no I/O. Each turns a bad input into the seed's own code.

/**
 * An endpoint's IP whitelist (seed 004 §4.3.1): IPv4 addresses or CIDR blocks,
 * at most `max` records (EndPoint.2045), none overlapping the range the service
 * uses itself, 198.19.128.0/17 (decision #17). A block must be written as its
 * network address, as the VPC inventory requires for subnets: `10.0.0.1/24` is
 * refused rather than silently read as 10.0.0.0/24. Records are kept as given so
 * clients that compare what they sent with what they read see no difference.
 */
export function validateWhitelist(list: readonly string[] | undefined, max: number): string[] {
  if (list === undefined) return [];
  if (list.length > max) {
    throw apiError(
      'EndPoint.2045',
      `The whitelist may hold at most ${max} records; ${list.length} were given.`,
    );
  }
  for (const entry of list) {
    const block = whitelistBlock(entry);
    if (block === undefined) {
      throw apiError(
        'EndPoint.2044',
        `Invalid whitelist record '${entry}': expected an IPv4 address or CIDR block.`,
      );
    }
    if (overlaps(block, RESERVED_RANGE)) {
      throw apiError(
        'EndPoint.2044',
        `Invalid whitelist record '${entry}': it overlaps the reserved 198.19.128.0/17.`,
      );
    }
  }
  return [...list];
}

function whitelistBlock(entry: string): Cidr | undefined {
  if (!entry.includes('/')) {
    const ip = parseIpv4(entry);
    return ip === undefined ? undefined : { network: ip, prefix: 32 };
  }
  const parsed = parseCidr(entry);
  return parsed.ok ? parsed.cidr : undefined;
}

/**
 * Why a requested `port_ip` cannot be the endpoint's address, in the seed's
 * codes (decision #9): not an IPv4 address or not a host address (network,
 * broadcast, gateway) → 2041, outside the subnet → 2043, taken → 2042.
 */
export function portIpError(problem: AddressProblem, ip: string, subnetCidr: string): ApiError {
  switch (problem) {
    case 'invalid':
      return apiError('EndPoint.2041', `Invalid port_ip '${ip}': expected an IPv4 address.`);
    case 'outside':
      return apiError('EndPoint.2043', `The port_ip ${ip} is not in the subnet ${subnetCidr}.`);
    case 'not-host':
      return apiError(
        'EndPoint.2041',
        `The port_ip ${ip} is the network or broadcast address of ${subnetCidr}.`,
      );
    case 'gateway':
      return apiError('EndPoint.2041', `The port_ip ${ip} is the gateway address of ${subnetCidr}.`);
    case 'in-use':
      return apiError('EndPoint.2042', `The port_ip ${ip} is already used in the subnet ${subnetCidr}.`);
  }
}

/**
 * The VPC inventory's own errors when creating the endpoint's port, translated:
 * they only get here when another writer took the address between our check
 * and the insert (the inventory re-checks under the subnet lock), or when the
 * subnet has no free address left.
 */
export function translatePortError(err: unknown, ip: string | undefined, subnetCidr: string): unknown {
  if (!(err instanceof ApiError)) return err;
  switch (err.code) {
    case 'VPC.0302':
      return portIpError('in-use', ip ?? '', subnetCidr);
    case 'VPC.0301':
      return portIpError('outside', ip ?? '', subnetCidr);
    case 'VPC.0303':
      return apiError('EndPoint.4010', `The subnet ${subnetCidr} has no free IP address left.`);
    case 'VPC.0005':
      return apiError('EndPoint.4004');
    default:
      return err;
  }
}

/** `{endpoint_id}.{region}.{zone}`: the endpoint's private name (decision #10). */
export function dnsNameOf(endpointId: string, region: string, zone: string): string {
  return `${endpointId}.${region}.${zone}`;
}
