/**
 * What ForwarderSet needs from a listener of either protocol, and what the
 * listeners share.
 */
import type { EndpointCounters } from './counters.ts';
import type { EndpointSlots } from './slots.ts';
import type { FlowInfo, ForwarderLog, ListenerSpec } from './types.ts';

export interface ListenerContext {
  counters: EndpointCounters;
  slots: EndpointSlots;
  log: ForwarderLog | undefined;
  connectTimeoutMs: number;
  /** Bound on how long stop() waits for sockets to report closed. */
  stopTimeoutMs: number;
}

/** What ForwarderSet needs from a TCP or UDP listener. */
export interface Listener {
  readonly spec: ListenerSpec;
  /** The bound port; 0 before start() succeeded. */
  readonly port: number;
  /** Rejects with the bind error (EADDRINUSE, EADDRNOTAVAIL, ...). */
  start(): Promise<void>;
  /** Takes over whitelist and maxConnections; cuts flows the new whitelist refuses. */
  update(spec: ListenerSpec): void;
  /** Stops accepting and resets every open flow. Idempotent; never rejects. */
  stop(): Promise<void>;
  flows(): FlowInfo[];
}

/** Waits for `promise` but at most `ms`; never rejects. */
export function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    void promise.finally(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
