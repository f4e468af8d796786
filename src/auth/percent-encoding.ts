// Percent-encoding as the request signers apply it. The wire path and query
// reach us as latin1 strings (one character per byte), so decoding works on
// bytes and never guesses at UTF-8.

const UNRESERVED = /[A-Za-z0-9\-_.~]/;

function hex(b: number): string {
  return '%' + b.toString(16).toUpperCase().padStart(2, '0');
}

/** RFC 3986 encoding with upper-case hex: everything but `A–Z a–z 0–9 - _ . ~` is escaped. */
export function encodeBytes(bytes: Buffer): string {
  let out = '';
  for (const b of bytes) {
    const ch = String.fromCharCode(b);
    out += b < 0x80 && UNRESERVED.test(ch) ? ch : hex(b);
  }
  return out;
}

/** A string that RFC 3986 encoding leaves as it is: most keys, values and path segments. */
const UNRESERVED_ONLY = /^[A-Za-z0-9\-_.~]*$/;

export function uriEncode(value: string): string {
  // Every byte of such a string is an unreserved ASCII character, which encodes as itself.
  if (UNRESERVED_ONLY.test(value)) return value;
  return encodeBytes(Buffer.from(value, 'utf8'));
}

/**
 * Go's `url.QueryEscape`, which `url.Values.Encode` applies: as above, except
 * that a space becomes `+`.
 */
export function formEncode(bytes: Buffer): string {
  let out = '';
  for (const b of bytes) {
    const ch = String.fromCharCode(b);
    out += b === 0x20 ? '+' : b < 0x80 && UNRESERVED.test(ch) ? ch : hex(b);
  }
  return out;
}

const HEX2 = /^[0-9A-Fa-f]{2}$/;

function decode(value: string, plusIsSpace: boolean, strict: boolean): Buffer | undefined {
  const raw = Buffer.from(value, 'latin1');
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i] ?? 0;
    if (b === 0x25) {
      const pair = raw.toString('latin1', i + 1, i + 3);
      if (HEX2.test(pair)) {
        bytes.push(parseInt(pair, 16));
        i += 2;
        continue;
      }
      if (strict) return undefined;
    }
    bytes.push(b === 0x2b && plusIsSpace ? 0x20 : b);
  }
  return Buffer.from(bytes);
}

/**
 * Percent-decodes a wire string to bytes, keeping a malformed escape literally
 * as lenient decoders (fastify's among them) do. In a query `+` is a space.
 */
export function percentDecode(value: string, plusIsSpace: boolean): Buffer {
  return decode(value, plusIsSpace, false) ?? Buffer.alloc(0);
}

/** Go's `url.QueryUnescape`: `+` is a space, and a malformed escape makes the value invalid. */
export function queryUnescape(value: string): Buffer | undefined {
  return decode(value, true, true);
}
