import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { LruMap } from './bounded-cache.ts';

// Tokens are self-contained and HMAC-signed with a secret kept in the store, so
// every API node sharing the database accepts every node's tokens without a
// lookup per request. The payload is not secret; only the MAC matters.

export interface TokenClaims {
  /** user id */
  u: string;
  /** domain (account) id */
  d: string;
  /** project id the token is scoped to, or null for a domain-scoped token */
  p: string | null;
  /** issued at, ms */
  i: number;
  /** expires at, ms */
  e: number;
  /** nonce, so two tokens issued in the same millisecond differ */
  n: string;
}

const PREFIX = 'MIIvpcep.';

function mac(secret: Buffer, payload: string): Buffer {
  return createHmac('sha256', secret).update(payload).digest();
}

/** Genuine tokens remembered per codec (see verify). */
const KNOWN_TOKENS = 4096;

export class TokenCodec {
  private readonly secret: Buffer;
  /**
   * Tokens that verified, by payload: the MAC their payload has and their
   * claims. A client sends its token with every request, and the MAC of the
   * same payload is the same every time; computing it (and decoding the
   * claims) was a tenth of an authenticated GET. The payload is not secret;
   * the MAC a request gives is still compared with the genuine one, in
   * constant time, on every request, and the expiry still checked. Only
   * payloads whose MAC was genuine are kept, so made-up ones never enter.
   */
  private readonly known = new LruMap<string, { mac: Buffer; claims: TokenClaims }>(KNOWN_TOKENS);

  constructor(secretHex: string) {
    this.secret = Buffer.from(secretHex, 'hex');
    if (this.secret.length < 32) throw new Error('token secret must be at least 32 bytes');
  }

  static newSecret(): string {
    return randomBytes(32).toString('hex');
  }

  issue(claims: Omit<TokenClaims, 'n'>): string {
    const full: TokenClaims = { ...claims, n: randomBytes(6).toString('base64url') };
    const payload = Buffer.from(JSON.stringify(full)).toString('base64url');
    return `${PREFIX}${payload}.${mac(this.secret, payload).toString('base64url')}`;
  }

  /** The claims of a genuine, unexpired token; undefined for anything else. */
  verify(token: string, now: number): TokenClaims | undefined {
    if (!token.startsWith(PREFIX) || token.length > 2048) return undefined;
    const [payload, sig, ...rest] = token.slice(PREFIX.length).split('.');
    if (payload === undefined || sig === undefined || rest.length > 0) return undefined;
    const given = decodeBase64Url(sig);
    if (!given) return undefined;
    const known = this.known.get(payload);
    if (known) return sameMac(given, known.mac) && known.claims.e > now ? known.claims : undefined;
    const expected = mac(this.secret, payload);
    if (!sameMac(given, expected)) return undefined;
    const json = decodeBase64Url(payload);
    if (!json) return undefined;
    let claims: unknown;
    try {
      claims = JSON.parse(json.toString('utf8'));
    } catch {
      return undefined;
    }
    if (!isClaims(claims)) return undefined;
    // Shared by every later request with this token: nobody may change it.
    this.known.set(payload, { mac: expected, claims: Object.freeze(claims) });
    return claims.e > now ? claims : undefined;
  }
}

function sameMac(given: Buffer, genuine: Buffer): boolean {
  return given.length === genuine.length && timingSafeEqual(given, genuine);
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Unpadded base64url in its one canonical spelling, or undefined. Node's own
 * decoder skips '=', whitespace and foreign characters, takes '+' and '/', and
 * ignores the unused low bits of the last character, so many strings decode to
 * the same bytes; re-encoding and comparing leaves exactly one.
 */
export function decodeBase64Url(text: string): Buffer | undefined {
  if (!BASE64URL.test(text) || text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}

function isClaims(v: unknown): v is TokenClaims {
  if (typeof v !== 'object' || v === null) return false;
  const c = v as Record<string, unknown>;
  return (
    typeof c.u === 'string' &&
    typeof c.d === 'string' &&
    (c.p === null || typeof c.p === 'string') &&
    typeof c.i === 'number' &&
    typeof c.e === 'number'
  );
}
