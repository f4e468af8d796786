/**
 * IP address text <-> bytes, kept dependency-free so the codec stays a leaf
 * module. node:net decides what is valid; the byte conversion and canonical
 * formatting are ours because node exposes no inet_pton/inet_ntop.
 */
import { isIPv4, isIPv6 } from 'node:net';

export function parseIPv4(text: string): Buffer | null {
  // node's isIPv4 rejects leading zeros ("010.0.0.1"), which the v1 spec also
  // forbids because such octets are read as octal by some parsers.
  if (!isIPv4(text)) return null;
  return Buffer.from(text.split('.').map(Number));
}

/**
 * Zone ids ("fe80::1%eth0") are refused: the PROXY protocol has no field for
 * them, so accepting one would silently drop part of the address.
 */
export function parseIPv6(text: string): Buffer | null {
  if (!isIPv6(text) || text.includes('%')) return null;
  let hex = text;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseIPv4(tail);
    if (v4 === null) return null;
    hex = `${text.slice(0, lastColon + 1)}${v4.readUInt16BE(0).toString(16)}:${v4.readUInt16BE(2).toString(16)}`;
  }
  const halves = hex.split('::');
  if (halves.length > 2) return null;
  const head = splitGroups(halves[0] ?? '');
  const rest = halves.length === 2 ? splitGroups(halves[1] ?? '') : [];
  if (head === null || rest === null) return null;
  const missing = 8 - head.length - rest.length;
  // Without "::" there must be exactly 8 groups; with it, "::" stands for at
  // least one zero group (RFC 4291).
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...rest];
  const bytes = Buffer.alloc(16);
  groups.forEach((g, i) => bytes.writeUInt16BE(g, i * 2));
  return bytes;
}

function splitGroups(part: string): number[] | null {
  if (part === '') return [];
  const groups: number[] = [];
  for (const g of part.split(':')) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    groups.push(parseInt(g, 16));
  }
  return groups;
}

export function formatIPv4(bytes: Uint8Array): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

export function isIPv4Mapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/**
 * RFC 5952 text: lowercase, no leading zeros, the longest run (first on a tie)
 * of two or more zero groups compressed to "::".
 *
 * `mixed` renders IPv4-mapped addresses as "::ffff:192.0.2.1" (RFC 5952 §5),
 * which is also how node reports such peers in socket.remoteAddress, so decoded
 * addresses compare equal to what the dataplane sees on its own sockets. The
 * deprecated IPv4-compatible form (::a.b.c.d) is deliberately not special-cased.
 * v1 encoding passes `mixed: false` because the v1 grammar only describes
 * colon-separated hex groups, and a strict peer might reject dotted quads.
 */
export function formatIPv6(bytes: Uint8Array, mixed = true): string {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, 16);
  if (mixed && isIPv4Mapped(view)) return `::ffff:${formatIPv4(view.subarray(12))}`;
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(view.readUInt16BE(i * 2));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (bestLen < 2) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

/** A parsed encoder input: which wire family it can use, and its bytes. */
export type ParsedIp = { family: 'INET'; bytes: Buffer } | { family: 'INET6'; bytes: Buffer };

export function parseIp(text: string): ParsedIp | null {
  const v4 = parseIPv4(text);
  if (v4 !== null) return { family: 'INET', bytes: v4 };
  const v6 = parseIPv6(text);
  return v6 === null ? null : { family: 'INET6', bytes: v6 };
}

/**
 * Canonical text for an IPv4 or IPv6 address, or null if it is neither.
 * Exported so callers can compare configured addresses with decoded ones.
 */
export function canonicalIpAddress(text: string): string | null {
  const ip = parseIp(text);
  if (ip === null) return null;
  return ip.family === 'INET' ? formatIPv4(ip.bytes) : formatIPv6(ip.bytes);
}

/**
 * Picks one wire family for a source/destination pair, because the header has
 * a single family byte.
 *
 * - Both IPv4, or both IPv4-mapped IPv6 / a mix of the two: encoded as IPv4.
 *   A dual-stack listener reports IPv4 clients as "::ffff:a.b.c.d"; sending
 *   those as INET6 would make the backend see v6 addresses for v4 clients.
 * - Otherwise at least one side is a genuine IPv6 address, so both are encoded
 *   as IPv6, a plain IPv4 side becoming its IPv4-mapped form (lossless).
 */
export function unifyFamilies(
  a: ParsedIp,
  b: ParsedIp,
): { family: 'INET' | 'INET6'; source: Buffer; destination: Buffer } {
  const asV4 = (ip: ParsedIp): Buffer | null =>
    ip.family === 'INET' ? ip.bytes : isIPv4Mapped(ip.bytes) ? ip.bytes.subarray(12) : null;
  const a4 = asV4(a);
  const b4 = asV4(b);
  if (a4 !== null && b4 !== null) return { family: 'INET', source: a4, destination: b4 };
  const asV6 = (ip: ParsedIp): Buffer =>
    ip.family === 'INET6'
      ? ip.bytes
      : Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]), ip.bytes]);
  return { family: 'INET6', source: asV6(a), destination: asV6(b) };
}

export function isPort(port: number): boolean {
  return Number.isInteger(port) && port >= 0 && port <= 0xffff;
}
