// IPv4 and CIDR arithmetic on unsigned 32-bit numbers. Pure: no I/O, no errors
// of the API; callers turn the problems reported here into catalog codes.

export interface Cidr {
  /** Network address as an unsigned 32-bit number. */
  readonly network: number;
  readonly prefix: number;
}

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/**
 * Strict dotted-quad parsing. Leading zeros are refused because tools disagree
 * on them (`010` is octal 8 to inet_aton, decimal 10 to most others); an address
 * that means different things to different readers must not get into the store.
 */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!OCTET.test(part)) return undefined;
    value = value * 256 + Number(part);
  }
  return value;
}

export function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

/** Number of addresses in a block; 2^32 for /0 (a plain number, not an int32). */
export function blockSize(prefix: number): number {
  return 2 ** (32 - prefix);
}

export function broadcastOf(c: Cidr): number {
  return c.network + blockSize(c.prefix) - 1;
}

export function formatCidr(c: Cidr): string {
  return `${formatIpv4(c.network)}/${c.prefix}`;
}

export type CidrProblem = 'syntax' | 'host-bits';

export type CidrParse = { ok: true; cidr: Cidr } | { ok: false; problem: CidrProblem };

/**
 * Parses `a.b.c.d/n`. The address must be the network address of the block:
 * `10.0.0.1/24` is refused rather than silently truncated, because a user who
 * typed it most likely meant something else than 10.0.0.0/24.
 */
export function parseCidr(text: string): CidrParse {
  const slash = text.indexOf('/');
  if (slash < 0) return { ok: false, problem: 'syntax' };
  const address = parseIpv4(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (address === undefined || !/^(3[0-2]|[12]?\d)$/.test(prefixText))
    return { ok: false, problem: 'syntax' };
  const prefix = Number(prefixText);
  if (address % blockSize(prefix) !== 0) return { ok: false, problem: 'host-bits' };
  return { ok: true, cidr: { network: address, prefix } };
}

/**
 * A CIDR as an operator writes it for a host: host bits may be set and name the
 * block they lie in (127.0.0.1/8 is 127.0.0.0/8). Undefined for anything else.
 */
export function parseHostCidr(text: string): Cidr | undefined {
  const parsed = parseCidr(text);
  if (parsed.ok) return parsed.cidr;
  if (parsed.problem !== 'host-bits') return undefined;
  const slash = text.indexOf('/');
  const prefix = Number(text.slice(slash + 1));
  const address = parseIpv4(text.slice(0, slash)) ?? 0;
  return { network: address - (address % blockSize(prefix)), prefix };
}

/** Parses a CIDR already known to be valid (read back from the store). */
export function mustParseCidr(text: string): Cidr {
  const parsed = parseCidr(text);
  if (!parsed.ok) throw new Error(`stored CIDR ${text} is invalid (${parsed.problem})`);
  return parsed.cidr;
}

export function containsAddress(c: Cidr, address: number): boolean {
  return address >= c.network && address <= broadcastOf(c);
}

/** True when `inner` lies entirely inside `outer` (equal blocks included). */
export function containsCidr(outer: Cidr, inner: Cidr): boolean {
  return inner.prefix >= outer.prefix && containsAddress(outer, inner.network);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.network <= broadcastOf(b) && b.network <= broadcastOf(a);
}

/**
 * The addresses two blocks share: CIDR blocks either nest or are disjoint, so
 * it is the smaller of the two, or undefined when they do not overlap.
 */
export function intersection(a: Cidr, b: Cidr): Cidr | undefined {
  if (!overlaps(a, b)) return undefined;
  return a.prefix >= b.prefix ? a : b;
}

/** The network and broadcast addresses are never assignable to a host. */
export function isHostAddress(c: Cidr, address: number): boolean {
  return address > c.network && address < broadcastOf(c);
}

/** The first host address: the cloud's default gateway of a subnet. */
export function firstHost(c: Cidr): number {
  return c.network + 1;
}

/**
 * The lowest host address of `c` not in `taken`, or undefined when the block is
 * full. `taken` holds every address already used (ports and the gateway), so
 * the walk is bounded by |taken| + 1 steps, whatever the block size.
 */
export function lowestFree(c: Cidr, taken: ReadonlySet<number>): number | undefined {
  const last = broadcastOf(c) - 1;
  for (let a = c.network + 1; a <= last; a++) {
    if (!taken.has(a)) return a;
  }
  return undefined;
}

// Address space policy (see docs/vpc.md). VPCs live in the RFC 1918 ranges the
// cloud offers, plus loopback because the local data plane binds VPC addresses on
// 127/8. 198.19.128.0/17 is used by the service itself (decision #17).
export const ALLOWED_RANGES: readonly Cidr[] = [
  { network: parseIpv4('10.0.0.0') ?? 0, prefix: 8 },
  { network: parseIpv4('172.16.0.0') ?? 0, prefix: 12 },
  { network: parseIpv4('192.168.0.0') ?? 0, prefix: 16 },
  { network: parseIpv4('127.0.0.0') ?? 0, prefix: 8 },
];

export const RESERVED_RANGE: Cidr = { network: parseIpv4('198.19.128.0') ?? 0, prefix: 17 };

export const MIN_PREFIX = 8;
export const MAX_PREFIX = 29;

export type NetworkProblem = CidrProblem | 'prefix' | 'reserved' | 'range';

export type NetworkCheck = { ok: true; cidr: Cidr } | { ok: false; problem: NetworkProblem };

/**
 * Whether `text` may be the CIDR of a VPC or a subnet: a well-formed network
 * block with a prefix of /8 to /29, clear of the reserved range and inside one
 * allowed range. The reserved range is checked before the allowed ranges so
 * the answer names the real reason even if the allowed ranges change.
 */
export function checkNetworkCidr(text: string): NetworkCheck {
  const parsed = parseCidr(text);
  if (!parsed.ok) return parsed;
  const { cidr } = parsed;
  if (cidr.prefix < MIN_PREFIX || cidr.prefix > MAX_PREFIX) return { ok: false, problem: 'prefix' };
  if (overlaps(cidr, RESERVED_RANGE)) return { ok: false, problem: 'reserved' };
  if (!ALLOWED_RANGES.some((r) => containsCidr(r, cidr))) return { ok: false, problem: 'range' };
  return { ok: true, cidr };
}
