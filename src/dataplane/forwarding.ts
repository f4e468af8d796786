/**
 * What the controller drives: the listeners of this node, wherever they run.
 * Either worker processes (workers/plane.ts, the default) or a ForwarderSet in
 * this process (`dataplane.workers: 0`).
 */
import type { ForwarderSet } from './forwarder/forwarder-set.ts';
import type { ApplyResult, ListenerSpec } from './forwarder/types.ts';
import type { WorkerState } from './workers/protocol.ts';

export interface ForwardingProcessesStatus {
  supervisorPid: number | undefined;
  supervisorRestarts: number;
  workers: WorkerState[];
  /** TCP connections plus UDP sessions each worker accepted, by worker index. */
  flows: Map<number, number>;
}

export interface Forwarding {
  /** Runs exactly `specs` (see ForwarderSet.apply); pass the same objects for unchanged specs. */
  apply(specs: readonly ListenerSpec[]): Promise<ApplyResult>;
  /** Listeners running after the last apply. */
  listenerCount(): number;
  /** Brings the endpoint counters up to date with what the forwarders counted so far. */
  refresh(): Promise<void>;
  /** The processes that forward, when they are not this one. */
  processes(): ForwardingProcessesStatus | undefined;
  /** Stops every listener, resetting its connections. */
  close(): Promise<void>;
}

/** Forwarding on this process's own event loop. */
export class InProcessForwarding implements Forwarding {
  readonly #set: ForwarderSet;

  constructor(set: ForwarderSet) {
    this.#set = set;
  }

  apply(specs: readonly ListenerSpec[]): Promise<ApplyResult> {
    return this.#set.apply(specs);
  }

  listenerCount(): number {
    return this.#set.listeners().length;
  }

  async refresh(): Promise<void> {
    // The counters are the forwarders' own.
  }

  processes(): undefined {
    return undefined;
  }

  close(): Promise<void> {
    return this.#set.close();
  }
}
