/**
 * CRC32C (Castagnoli), as used by the PROXY protocol v2 PP2_TYPE_CRC32C TLV
 * (and by iSCSI, SCTP, ext4). Node 20 ships no CRC32C (zlib.crc32 in newer
 * Node is the IEEE polynomial, which would silently produce the wrong value),
 * so we carry our own.
 *
 * A single 256-entry table is enough: PROXY headers are capped at a few KiB by
 * the decoder, so slicing-by-8 would add complexity for no measurable gain.
 */

// The reflected form of 0x1EDC6F41. The reflected form is what the spec means:
// bits are processed least-significant first, matching RFC 3720's definition.
const POLYNOMIAL_REFLECTED = 0x82f63b78;

const TABLE: Uint32Array = buildTable();

function buildTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let bit = 0; bit < 8; bit++) {
      c = c & 1 ? (c >>> 1) ^ POLYNOMIAL_REFLECTED : c >>> 1;
    }
    table[n] = c >>> 0;
  }
  return table;
}

/**
 * CRC32C of `data` as an unsigned 32-bit integer.
 *
 * `previous` lets a caller checksum data that arrives in pieces:
 * `crc32c(b, crc32c(a))` equals `crc32c(concat(a, b))`. That works because the
 * pre- and post-inversion cancel out between calls.
 */
export function crc32c(data: Uint8Array, previous = 0): number {
  let crc = (previous ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) {
    // Both indexes are provably in range; the `?? 0` only satisfies
    // noUncheckedIndexedAccess without a non-null assertion.
    crc = (TABLE[(crc ^ (data[i] ?? 0)) & 0xff] ?? 0) ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}
