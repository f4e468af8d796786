/**
 * PROXY protocol v1: a single ASCII line, e.g.
 * "PROXY TCP4 192.0.2.1 198.51.100.1 56324 443\r\n".
 */
import { formatIPv4, formatIPv6, isPort, parseIp, parseIPv4, parseIPv6, unifyFamilies } from './address.ts';
import { invalid } from './types.ts';
import type { DecodeResult, InetEndpoint, ProxyHeader } from './types.ts';

/**
 * Longest legal line including CRLF: "PROXY UNKNOWN" followed by two
 * full-length IPv6 addresses and two 5-digit ports. Receivers may stop
 * looking for CRLF after this many bytes.
 */
export const V1_MAX_LENGTH = 107;

/** What identifies a v1 header; the space is included so "PROXYX" is not mistaken for one. */
export const V1_PREFIX = Buffer.from('PROXY ', 'latin1');

export interface EncodeV1Options {
  /** Both endpoints or neither; neither produces "PROXY UNKNOWN\r\n". */
  source?: InetEndpoint;
  destination?: InetEndpoint;
}

/**
 * Family selection follows encodeV2: IPv4-mapped IPv6 pairs become TCP4, and a
 * pair with a genuine IPv6 side becomes TCP6. TCP6 addresses are written in
 * pure hex, because the v1 grammar does not mention the dotted-quad suffix.
 */
export function encodeV1(options: EncodeV1Options = {}): Buffer {
  const { source, destination } = options;
  if (source === undefined && destination === undefined) return Buffer.from('PROXY UNKNOWN\r\n', 'latin1');
  if (source === undefined || destination === undefined) {
    throw new TypeError('encodeV1 needs both source and destination, or neither');
  }
  const src = parseIp(source.address);
  const dst = parseIp(destination.address);
  if (src === null) throw new RangeError(`invalid source address ${JSON.stringify(source.address)}`);
  if (dst === null)
    throw new RangeError(`invalid destination address ${JSON.stringify(destination.address)}`);
  if (!isPort(source.port)) throw new RangeError(`invalid source port ${source.port}`);
  if (!isPort(destination.port)) throw new RangeError(`invalid destination port ${destination.port}`);
  const unified = unifyFamilies(src, dst);
  const [proto, fmt] =
    unified.family === 'INET' ? ['TCP4', formatIPv4] : ['TCP6', (b: Buffer): string => formatIPv6(b, false)];
  const line = `PROXY ${proto} ${fmt(unified.source)} ${fmt(unified.destination)} ${source.port} ${destination.port}\r\n`;
  return Buffer.from(line, 'latin1');
}

const PROTOCOLS = ['TCP4', 'TCP6', 'UNKNOWN'] as const;
const PORT_RE = /^(?:0|[1-9][0-9]{0,4})$/;

function parsePort(token: string): number | null {
  if (!PORT_RE.test(token)) return null;
  const port = Number(token);
  return port <= 0xffff ? port : null;
}

/**
 * Decodes a buffer that starts with V1_PREFIX (the caller has checked).
 *
 * Without a CRLF we still check that what we have could begin a valid line.
 * That lets us drop an obviously broken peer at once instead of waiting for
 * up to 107 bytes, while never rejecting a prefix of a valid header.
 */
export function decodeV1(data: Uint8Array): DecodeResult {
  const window = Math.min(data.length, V1_MAX_LENGTH);
  let crlf = -1;
  for (let i = 0; i + 1 < window; i++) {
    if (data[i] === 0x0d && data[i + 1] === 0x0a) {
      crlf = i;
      break;
    }
  }
  if (crlf === -1) {
    if (data.length >= V1_MAX_LENGTH) return invalid(`v1 header has no CRLF within ${V1_MAX_LENGTH} bytes`);
    let text = Buffer.from(data.buffer, data.byteOffset, data.length).toString('latin1');
    // A trailing CR may be the first half of the CRLF that is still in flight.
    if (text.endsWith('\r')) text = text.slice(0, -1);
    const reason = checkViablePrefix(text);
    return reason === null ? { status: 'incomplete' } : invalid(reason);
  }
  const line = Buffer.from(data.buffer, data.byteOffset, crlf).toString('latin1');
  const parsed = parseLine(line);
  return typeof parsed === 'string'
    ? invalid(parsed)
    : { status: 'complete', header: parsed, length: crlf + 2 };
}

