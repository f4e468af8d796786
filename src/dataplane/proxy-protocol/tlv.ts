/**
 * PROXY v2 TLV types, constructors for the ones we emit and readers for the
 * ones we consume. Unknown TLVs stay in the generic list: the spec requires
 * receivers to ignore them, not to drop the connection.
 */
import type { Tlv } from './types.ts';

export const TLV_TYPE = {
  ALPN: 0x01,
  AUTHORITY: 0x02,
  CRC32C: 0x03,
  NOOP: 0x04,
  UNIQUE_ID: 0x05,
  SSL: 0x20,
  NETNS: 0x30,
  /** VPCEP: endpoint marker_id, uint32 big-endian. */
  VPCEP_MARKER_ID: 0xe0,
  /** VPCEP: consumer VPC virtual network id, uint32 big-endian. */
  VPCEP_VNI: 0xe1,
} as const;

/** Sub-TLV types inside a PP2_TYPE_SSL value. */
export const SSL_SUBTYPE = {
  VERSION: 0x21,
  CN: 0x22,
  CIPHER: 0x23,
  SIG_ALG: 0x24,
  KEY_ALG: 0x25,
} as const;

/** Bits of the SSL TLV `client` field. */
export const SSL_CLIENT = {
  SSL: 0x01,
  CERT_CONN: 0x02,
  CERT_SESS: 0x04,
} as const;

/**
 * TLV types whose value we give a meaning to and that would be ambiguous if
 * repeated (which checksum? which marker?). The decoder rejects duplicates of
 * these rather than picking one, because the marker and VNI drive access
 * decisions and must fail closed.
 */
export const SINGLETON_TLV_TYPES: readonly number[] = [
  TLV_TYPE.CRC32C,
  TLV_TYPE.VPCEP_MARKER_ID,
  TLV_TYPE.VPCEP_VNI,
];

/** Fixed value sizes that the decoder enforces, so the readers below never see a short value. */
export const FIXED_TLV_LENGTH: ReadonlyMap<number, number> = new Map([
  [TLV_TYPE.CRC32C, 4],
  [TLV_TYPE.VPCEP_MARKER_ID, 4],
  [TLV_TYPE.VPCEP_VNI, 4],
]);

function uint32Tlv(type: number, n: number, what: string): Tlv {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new RangeError(`${what} must be an integer in 0..4294967295, got ${n}`);
  }
  const value = Buffer.alloc(4);
  value.writeUInt32BE(n);
  return { type, value };
}

export function markerIdTlv(markerId: number): Tlv {
  return uint32Tlv(TLV_TYPE.VPCEP_MARKER_ID, markerId, 'marker_id');
}

export function vniTlv(vni: number): Tlv {
  return uint32Tlv(TLV_TYPE.VPCEP_VNI, vni, 'VNI');
}

/** `protocol` is the negotiated ALPN id, e.g. "h2"; stored as raw bytes. */
export function alpnTlv(protocol: string | Uint8Array): Tlv {
  return { type: TLV_TYPE.ALPN, value: Buffer.from(protocol) };
}

/** The host name the client asked for (TLS SNI or HTTP Host), UTF-8 per the spec. */
export function authorityTlv(hostname: string): Tlv {
  return { type: TLV_TYPE.AUTHORITY, value: Buffer.from(hostname, 'utf8') };
}

export function uniqueIdTlv(id: Uint8Array): Tlv {
  // The spec caps UNIQUE_ID at 128 bytes so receivers can store it in a fixed slot.
  if (id.length > 128) throw new RangeError(`UNIQUE_ID must be at most 128 bytes, got ${id.length}`);
  return { type: TLV_TYPE.UNIQUE_ID, value: Buffer.from(id) };
}

/** Padding, e.g. to align the payload that follows; receivers skip it. */
export function noopTlv(length: number): Tlv {
  return { type: TLV_TYPE.NOOP, value: Buffer.alloc(length) };
}

/** Network namespace name, US-ASCII per the spec. */
export function netnsTlv(name: string): Tlv {
  return { type: TLV_TYPE.NETNS, value: Buffer.from(name, 'ascii') };
}

