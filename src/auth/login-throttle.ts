import ipaddr from 'ipaddr.js';
import type { Clock } from '../context/clock.ts';
import { LruMap } from './bounded-cache.ts';

// Failed-login limiting for the password method, as IAM's login policy does it:
// N failures for one user within a window lock that user for a while, and a
// more generous limit per client address stops one address from trying a few
// passwords on many users. A refused attempt runs no scrypt, so a locked-out
// guesser costs the server next to nothing.
//
// Counters live in this process's memory: each API node counts on its own, and a
// restart forgets them. Each map keeps at most `maxTracked` keys, dropping the
// least recently active first, so made-up user names cannot grow it.

export interface LoginLockoutPolicy {
  /** Failed logins of one user within `window_seconds` that lock it. */
  max_failures: number;
  window_seconds: number;
  /** How long a locked user (or address) is refused. */
  lockout_seconds: number;
  /** Failed logins from one client address within `window_seconds` that lock the address. */
  max_failures_per_address: number;
}

export type LoginRefusal = 'user-locked' | 'address-locked';

/** One running login: exactly one of the three must be called when it ends. */
export interface LoginAttempt {
  /** The password was right: the user's failures are forgotten. */
  succeeded(): void;
  /** The user, account or password was wrong. */
  failed(): void;
  /** The attempt ended without an answer on the password (a store fault). */
  abandoned(): void;
}

interface Counter {
  failures: number;
  windowStart: number;
  /** Attempts running now; they count against the limit until they end. */
  pending: number;
  lockedUntil: number;
}

/** Failures per key within a window; reaching the limit locks the key. */
class FailureCounter {
  private readonly counters: LruMap<string, Counter>;

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
    private readonly lockMs: number,
    maxTracked: number,
  ) {
    this.counters = new LruMap(maxTracked);
  }

  get size(): number {
    return this.counters.size;
  }

  /** Whether `key` may try now; when it may, one attempt is counted as running. */
  begin(key: string, now: number): boolean {
    const c = this.current(key, now);
    // Attempts already running count too, so a burst of parallel guesses cannot
    // all start before the first failure is recorded.
    if (c.lockedUntil > now || c.failures + c.pending >= this.maxFailures) return false;
    c.pending++;
    this.counters.set(key, c);
    return true;
  }

  failed(key: string, now: number): void {
    const c = this.current(key, now);
    c.pending = Math.max(0, c.pending - 1);
    c.failures++;
    if (c.failures >= this.maxFailures) {
      c.lockedUntil = now + this.lockMs;
      c.failures = 0;
      c.windowStart = now + this.lockMs;
    }
    this.counters.set(key, c);
  }

  /** Ends a running attempt; `forgive` also forgets the key's failures. */
  ended(key: string, now: number, forgive: boolean): void {
    const c = this.current(key, now);
    c.pending = Math.max(0, c.pending - 1);
    if (forgive) c.failures = 0;
    if (c.failures === 0 && c.pending === 0 && c.lockedUntil <= now) this.counters.delete(key);
    else this.counters.set(key, c);
  }

  private current(key: string, now: number): Counter {
    const c = this.counters.get(key) ?? { failures: 0, windowStart: now, pending: 0, lockedUntil: 0 };
    if (now - c.windowStart >= this.windowMs) {
      c.failures = 0;
      c.windowStart = now;
    }
    return c;
  }
}

export class LoginThrottle {
  private readonly users: FailureCounter;
  private readonly addresses: FailureCounter;

  constructor(
    policy: LoginLockoutPolicy,
    private readonly clock: Clock,
    maxTracked = 10_000,
  ) {
    const windowMs = policy.window_seconds * 1000;
    const lockMs = policy.lockout_seconds * 1000;
    this.users = new FailureCounter(policy.max_failures, windowMs, lockMs, maxTracked);
    this.addresses = new FailureCounter(policy.max_failures_per_address, windowMs, lockMs, maxTracked);
  }

  /** Keys tracked now, users and addresses together (bounded by twice `maxTracked`). */
  get size(): number {
    return this.users.size + this.addresses.size;
  }

  /**
   * Starts a login of the user named by `userKey` (the same key whether or not
   * the user exists) from `address`, or says why it may not run.
   */
  begin(userKey: string, address: string): LoginAttempt | LoginRefusal {
    const bucket = addressBucket(address);
    const now = this.clock.now();
    if (!this.addresses.begin(bucket, now)) return 'address-locked';
    if (!this.users.begin(userKey, now)) {
      this.addresses.ended(bucket, now, false);
      return 'user-locked';
    }
    let open = true;
    const end = (outcome: 'succeeded' | 'failed' | 'abandoned') => {
      if (!open) return;
      open = false;
      const at = this.clock.now();
      if (outcome === 'failed') {
        this.users.failed(userKey, at);
        this.addresses.failed(bucket, at);
      } else {
        // A right password forgives the user, never the address: one valid account
        // must not let an address go on guessing others' passwords.
        this.users.ended(userKey, at, outcome === 'succeeded');
        this.addresses.ended(bucket, at, false);
      }
    };
    return {
      succeeded: () => end('succeeded'),
      failed: () => end('failed'),
      abandoned: () => end('abandoned'),
    };
  }
}

/**
 * The unit a per-address limit counts: an IPv4 address (IPv4-mapped IPv6
 * included), or the /64 of an IPv6 address, since one IPv6 host usually holds a
 * whole /64 and could otherwise change address at every attempt.
 */
export function addressBucket(address: string): string {
  if (!ipaddr.isValid(address)) return address.slice(0, 64);
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    if (!v6.isIPv4MappedAddress()) {
      const prefix = v6.parts.slice(0, 4).map((p) => p.toString(16));
      return `${prefix.join(':')}::/64`;
    }
    parsed = v6.toIPv4Address();
  }
  return parsed.toString();
}
