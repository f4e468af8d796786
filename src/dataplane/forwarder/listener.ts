/**
 * What ForwarderSet needs from a listener of either protocol, and what the
 * listeners share.
 */
import type { EndpointCounters } from './counters.ts';
import type { ReadBuffers } from './read-buffers.ts';
import type { SourcePorts } from './source-ports.ts';
import type { SlotPool } from './slots.ts';
import type { FlowInfo, ForwarderLog, ListenerSpec } from './types.ts';

export interface ListenerContext {
  counters: EndpointCounters;
  slots: SlotPool;
  log: ForwarderLog | undefined;
  connectTimeoutMs: number;
  /** Bound on how long stop() waits for sockets to report closed. */
  stopTimeoutMs: number;
  /** Where TCP flows read (read-buffers.ts). */
  readBuffers: ReadBuffers;
  /** Source ports of backend dials from a named address (source-ports.ts). */
  sourcePorts: SourcePorts;
  /**
   * A listening TCP socket another process already bound for this key (a
   * data-plane worker gets it from the supervisor): the listener accepts on
   * it instead of binding its own.
   */
  takeHandle?: (key: string) => object | undefined;
}

/** A listening socket as node's IPC can pass it to another process. */
export type ListeningHandle = object;

/** What ForwarderSet needs from a TCP or UDP listener. */
export interface Listener {
  readonly spec: ListenerSpec;
  /** The bound port; 0 before start() succeeded. */
  readonly port: number;
  /** Rejects with the bind error (EADDRINUSE, EADDRNOTAVAIL, ...). */
  start(): Promise<void>;
  /** Takes over whitelist and maxConnections; cuts flows the new whitelist refuses. */
  update(spec: ListenerSpec): void;
  /**
   * Stops taking new flows but keeps the open ones (TCP: the listening socket
   * is closed); a UDP listener, whose sessions answer through its socket,
   * stops entirely. Lets several processes sharing an address all let go of
   * it before any of them resets a connection. Idempotent; never rejects.
   */
  detach(): Promise<void>;
  /** Stops accepting and resets every open flow. Idempotent; never rejects. */
  stop(): Promise<void>;
  flows(): FlowInfo[];
  /** The listening socket, for another process to accept on too (TCP only). */
  listeningHandle?(): ListeningHandle | undefined;
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
