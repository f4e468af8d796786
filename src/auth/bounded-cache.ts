// Memory on the authentication path is keyed by what clients send (access keys,
// project ids, user names, addresses), so every map there must have a ceiling
// that no stream of made-up keys can raise.

/** A Map holding at most `max` entries; the least recently used one leaves first. */
export class LruMap<K, V> {
  private readonly entries = new Map<K, V>();
  /**
   * The most recently used key, when known: a hit on it needs no move. Moving
   * is a delete and a set, and a Map of one or two hot keys that moves on every
   * hit keeps compacting its table.
   */
  private newest: K | undefined;

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new Error('LruMap needs a positive integer size');
  }

  get size(): number {
    return this.entries.size;
  }

  /** The value, now counted as the most recently used. */
  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    if (key !== this.newest || this.newest === undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
      this.newest = key;
    }
    return value;
  }

  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    this.newest = key;
    if (this.entries.size > this.max) {
      // A Map iterates in insertion order, so its first key is the least recently used.
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  delete(key: K): void {
    this.entries.delete(key);
    if (key === this.newest) this.newest = undefined;
  }

  clear(): void {
    this.entries.clear();
    this.newest = undefined;
  }
}

/**
 * Look-up results kept for `ttlMs`. Misses live apart from hits: a client
 * asking for random keys churns only the misses and never pushes out the hits
 * every genuine caller needs (hits exist only for keys the store holds).
 */
export class LookupCache<V> {
  private readonly hits: LruMap<string, { value: V; until: number }>;
  private readonly misses: LruMap<string, number>;

  constructor(
    private readonly ttlMs: number,
    max = 10_000,
  ) {
    this.hits = new LruMap(max);
    this.misses = new LruMap(max);
  }

  /** The cached value, null for a cached miss, undefined when the store must be asked. */
  get(key: string, now: number): V | null | undefined {
    const hit = this.hits.get(key);
    if (hit !== undefined) {
      if (hit.until >= now) return hit.value;
      this.hits.delete(key);
    }
    const missUntil = this.misses.get(key);
    if (missUntil !== undefined) {
      if (missUntil >= now) return null;
      this.misses.delete(key);
    }
    return undefined;
  }

  set(key: string, value: V | null, now: number): void {
    if (value === null) {
      this.hits.delete(key);
      this.misses.set(key, now + this.ttlMs);
    } else {
      this.misses.delete(key);
      this.hits.set(key, { value, until: now + this.ttlMs });
    }
  }

  /** The cached answer for `key`, or `load`'s, which is then kept (a miss included). */
  async through(key: string, now: number, load: () => Promise<V | undefined>): Promise<V | undefined> {
    const cached = this.get(key, now);
    if (cached !== undefined) return cached ?? undefined;
    const found = (await load()) ?? null;
    this.set(key, found, now);
    return found ?? undefined;
  }

  /** Forgets everything: the store changed in a way the entries may not show. */
  clear(): void {
    this.hits.clear();
    this.misses.clear();
  }

  /** Entries held, hits and misses together. */
  get size(): number {
    return this.hits.size + this.misses.size;
  }
}
