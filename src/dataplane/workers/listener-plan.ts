/**
 * Which worker runs which listener, decided by the supervisor. Pure.
 *
 * - A TCP listener runs in every worker: they share one listening socket
 *   (node's cluster binds it once, in the supervisor) and the kernel hands
 *   each connection to one of them.
 * - A UDP listener runs in one worker, chosen from its key: a session's
 *   datagrams must all go through one socket.
 * - Two listeners on one address (protocol, IP and port) would share a socket
 *   in a cluster, each taking some of the other's connections. In one process
 *   the second bind simply failed; here the first key in sort order keeps the
 *   address and the others are reported as failed, without ever reaching a
 *   worker.
 */
import { canonicalIpAddress } from '../proxy-protocol.ts';
import type { ListenerSpec } from '../forwarder/types.ts';
import type { SpecDiff } from './protocol.ts';

export interface Plan {
  /** Specs the workers run, by key. */
  runnable: Map<string, ListenerSpec>;
  /** Specs left out because an earlier key holds their address. */
  conflicts: { key: string; error: string; code: string }[];
}

function addressOf(spec: ListenerSpec): string {
  // One spelling per address: an IPv4-mapped IPv6 address binds the IPv4 address.
  const host = (canonicalIpAddress(spec.listenHost) ?? spec.listenHost).replace(/^::ffff:(?=\d+\.)/, '');
  return `${spec.protocol}|${host}|${spec.listenPort}`;
}

export function planListeners(desired: ReadonlyMap<string, ListenerSpec>): Plan {
  const runnable = new Map<string, ListenerSpec>();
  const conflicts: Plan['conflicts'] = [];
  const holders = new Map<string, string>();
  for (const key of [...desired.keys()].sort()) {
    const spec = desired.get(key);
    if (spec === undefined) continue;
    // Port 0 asks for an ephemeral port: such listeners never meet.
    const address = spec.listenPort === 0 ? undefined : addressOf(spec);
    const holder = address === undefined ? undefined : holders.get(address);
    if (holder !== undefined) {
      conflicts.push({
        key,
        error: `${spec.protocol} ${spec.listenHost}:${spec.listenPort} is already used by listener ${holder}`,
        code: 'EADDRINUSE',
      });
      continue;
    }
    if (address !== undefined) holders.set(address, key);
    runnable.set(key, spec);
  }
  return { runnable, conflicts };
}

/** FNV-1a: a stable, evenly spread choice of worker for a UDP listener. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The worker that runs a listener: undefined for TCP (all of them). */
export function udpOwner(spec: ListenerSpec, workers: number): number | undefined {
  return spec.protocol === 'UDP' ? hash(spec.key) % workers : undefined;
}

/** What `worker` should run out of the runnable specs. */
export function workerShare(
  runnable: ReadonlyMap<string, ListenerSpec>,
  worker: number,
  workers: number,
): Map<string, ListenerSpec> {
  const share = new Map<string, ListenerSpec>();
  for (const [key, spec] of runnable) {
    const owner = udpOwner(spec, workers);
    if (owner === undefined || owner === worker) share.set(key, spec);
  }
  return share;
}

/**
 * The change from what a worker has to what it should have. Specs are
 * compared by identity: the supervisor keeps the objects it received, and the
 * main process sends a spec again only when it changed.
 */
export function diffShare(
  has: ReadonlyMap<string, ListenerSpec>,
  wants: ReadonlyMap<string, ListenerSpec>,
): SpecDiff & { replaces: boolean } {
  const upserts: ListenerSpec[] = [];
  const removals: string[] = [];
  let replaces = false;
  for (const [key, spec] of wants) {
    const now = has.get(key);
    if (now === spec) continue;
    upserts.push(spec);
    if (now !== undefined) replaces = true;
  }
  for (const key of has.keys()) if (!wants.has(key)) removals.push(key);
  return { upserts, removals, replaces: replaces || removals.length > 0 };
}