export interface SslInfo {
  /** Bit field of SSL_CLIENT flags. */
  client: number;
  /** 0 when the client presented a certificate that verified. */
  verify: number;
  subTlvs: Tlv[];
}

export function sslTlv(info: SslInfo): Tlv {
  const head = Buffer.alloc(5);
  head.writeUInt8(info.client);
  head.writeUInt32BE(info.verify, 1);
  return { type: TLV_TYPE.SSL, value: Buffer.concat([head, serializeTlvs(info.subTlvs)]) };
}

/** Null when the value is malformed; the decoder does not validate SSL values. */
export function parseSslTlv(value: Uint8Array): SslInfo | null {
  if (value.length < 5) return null;
  const buf = Buffer.from(value.buffer, value.byteOffset, value.length);
  const subTlvs = parseTlvs(buf, 5, buf.length);
  if (subTlvs === null) return null;
  return { client: buf.readUInt8(0), verify: buf.readUInt32BE(1), subTlvs };
}

type HasTlvs = { tlvs: readonly Tlv[] };

/** First TLV value of the given type, or undefined. */
export function findTlv(from: HasTlvs, type: number): Buffer | undefined {
  return from.tlvs.find((t) => t.type === type)?.value;
}

function readUint32(from: HasTlvs, type: number, what: string): number | undefined {
  const value = findTlv(from, type);
  if (value === undefined) return undefined;
  // Only reachable for hand-built headers: decodeProxyHeader rejects other lengths.
  if (value.length !== 4) throw new RangeError(`${what} TLV must be 4 bytes, got ${value.length}`);
  return value.readUInt32BE(0);
}

export function readMarkerId(from: HasTlvs): number | undefined {
  return readUint32(from, TLV_TYPE.VPCEP_MARKER_ID, 'marker_id');
}

export function readVni(from: HasTlvs): number | undefined {
  return readUint32(from, TLV_TYPE.VPCEP_VNI, 'VNI');
}

export function readAuthority(from: HasTlvs): string | undefined {
  return findTlv(from, TLV_TYPE.AUTHORITY)?.toString('utf8');
}

export function readAlpn(from: HasTlvs): Buffer | undefined {
  return findTlv(from, TLV_TYPE.ALPN);
}

export function readUniqueId(from: HasTlvs): Buffer | undefined {
  return findTlv(from, TLV_TYPE.UNIQUE_ID);
}

export function readNetns(from: HasTlvs): string | undefined {
  return findTlv(from, TLV_TYPE.NETNS)?.toString('ascii');
}

export function serializeTlvs(tlvs: readonly Tlv[]): Buffer {
  const parts: Buffer[] = [];
  for (const { type, value } of tlvs) {
    if (!Number.isInteger(type) || type < 0 || type > 0xff) {
      throw new RangeError(`TLV type must be an integer in 0..255, got ${type}`);
    }
    if (value.length > 0xffff)
      throw new RangeError(`TLV value must be at most 65535 bytes, got ${value.length}`);
    const head = Buffer.alloc(3);
    head.writeUInt8(type);
    head.writeUInt16BE(value.length, 1);
    parts.push(head, value);
  }
  return Buffer.concat(parts);
}

/**
 * TLVs in buf[start, end), or null if the region is not an exact sequence of
 * whole TLVs. Values are copied so that a caller reusing its receive buffer
 * cannot change a header it has already accepted.
 */
export function parseTlvs(buf: Buffer, start: number, end: number): Tlv[] | null {
  const tlvs: Tlv[] = [];
  let offset = start;
  while (offset < end) {
    if (end - offset < 3) return null;
    const type = buf.readUInt8(offset);
    const length = buf.readUInt16BE(offset + 1);
    const valueStart = offset + 3;
    if (valueStart + length > end) return null;
    tlvs.push({ type, value: Buffer.from(buf.subarray(valueStart, valueStart + length)) });
    offset = valueStart + length;
  }
  return tlvs;
}
