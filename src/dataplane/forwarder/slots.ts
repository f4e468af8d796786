/**
 * Concurrent-flow accounting per endpoint, shared by all of an endpoint's
 * listeners (TCP connections and UDP sessions draw from the same pool).
 * Kept apart from the counters: the limit must follow the flows this process
 * really holds, whatever the caller does with its counter object.
 */
export class EndpointSlots {
  readonly #inUse = new Map<string, number>();

  /** Takes a slot if fewer than `max` are in use; returns a release function, or null. */
  tryAcquire(endpointId: string, max: number): (() => void) | null {
    const used = this.#inUse.get(endpointId) ?? 0;
    if (used >= max) return null;
    this.#inUse.set(endpointId, used + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const now = (this.#inUse.get(endpointId) ?? 1) - 1;
      if (now <= 0) this.#inUse.delete(endpointId);
      else this.#inUse.set(endpointId, now);
    };
  }

  inUse(endpointId: string): number {
    return this.#inUse.get(endpointId) ?? 0;
  }
}
