/**
 * PROXY protocol v2: a 16-byte fixed part (signature, version/command,
 * family/transport, length), an address block sized by the family, then TLVs.
 */
import { crc32c } from '../crc32c.ts';
import { formatIPv4, formatIPv6, isPort, parseIp, unifyFamilies } from './address.ts';
import { FIXED_TLV_LENGTH, parseTlvs, serializeTlvs, SINGLETON_TLV_TYPES, TLV_TYPE } from './tlv.ts';
import { invalid } from './types.ts';
import type {
  AddressFamily,
  Command,
  DecodeResult,
  InetEndpoint,
  ProxyHeader,
  Tlv,
  Transport,
  UnixEndpoint,
} from './types.ts';

/** Chosen by the spec to be invalid at the start of any common text protocol. */
export const V2_SIGNATURE = Buffer.from([
  0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
]);
export const V2_FIXED_LENGTH = 16;
export const V2_MAX_LENGTH = V2_FIXED_LENGTH + 0xffff;

const COMMAND_BITS: Record<Command, number> = { LOCAL: 0x0, PROXY: 0x1 };
const FAMILY_BITS: Record<AddressFamily, number> = { UNSPEC: 0x0, INET: 0x1, INET6: 0x2, UNIX: 0x3 };
const TRANSPORT_BITS: Record<Transport, number> = { UNSPEC: 0x0, STREAM: 0x1, DGRAM: 0x2 };
const ADDRESS_BLOCK_LENGTH: Record<AddressFamily, number> = { UNSPEC: 0, INET: 12, INET6: 36, UNIX: 216 };
const UNIX_PATH_LENGTH = 108;

/**
 * The spec defines exactly these family/transport bytes and requires
 * receivers to reject anything else (e.g. INET with UNSPEC transport).
 */
const FAMILY_BYTES = new Map<number, { family: AddressFamily; transport: Transport }>([
  [0x00, { family: 'UNSPEC', transport: 'UNSPEC' }],
  [0x11, { family: 'INET', transport: 'STREAM' }],
  [0x12, { family: 'INET', transport: 'DGRAM' }],
  [0x21, { family: 'INET6', transport: 'STREAM' }],
  [0x22, { family: 'INET6', transport: 'DGRAM' }],
  [0x31, { family: 'UNIX', transport: 'STREAM' }],
  [0x32, { family: 'UNIX', transport: 'DGRAM' }],
]);

export interface EncodeV2Options {
  command: Command;
  /** Default 'STREAM'. Ignored when there are no addresses: the spec defines no UNSPEC/STREAM byte. */
  transport?: 'STREAM' | 'DGRAM';
  /**
   * Both or neither. Neither yields an AF_UNSPEC header, which is what LOCAL
   * normally carries. Two IP endpoints pick the family as described at
   * unifyFamilies (IPv4-mapped pairs are sent as IPv4); two `{ path }`
   * endpoints produce AF_UNIX.
   */
  source?: InetEndpoint | UnixEndpoint;
  destination?: InetEndpoint | UnixEndpoint;
  tlvs?: readonly Tlv[];
  /** Append a PP2_TYPE_CRC32C TLV covering the whole header. */
  crc32c?: boolean;
}

