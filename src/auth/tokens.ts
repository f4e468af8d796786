import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

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

export class TokenCodec {
  private readonly secret: Buffer;

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
    if (!payload || !sig || rest.length > 0) return undefined;
    const given = Buffer.from(sig, 'base64url');
    const expected = mac(this.secret, payload);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    let claims: TokenClaims;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TokenClaims;
    } catch {
      return undefined;
    }
    if (typeof claims.e !== 'number' || claims.e <= now) return undefined;
    return claims;
  }
}
