/**
 * A worker's side of the per-endpoint connection limit, which holds across
 * all workers: the supervisor (SlotBroker) grants each worker slots in small
 * batches, and the worker admits flows from its batch without asking anyone.
 * Only when its batch is used up does it ask for more (the connection waits,
 * paused, for the answer), and spare slots beyond what the supervisor says to
 * keep go back at once, so a busy worker rarely sends a message and an
 * endpoint at its limit is refused exactly as in one process.
 */
import type { SlotPool } from '../forwarder/slots.ts';
import type { FromWorker } from './protocol.ts';

type SlotMessage = Extract<FromWorker, { t: 'slots' | 'return' | 'reclaimed' }>;

interface Lease {
  /** Slots this worker may use (in use plus spare). */
  granted: number;
  used: number;
  /** Spare slots to keep rather than give back (from the last grant). */
  keep: number;
  /** The endpoint's limit as the listeners last asked. */
  max: number;
  /** A request to the supervisor is on its way. */
  asking: boolean;
  /** Admissions waiting for that answer, in arrival order. */
  waiting: ((admitted: boolean) => void)[];
}

export class SlotLeases implements SlotPool {
  readonly #leases = new Map<string, Lease>();
  readonly #send: (msg: SlotMessage) => void;

  constructor(send: (msg: SlotMessage) => void) {
    this.#send = send;
  }

  acquire(endpointId: string, max: number): boolean | Promise<boolean> {
    if (max <= 0) return false;
    let lease = this.#leases.get(endpointId);
    if (lease === undefined) {
      lease = { granted: 0, used: 0, keep: 0, max, asking: false, waiting: [] };
      this.#leases.set(endpointId, lease);
    }
    lease.max = max;
    if (lease.waiting.length === 0 && lease.used < lease.granted && lease.used < max) {
      lease.used++;
      return true;
    }
    const l = lease;
    return new Promise<boolean>((resolve) => {
      l.waiting.push(resolve);
      this.#ask(endpointId, l);
    });
  }

  release(endpointId: string): void {
    const lease = this.#leases.get(endpointId);
    if (lease === undefined || lease.used === 0) return;
    lease.used--;
    this.#settle(endpointId, lease);
  }

  /** The supervisor's answer to a request: `n` more slots (0: the endpoint is full everywhere). */
  granted(endpointId: string, n: number, keep: number): void {
    const lease = this.#leases.get(endpointId);
    if (lease === undefined) {
      if (n > 0) this.#send({ t: 'return', ep: endpointId, n });
      return;
    }
    lease.asking = false;
    lease.granted += n;
    lease.keep = keep;
    while (lease.waiting.length > 0 && lease.used < lease.granted && lease.used < lease.max) {
      lease.used++;
      lease.waiting.shift()?.(true);
    }
    if (lease.waiting.length > 0) {
      if (n === 0) {
        // Every slot of the endpoint is in use somewhere: refuse what waited for one.
        for (const admit of lease.waiting.splice(0)) admit(false);
      } else this.#ask(endpointId, lease);
    }
    this.#settle(endpointId, lease);
  }

  /** The supervisor needs slots for another worker: every spare one goes back now. */
  reclaim(endpointId: string, rid: number): void {
    const lease = this.#leases.get(endpointId);
    let n = 0;
    if (lease !== undefined && lease.waiting.length === 0) {
      n = Math.max(0, lease.granted - lease.used);
      lease.granted -= n;
      this.#drop(endpointId, lease);
    }
    this.#send({ t: 'reclaimed', ep: endpointId, rid, n });
  }

  /** The endpoint has no listener here any more: spare slots go back (used ones as their flows end). */
  forget(endpointId: string): void {
    const lease = this.#leases.get(endpointId);
    if (lease === undefined) return;
    lease.keep = 0;
    this.#settle(endpointId, lease);
  }

  /** Slots held by this worker, for tests: in use and spare. */
  held(endpointId: string): { used: number; granted: number } {
    const lease = this.#leases.get(endpointId);
    return { used: lease?.used ?? 0, granted: lease?.granted ?? 0 };
  }

  #ask(endpointId: string, lease: Lease): void {
    if (lease.asking) return;
    lease.asking = true;
    this.#send({ t: 'slots', ep: endpointId, max: lease.max, want: lease.waiting.length });
  }

  /** Gives back spare slots beyond `keep` (and beyond the limit, if it was lowered). */
  #settle(endpointId: string, lease: Lease): void {
    if (lease.waiting.length > 0) return;
    const keep = Math.max(0, Math.min(lease.keep, lease.max - lease.used));
    const spare = lease.granted - lease.used - keep;
    if (spare > 0) {
      lease.granted -= spare;
      this.#send({ t: 'return', ep: endpointId, n: spare });
    }
    this.#drop(endpointId, lease);
  }

  #drop(endpointId: string, lease: Lease): void {
    if (lease.granted === 0 && lease.used === 0 && !lease.asking && lease.waiting.length === 0) {
      this.#leases.delete(endpointId);
    }
  }
}