export function encodeV2(options: EncodeV2Options): Buffer {
  const { command, source, destination, tlvs = [] } = options;
  const transport = options.transport ?? 'STREAM';
  // Checked at run time too: the dataplane may pass values read from config.
  if (command !== 'PROXY' && command !== 'LOCAL') {
    throw new RangeError(`invalid command ${String(command)}`);
  }
  if (transport !== 'STREAM' && transport !== 'DGRAM') {
    throw new RangeError(`invalid transport ${String(transport)}`);
  }
  for (const t of tlvs) {
    // A caller-supplied CRC TLV would carry a value we did not compute, so
    // every strict receiver would reject the header.
    if (t.type === TLV_TYPE.CRC32C) throw new RangeError('use the crc32c option instead of a CRC32C TLV');
    const fixed = FIXED_TLV_LENGTH.get(t.type);
    if (fixed !== undefined && t.value.length !== fixed) {
      throw new RangeError(`TLV 0x${t.type.toString(16)} must be ${fixed} bytes, got ${t.value.length}`);
    }
  }
  for (const type of SINGLETON_TLV_TYPES) {
    if (tlvs.filter((t) => t.type === type).length > 1) {
      throw new RangeError(`TLV 0x${type.toString(16)} may appear at most once`);
    }
  }

  const { family, block } = encodeAddresses(source, destination);
  const familyByte = family === 'UNSPEC' ? 0x00 : (FAMILY_BITS[family] << 4) | TRANSPORT_BITS[transport];
  const allTlvs = options.crc32c ? [...tlvs, { type: TLV_TYPE.CRC32C, value: Buffer.alloc(4) }] : tlvs;
  const tlvBytes = serializeTlvs(allTlvs);
  const length = block.length + tlvBytes.length;
  if (length > 0xffff) throw new RangeError(`v2 header body is ${length} bytes; the limit is 65535`);

  const fixed = Buffer.alloc(V2_FIXED_LENGTH);
  V2_SIGNATURE.copy(fixed);
  fixed.writeUInt8(0x20 | COMMAND_BITS[command], 12);
  fixed.writeUInt8(familyByte, 13);
  fixed.writeUInt16BE(length, 14);
  const header = Buffer.concat([fixed, block, tlvBytes]);
  if (options.crc32c) {
    // The CRC TLV was appended last with a zero value, which is exactly the
    // state the spec says to checksum; its value is the final 4 bytes.
    header.writeUInt32BE(crc32c(header), header.length - 4);
  }
  return header;
}

function encodeAddresses(
  source: InetEndpoint | UnixEndpoint | undefined,
  destination: InetEndpoint | UnixEndpoint | undefined,
): { family: AddressFamily; block: Buffer } {
  if (source === undefined && destination === undefined) return { family: 'UNSPEC', block: Buffer.alloc(0) };
  if (source === undefined || destination === undefined) {
    throw new TypeError('encodeV2 needs both source and destination, or neither');
  }
  if ('path' in source || 'path' in destination) {
    if (!('path' in source) || !('path' in destination)) {
      throw new TypeError('source and destination must both be UNIX or both be IP endpoints');
    }
    const block = Buffer.alloc(2 * UNIX_PATH_LENGTH);
    writeUnixPath(block, 0, source.path);
    writeUnixPath(block, UNIX_PATH_LENGTH, destination.path);
    return { family: 'UNIX', block };
  }
  const src = parseIp(source.address);
  const dst = parseIp(destination.address);
  if (src === null) throw new RangeError(`invalid source address ${JSON.stringify(source.address)}`);
  if (dst === null)
    throw new RangeError(`invalid destination address ${JSON.stringify(destination.address)}`);
  if (!isPort(source.port)) throw new RangeError(`invalid source port ${source.port}`);
  if (!isPort(destination.port)) throw new RangeError(`invalid destination port ${destination.port}`);
  const unified = unifyFamilies(src, dst);
  const ports = Buffer.alloc(4);
  ports.writeUInt16BE(source.port, 0);
  ports.writeUInt16BE(destination.port, 2);
  return { family: unified.family, block: Buffer.concat([unified.source, unified.destination, ports]) };
}

function writeUnixPath(block: Buffer, offset: number, path: string): void {
  const bytes = Buffer.from(path, 'utf8');
  // NUL terminates the path on decode, so an embedded one would truncate it.
  if (bytes.includes(0)) throw new RangeError('UNIX socket path must not contain NUL');
  if (bytes.length > UNIX_PATH_LENGTH)
    throw new RangeError(`UNIX socket path exceeds ${UNIX_PATH_LENGTH} bytes`);
  bytes.copy(block, offset);
}

function readUnixPath(block: Buffer, offset: number): string {
  const field = block.subarray(offset, offset + UNIX_PATH_LENGTH);
  const nul = field.indexOf(0);
  return field.subarray(0, nul === -1 ? field.length : nul).toString('utf8');
}

/**
 * Decodes a buffer that starts with (a prefix of) V2_SIGNATURE. Each field is
 * checked as soon as its bytes arrive so a bad peer is dropped early, and the
 * length is checked against `maxLength` before we wait for the body.
 */
