/**
 * Entry point for a socket reader: call it with everything received so far
 * until it stops answering 'incomplete'.
 */
import { decodeV1, V1_PREFIX } from './v1.ts';
import { decodeV2, V2_FIXED_LENGTH, V2_MAX_LENGTH, V2_SIGNATURE } from './v2.ts';
import type { DecodeOptions, DecodeResult, InetEndpoint, ProxyHeader } from './types.ts';

export const DEFAULT_MAX_V2_HEADER_LENGTH = 4096;

/** True when data and signature agree on their common prefix (so an empty buffer matches). */
function matchesPrefix(data: Uint8Array, signature: Buffer): boolean {
  const n = Math.min(data.length, signature.length);
  for (let i = 0; i < n; i++) if (data[i] !== signature[i]) return false;
  return true;
}

/**
 * Never throws for any input bytes; only a malformed `options` object throws
 * (RangeError), because that is a programming error rather than peer input.
 *
 * 'none' is answered only once the bytes cannot be the start of either
 * signature, so a caller that makes PROXY optional can safely pass such a
 * connection through; everything that claims to be a header and is not
 * valid is 'invalid'.
 */
export function decodeProxyHeader(data: Uint8Array, options: DecodeOptions = {}): DecodeResult {
  const maxV2 = options.maxV2HeaderLength ?? DEFAULT_MAX_V2_HEADER_LENGTH;
  if (!Number.isInteger(maxV2) || maxV2 < V2_FIXED_LENGTH || maxV2 > V2_MAX_LENGTH) {
    throw new RangeError(`maxV2HeaderLength must be an integer in ${V2_FIXED_LENGTH}..${V2_MAX_LENGTH}`);
  }
  const v2 = matchesPrefix(data, V2_SIGNATURE);
  const v1 = matchesPrefix(data, V1_PREFIX);
  // Both can only hold for an empty buffer, as the signatures differ in byte 0.
  if (v2 && v1) return { status: 'incomplete' };
  if (v2) return data.length < V2_SIGNATURE.length ? { status: 'incomplete' } : decodeV2(data, maxV2);
  if (!v1) return { status: 'none' };
  if (data.length < V1_PREFIX.length) return { status: 'incomplete' };
  if (options.allowV1 === false)
    return { status: 'invalid', reason: 'PROXY protocol v1 is not accepted here' };
  return decodeV1(data);
}

/**
 * The endpoints the spec says a receiver should use in place of the socket's
 * own, or null when it must keep the socket's: LOCAL commands (the proxy's
 * own connection), UNSPEC (v1 UNKNOWN) and UNIX families, whose paths mean
 * nothing to a TCP/UDP backend.
 */
export function proxiedInetEndpoints(
  header: ProxyHeader,
): { source: InetEndpoint; destination: InetEndpoint } | null {
  if (header.command !== 'PROXY') return null;
  if (header.family !== 'INET' && header.family !== 'INET6') return null;
  return { source: header.source, destination: header.destination };
}
