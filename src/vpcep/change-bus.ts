import type { VpcepChange } from './deps.ts';

/**
 * In-process fan-out of "this endpoint or service changed" so the local data
 * plane reacts at once. It is only a hint: the data plane also reconciles from
 * the store periodically, which is how changes made by other nodes arrive.
 */
export class ChangeBus {
  private readonly listeners = new Set<(change: VpcepChange) => void>();

  subscribe(listener: (change: VpcepChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(change: VpcepChange): void {
    for (const l of this.listeners) {
      try {
        l(change);
      } catch {
        // A failing listener must not break the API call that published.
      }
    }
  }
}