export function decodeV2(data: Uint8Array, maxLength: number): DecodeResult {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.length);
  if (buf.length > 12) {
    const verCmd = buf.readUInt8(12);
    if (verCmd >> 4 !== 0x2) return invalid(`unsupported v2 version nibble 0x${(verCmd >> 4).toString(16)}`);
    if ((verCmd & 0x0f) > 0x1) return invalid(`unsupported v2 command 0x${(verCmd & 0x0f).toString(16)}`);
  }
  if (buf.length > 13 && !FAMILY_BYTES.has(buf.readUInt8(13))) {
    return invalid(
      `unsupported v2 family/transport byte 0x${buf.readUInt8(13).toString(16).padStart(2, '0')}`,
    );
  }
  if (buf.length < V2_FIXED_LENGTH) return { status: 'incomplete' };

  const command: Command = (buf.readUInt8(12) & 0x0f) === 0x1 ? 'PROXY' : 'LOCAL';
  const { family, transport } = FAMILY_BYTES.get(buf.readUInt8(13)) ?? {
    family: 'UNSPEC',
    transport: 'UNSPEC',
  };
  const total = V2_FIXED_LENGTH + buf.readUInt16BE(14);
  if (total > maxLength) return invalid(`v2 header of ${total} bytes exceeds the ${maxLength}-byte limit`);
  const addressEnd = V2_FIXED_LENGTH + ADDRESS_BLOCK_LENGTH[family];
  // Also applied to LOCAL: without a complete address block we could not tell
  // where the TLVs start, so the header is structurally broken either way.
  if (total < addressEnd) return invalid(`v2 length too short for a ${family} address block`);
  if (buf.length < total) return { status: 'incomplete' };

  const tlvs = parseTlvs(buf, addressEnd, total);
  if (tlvs === null) return invalid('v2 TLVs do not exactly fill the header length');
  const tlvProblem = checkTlvs(buf, total, addressEnd, tlvs);
  if (tlvProblem !== null) return invalid(tlvProblem);

  const common = { version: 2 as const, command, transport, tlvs };
  const length = total;
  const at = V2_FIXED_LENGTH;
  if (family === 'UNSPEC') {
    return { status: 'complete', length, header: { ...common, family, source: null, destination: null } };
  }
  if (family === 'UNIX') {
    const header: ProxyHeader = {
      ...common,
      family,
      source: { path: readUnixPath(buf, at) },
      destination: { path: readUnixPath(buf, at + UNIX_PATH_LENGTH) },
    };
    return { status: 'complete', length, header };
  }
  const size = family === 'INET' ? 4 : 16;
  const fmt = (offset: number): string => {
    const bytes = buf.subarray(offset, offset + size);
    return family === 'INET' ? formatIPv4(bytes) : formatIPv6(bytes);
  };
  const header: ProxyHeader = {
    ...common,
    family,
    source: { address: fmt(at), port: buf.readUInt16BE(at + 2 * size) },
    destination: { address: fmt(at + size), port: buf.readUInt16BE(at + 2 * size + 2) },
  };
  return { status: 'complete', length, header };
}

function checkTlvs(buf: Buffer, total: number, tlvStart: number, tlvs: Tlv[]): string | null {
  for (const type of SINGLETON_TLV_TYPES) {
    if (tlvs.filter((t) => t.type === type).length > 1) return `duplicate v2 TLV 0x${type.toString(16)}`;
  }
  for (const t of tlvs) {
    const fixed = FIXED_TLV_LENGTH.get(t.type);
    if (fixed !== undefined && t.value.length !== fixed) {
      return `v2 TLV 0x${t.type.toString(16)} must be ${fixed} bytes, got ${t.value.length}`;
    }
  }
  const crcTlv = tlvs.find((t) => t.type === TLV_TYPE.CRC32C);
  if (crcTlv === undefined) return null;
  // Recompute over a copy with the CRC value zeroed; the value's position is
  // found by walking the TLVs again since parseTlvs returned copies.
  const copy = Buffer.from(buf.subarray(0, total));
  let offset = tlvStart;
  for (const t of tlvs) {
    if (t.type === TLV_TYPE.CRC32C) copy.fill(0, offset + 3, offset + 7);
    offset += 3 + t.value.length;
  }
  const expected = crcTlv.value.readUInt32BE(0);
  const actual = crc32c(copy);
  return actual === expected
    ? null
    : `v2 CRC32C mismatch: header says 0x${hex32(expected)}, computed 0x${hex32(actual)}`;
}

function hex32(n: number): string {
  return n.toString(16).padStart(8, '0');
}
