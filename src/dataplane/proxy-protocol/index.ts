export { crc32c } from '../crc32c.ts';
export { canonicalIpAddress } from './address.ts';
export { decodeProxyHeader, DEFAULT_MAX_V2_HEADER_LENGTH, proxiedInetEndpoints } from './decode.ts';
export {
  alpnTlv,
  authorityTlv,
  findTlv,
  markerIdTlv,
  netnsTlv,
  noopTlv,
  parseSslTlv,
  readAlpn,
  readAuthority,
  readMarkerId,
  readNetns,
  readUniqueId,
  readVni,
  SSL_CLIENT,
  SSL_SUBTYPE,
  sslTlv,
  TLV_TYPE,
  uniqueIdTlv,
  vniTlv,
} from './tlv.ts';
export type { SslInfo } from './tlv.ts';
export { encodeV1, V1_MAX_LENGTH, V1_PREFIX } from './v1.ts';
export type { EncodeV1Options } from './v1.ts';
export { encodeV2, V2_FIXED_LENGTH, V2_MAX_LENGTH, V2_SIGNATURE } from './v2.ts';
export type { EncodeV2Options } from './v2.ts';
export type {
  AddressFamily,
  Command,
  DecodeOptions,
  DecodeResult,
  InetEndpoint,
  ProxyHeader,
  Tlv,
  Transport,
  UnixEndpoint,
} from './types.ts';
