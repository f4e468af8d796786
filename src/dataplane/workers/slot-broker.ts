/**
 * The supervisor's side of the per-endpoint connection limit (see
 * slot-leases.ts): it knows how many slots each worker holds, never grants
 * more than the limit in total, and when none are free asks the other workers
 * for their spare ones before it refuses. Pure bookkeeping: messages go out
 * through `send`, and answers come back through the methods.
 */
import type { ToWorker } from './protocol.ts';

type BrokerMessage = Extract<ToWorker, { t: 'grant' | 'reclaim' }>;

interface Request {
  worker: number;
  max: number;
  want: number;
}

interface EndpointSlots {
  /** Slots held per worker (in use or spare there). */
  held: Map<number, number>;
  total: number;
  /** Workers asked to give back spare slots, whose answer is awaited. */
  reclaiming: Set<number>;
  /** Requests waiting for those answers. */
  queue: Request[];
}

/** Most slots granted at once: enough that a busy worker rarely asks, few enough to share. */
const MAX_BATCH = 64;

export class SlotBroker {
  readonly #endpoints = new Map<string, EndpointSlots>();
  readonly #send: (worker: number, msg: BrokerMessage) => void;
  readonly #workers: number;
  #rid = 0;

  constructor(workers: number, send: (worker: number, msg: BrokerMessage) => void) {
    this.#workers = Math.max(1, workers);
    this.#send = send;
  }

  /** How many slots a worker gets per grant, and keeps spare, for an endpoint limited to `max`. */
  batch(max: number): number {
    return Math.min(MAX_BATCH, Math.max(1, Math.floor(max / (4 * this.#workers))));
  }

  request(worker: number, ep: string, max: number, want: number): void {
    const state = this.#state(ep);
    const req = { worker, max, want };
    if (state.reclaiming.size > 0) {
      state.queue.push(req);
      return;
    }
    const holders = [...state.held].filter(([w, n]) => w !== worker && n > 0).map(([w]) => w);
    if (max - state.total > 0 || holders.length === 0) {
      this.#grant(ep, state, req);
      this.#tidy(ep, state);
      return;
    }
    state.queue.push(req);
    const rid = ++this.#rid;
    for (const w of holders) {
      state.reclaiming.add(w);
      this.#send(w, { t: 'reclaim', ep, rid });
    }
  }

  returned(worker: number, ep: string, n: number): void {
    const state = this.#endpoints.get(ep);
    if (state === undefined) return;
    this.#take(state, worker, n);
    this.#tidy(ep, state);
  }

  reclaimed(worker: number, ep: string, n: number): void {
    const state = this.#endpoints.get(ep);
    if (state === undefined) return;
    this.#take(state, worker, n);
    state.reclaiming.delete(worker);
    this.#drain(ep, state);
  }

  /** A worker exited: its slots are free again, and nobody waits for its answers. */
  workerGone(worker: number): void {
    for (const [ep, state] of this.#endpoints) {
      this.#take(state, worker, state.held.get(worker) ?? 0);
      state.queue = state.queue.filter((r) => r.worker !== worker);
      state.reclaiming.delete(worker);
      this.#drain(ep, state);
    }
  }

  /** Slots held per worker for an endpoint: for tests. */
  held(ep: string): Map<number, number> {
    return new Map(this.#endpoints.get(ep)?.held ?? []);
  }

  #drain(ep: string, state: EndpointSlots): void {
    if (state.reclaiming.size === 0) {
      // One reclaim round per request: what is free now is all there is.
      for (const req of state.queue.splice(0)) this.#grant(ep, state, req);
    }
    this.#tidy(ep, state);
  }

  #grant(ep: string, state: EndpointSlots, req: Request): void {
    const free = Math.max(0, req.max - state.total);
    const batch = this.batch(req.max);
    const n = Math.min(free, Math.max(req.want, batch));
    if (n > 0) {
      state.held.set(req.worker, (state.held.get(req.worker) ?? 0) + n);
      state.total += n;
    }
    this.#send(req.worker, { t: 'grant', ep, n, keep: batch });
  }

  #take(state: EndpointSlots, worker: number, n: number): void {
    const had = state.held.get(worker) ?? 0;
    const taken = Math.min(had, Math.max(0, n));
    if (had - taken > 0) state.held.set(worker, had - taken);
    else state.held.delete(worker);
    state.total -= taken;
  }

  #state(ep: string): EndpointSlots {
    let state = this.#endpoints.get(ep);
    if (state === undefined) {
      state = { held: new Map(), total: 0, reclaiming: new Set(), queue: [] };
      this.#endpoints.set(ep, state);
    }
    return state;
  }

  #tidy(ep: string, state: EndpointSlots): void {
    if (state.total === 0 && state.queue.length === 0 && state.reclaiming.size === 0) {
      this.#endpoints.delete(ep);
    }
  }
}
