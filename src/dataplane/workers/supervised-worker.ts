/**
 * What the supervisor keeps of one worker process (its slot, stable across
 * restarts): its state, what it was sent and runs, its pending requests, and
 * its open flows, which are taken off the totals when it dies.
 */
import type { ChildProcess } from 'node:child_process';
import { TRAFFIC_FIELDS, type TrafficDelta } from '../forwarder/counters.ts';
import type { ListeningHandle } from '../forwarder/listener.ts';
import type { ListenerSpec } from '../forwarder/types.ts';
import type { FromWorker, WorkerState } from './protocol.ts';

const ACTIVE_CONNECTIONS = TRAFFIC_FIELDS.indexOf('activeConnections');
const ACTIVE_SESSIONS = TRAFFIC_FIELDS.indexOf('activeSessions');

export interface Slot {
  index: number;
  proc: ChildProcess | undefined;
  /** The process runs and answers. */
  up: boolean;
  /** It also holds its share of the current listeners. */
  ready: boolean;
  restarts: number;
  backoffMs: number;
  startedAt: number;
  timer: NodeJS.Timeout | undefined;
  /** What it was last sent: its share, by key. */
  sent: Map<string, ListenerSpec>;
  /** Keys it runs (listening, or for TCP with a socket it can lend). */
  running: Set<string>;
  /** Answers awaited from it, by request id (undefined: it exited first). */
  pending: Map<number, (answer: FromWorker | undefined) => void>;
  /** Sockets it sent for a `lend` request, by request id. */
  lent: Map<number, Map<string, ListeningHandle>>;
  /** Its open flows per endpoint ([connections, sessions]), given back when it exits. */
  active: Map<string, [number, number]>;
}

/** A slot whose worker has not been started yet. */
export function newSlot(index: number, backoffMs: number): Slot {
  return {
    index,
    proc: undefined,
    up: false,
    ready: false,
    restarts: 0,
    backoffMs,
    startedAt: 0,
    timer: undefined,
    sent: new Map(),
    running: new Set(),
    pending: new Map(),
    lent: new Map(),
    active: new Map(),
  };
}

export function closeHandle(handle: ListeningHandle): void {
  (handle as { close?: () => void }).close?.();
}

/** Keeps each worker's open flows, to take them off the totals if it dies. */
export function countFlows(slot: Slot, deltas: readonly TrafficDelta[]): void {
  for (const [ep, values] of deltas) {
    const connections = values[ACTIVE_CONNECTIONS] ?? 0;
    const sessions = values[ACTIVE_SESSIONS] ?? 0;
    if (connections === 0 && sessions === 0) continue;
    const now = slot.active.get(ep) ?? [0, 0];
    now[0] += connections;
    now[1] += sessions;
    if (now[0] === 0 && now[1] === 0) slot.active.delete(ep);
    else slot.active.set(ep, now);
  }
}

/** The deltas that take a dead worker's open flows off the totals (its connections died with it); forgets them. */
export function dropFlows(slot: Slot): TrafficDelta[] {
  const gone: TrafficDelta[] = [...slot.active].map(([ep, [c, s]]) => {
    const values = TRAFFIC_FIELDS.map(() => 0);
    values[ACTIVE_CONNECTIONS] = -c;
    values[ACTIVE_SESSIONS] = -s;
    return [ep, values];
  });
  slot.active.clear();
  return gone;
}

/** What the main process is told of the workers. */
export function workerStates(slots: readonly Slot[]): WorkerState[] {
  return slots.map((s) => ({
    index: s.index,
    pid: s.proc?.pid,
    ready: s.ready,
    restarts: s.restarts,
  }));
}