function parseLine(line: string): ProxyHeader | string {
  const tokens = line.split(' ');
  const proto = tokens[1];
  if (proto === 'UNKNOWN') {
    // The spec tells receivers to ignore whatever follows UNKNOWN.
    return {
      version: 1,
      command: 'PROXY',
      family: 'UNSPEC',
      transport: 'UNSPEC',
      source: null,
      destination: null,
      tlvs: [],
    };
  }
  if (proto !== 'TCP4' && proto !== 'TCP6')
    return `v1 header has unknown protocol ${JSON.stringify(proto?.slice(0, 16))}`;
  if (tokens.length !== 6) return `v1 ${proto} header must have exactly 6 space-separated fields`;
  const [, , srcText = '', dstText = '', sportText = '', dportText = ''] = tokens;
  const parse = proto === 'TCP4' ? parseIPv4 : parseIPv6;
  const src = parse(srcText);
  const dst = parse(dstText);
  if (src === null) return `v1 ${proto} header has invalid source address`;
  if (dst === null) return `v1 ${proto} header has invalid destination address`;
  const sport = parsePort(sportText);
  const dport = parsePort(dportText);
  if (sport === null) return 'v1 header has invalid source port';
  if (dport === null) return 'v1 header has invalid destination port';
  const fmt = proto === 'TCP4' ? formatIPv4 : (b: Buffer): string => formatIPv6(b);
  return {
    version: 1,
    command: 'PROXY',
    family: proto === 'TCP4' ? 'INET' : 'INET6',
    transport: 'STREAM',
    source: { address: fmt(src), port: sport },
    destination: { address: fmt(dst), port: dport },
    tlvs: [],
  };
}

/**
 * Null if `text` (a line without its CRLF, possibly cut short) can still be
 * completed into a valid header, else the reason it cannot. Complete tokens
 * get full validation; the last, possibly partial, token only a character and
 * length check, which is loose but never rejects a real prefix.
 */
function checkViablePrefix(text: string): string | null {
  const tokens = text.split(' ');
  const last = tokens.length - 1;
  const proto = tokens[1] ?? '';
  if (last === 1) {
    return PROTOCOLS.some((p) => p.startsWith(proto)) ? null : `v1 header has unknown protocol`;
  }
  if (proto === 'UNKNOWN') return null;
  if (proto !== 'TCP4' && proto !== 'TCP6') return `v1 header has unknown protocol`;
  if (last > 5) return `v1 ${proto} header has too many fields`;
  const addrChars = proto === 'TCP4' ? /^[0-9.]{0,15}$/ : /^[0-9a-fA-F:.]{0,45}$/;
  const parseAddr = proto === 'TCP4' ? parseIPv4 : parseIPv6;
  for (let i = 2; i <= last; i++) {
    const token = tokens[i] ?? '';
    const isAddress = i <= 3;
    if (i < last) {
      const ok = isAddress ? parseAddr(token) !== null : parsePort(token) !== null;
      if (!ok) return `v1 ${proto} header has an invalid ${isAddress ? 'address' : 'port'}`;
    } else if (isAddress ? !addrChars.test(token) : !viablePortPrefix(token)) {
      return `v1 ${proto} header has an invalid ${isAddress ? 'address' : 'port'}`;
    }
  }
  return null;
}

function viablePortPrefix(token: string): boolean {
  return token === '' || parsePort(token) !== null;
}
