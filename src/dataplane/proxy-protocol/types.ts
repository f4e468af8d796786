/**
 * Shared types for the PROXY protocol codec (HAProxy "The PROXY protocol",
 * versions 1 and 2). The header is modelled as one shape for both versions so
 * the dataplane can handle a v1 and a v2 peer with the same code path.
 */

/**
 * LOCAL means "this connection was made by the proxy itself" (e.g. a health
 * check): the receiver must use the real socket endpoints and ignore any
 * address block. v1 has no LOCAL; its UNKNOWN is reported as PROXY + UNSPEC.
 */
export type Command = 'PROXY' | 'LOCAL';

export type AddressFamily = 'UNSPEC' | 'INET' | 'INET6' | 'UNIX';

export type Transport = 'UNSPEC' | 'STREAM' | 'DGRAM';

export interface InetEndpoint {
  address: string;
  port: number;
}

export interface UnixEndpoint {
  path: string;
}

/** A v2 Type-Length-Value extension. `type` is 0..255, `value` at most 65535 bytes. */
export interface Tlv {
  type: number;
  value: Buffer;
}

interface HeaderCommon {
  version: 1 | 2;
  command: Command;
  transport: Transport;
  /** Always empty for v1, which has no extensions. */
  tlvs: Tlv[];
}

/**
 * Discriminated on `family` so that a caller cannot read a port from a UNIX
 * header or an address from an UNSPEC one without the compiler noticing.
 */
export type ProxyHeader = HeaderCommon &
  (
    | { family: 'UNSPEC'; source: null; destination: null }
    | { family: 'INET' | 'INET6'; source: InetEndpoint; destination: InetEndpoint }
    | { family: 'UNIX'; source: UnixEndpoint; destination: UnixEndpoint }
  );

export type DecodeResult =
  | { status: 'incomplete' }
  | { status: 'none' }
  | { status: 'invalid'; reason: string }
  | { status: 'complete'; header: ProxyHeader; length: number };

export type InvalidResult = { status: 'invalid'; reason: string };

export interface DecodeOptions {
  /**
   * Largest v2 header (16 fixed bytes + address block + TLVs) we are willing to
   * buffer. The wire format allows 16 + 65535 bytes; a peer that announces more
   * than this is rejected as soon as the length field arrives, so a hostile
   * peer cannot make us hold 64 KiB per connection. Default 4096.
   */
  maxV2HeaderLength?: number;
  /**
   * Whether the text format is acceptable. A v2-only listener should set this
   * to false: a v1 header is then reported as invalid rather than as `none`,
   * so it can never be forwarded to the backend as if it were payload.
   * Default true.
   */
  allowV1?: boolean;
}

export function invalid(reason: string): InvalidResult {
  return { status: 'invalid', reason };
}
