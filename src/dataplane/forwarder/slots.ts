/**
 * Concurrent-flow accounting per endpoint, shared by all of an endpoint's
 * listeners (TCP connections and UDP sessions draw from the same pool).
 * Kept apart from the counters: the limit must follow the flows really held,
 * whatever the caller does with its counter object.
 *
 * A pool answers at once when it can decide alone (EndpointSlots, and a
 * worker process that still holds spare slots), or later when it must ask
 * (a worker whose endpoint's slots are all in use asks the supervisor, which
 * keeps the limit across processes: workers/slot-leases.ts).
 */
export interface SlotPool {
  /** Takes a slot if fewer than `max` are in use: true/false, or a promise of it. */
  acquire(endpointId: string, max: number): boolean | Promise<boolean>;
  /** Gives back one slot taken by acquire(). Each granted slot is released exactly once. */
  release(endpointId: string): void;
}

export class EndpointSlots implements SlotPool {
  readonly #inUse = new Map<string, number>();

  acquire(endpointId: string, max: number): boolean {
    const used = this.#inUse.get(endpointId) ?? 0;
    if (used >= max) return false;
    this.#inUse.set(endpointId, used + 1);
    return true;
  }

  release(endpointId: string): void {
    const now = (this.#inUse.get(endpointId) ?? 1) - 1;
    if (now <= 0) this.#inUse.delete(endpointId);
    else this.#inUse.set(endpointId, now);
  }

  inUse(endpointId: string): number {
    return this.#inUse.get(endpointId) ?? 0;
  }
}
