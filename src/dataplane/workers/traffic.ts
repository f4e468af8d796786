/**
 * A worker's counts as changes since its last report, so the main process can
 * add up what every worker counted (and keep counting across a worker's
 * restart, whose new counts start at zero).
 */
import { TRAFFIC_FIELDS, type EndpointCounters, type TrafficDelta } from '../forwarder/counters.ts';

export class TrafficReport {
  readonly #counters: EndpointCounters;
  /** What the last report said, per endpoint, in TRAFFIC_FIELDS order. */
  readonly #reported = new Map<string, number[]>();

  constructor(counters: EndpointCounters) {
    this.#counters = counters;
  }

  /** Endpoints this worker has counts for. */
  endpoints(): string[] {
    return [...this.#counters.snapshot().keys()];
  }

  /**
   * The changes since the last call, leaving out endpoints without any. With
   * `listening`, an endpoint outside it whose last flow has ended is then
   * dropped here: nothing will count for it any more.
   */
  take(listening?: ReadonlySet<string>): TrafficDelta[] {
    const deltas: TrafficDelta[] = [];
    for (const [id, now] of this.#counters.snapshot()) {
      const values = TRAFFIC_FIELDS.map((f) => now[f]);
      const before = this.#reported.get(id);
      const delta = values.map((v, i) => v - (before?.[i] ?? 0));
      if (delta.some((d) => d !== 0)) deltas.push([id, delta]);
      if (
        listening !== undefined &&
        !listening.has(id) &&
        now.activeConnections === 0 &&
        now.activeSessions === 0
      ) {
        this.#counters.forget(id);
        this.#reported.delete(id);
      } else this.#reported.set(id, values);
    }
    return deltas;
  }
}
