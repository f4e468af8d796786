/**
 * The address plan of namespaces mode, all inside 198.19.128.0/17, the range
 * the cloud reserves for VPCEP (no VPC may use it, so it never collides with
 * a tenant's addresses):
 *
 *   198.19.128.0/19   listener addresses in the data-plane namespace, one per endpoint
 *   198.19.160.53     the VPCs' resolver (the embedded DNS) in the data-plane namespace
 *   198.19.192.0/18   transit links, a /30 per VPC: .1 the data plane's end, .2 the VPC's
 *
 * A backend sees connections from its VPC's transit address (.1), so from
 * 198.19.128.0/17, as on the cloud.
 */
import { formatIpv4, parseIpv4 } from '../../vpc/cidr.ts';

export const VPCEP_RANGE = '198.19.128.0/17';
export const LISTENER_RANGE = '198.19.128.0/19';
export const RESOLVER_ADDRESS = '198.19.160.53';
const LISTENER_BASE = parseIpv4('198.19.128.0') ?? 0;
/** .0 is left out, so a listener address is never a network address. */
export const LISTENER_SLOTS = 8191;
const TRANSIT_BASE = parseIpv4('198.19.192.0') ?? 0;
export const TRANSIT_SLOTS = 4096;
/** Routing tables of the data-plane namespace: one per VPC, numbered from here. */
export const TABLE_BASE = 10_000;

export function listenerAddress(slot: number): string {
  return formatIpv4(LISTENER_BASE + slot + 1);
}

export interface Transit {
  /** The data plane's end: a backend sees connections come from here. */
  dp: string;
  /** The VPC's end: the next hop from the data plane into the VPC. */
  vpc: string;
  table: number;
}

export function transit(index: number): Transit {
  const base = TRANSIT_BASE + index * 4;
  return { dp: formatIpv4(base + 1), vpc: formatIpv4(base + 2), table: TABLE_BASE + index };
}

/** The index whose data-plane end is `ip`, if it is one (adopting what an earlier run made). */
export function transitIndex(ip: string): number | undefined {
  const n = parseIpv4(ip);
  if (n === undefined) return undefined;
  const offset = n - TRANSIT_BASE;
  if (offset < 0 || offset % 4 !== 1) return undefined;
  const index = (offset - 1) / 4;
  return index < TRANSIT_SLOTS ? index : undefined;
}

/** Small integers handed out by key, lowest free first, kept until released. */
export class SlotAllocator {
  readonly #size: number;
  readonly #byKey = new Map<string, number>();
  readonly #used = new Set<number>();
  #next = 0;

  constructor(size: number) {
    this.#size = size;
  }

  get(key: string): number | undefined {
    return this.#byKey.get(key);
  }

  /** The key's slot, taking a free one if it has none; undefined when all are taken. */
  take(key: string): number | undefined {
    const had = this.#byKey.get(key);
    if (had !== undefined) return had;
    for (let i = 0; i < this.#size; i++) {
      const slot = (this.#next + i) % this.#size;
      if (this.#used.has(slot)) continue;
      this.#claim(key, slot);
      this.#next = slot + 1;
      return slot;
    }
    return undefined;
  }

  /** Gives `key` exactly `slot` (what an earlier run used); false if another key holds it. */
  adopt(key: string, slot: number): boolean {
    if (this.#used.has(slot)) return this.#byKey.get(key) === slot;
    if (this.#byKey.has(key) || slot < 0 || slot >= this.#size) return false;
    this.#claim(key, slot);
    return true;
  }

  /** Frees every slot whose key is not in `keep`. */
  retain(keep: ReadonlySet<string>): void {
    for (const [key, slot] of this.#byKey) {
      if (keep.has(key)) continue;
      this.#byKey.delete(key);
      this.#used.delete(slot);
    }
  }

  #claim(key: string, slot: number): void {
    this.#byKey.set(key, slot);
    this.#used.add(slot);
  }
}
