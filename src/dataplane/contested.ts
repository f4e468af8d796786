/**
 * Addresses of the host's shared ranges that subnets of two or more projects
 * claim. New subnets cannot overlap another project's there (vpc/rules.ts),
 * but a store written before that rule, or a data-plane node whose bindable
 * ranges are wider than the API node's, may hold such overlaps. On the host
 * the first socket to bind an address wins, so an endpoint or a backend on a
 * contested address might receive another tenant's traffic: the data plane
 * binds and dials neither. Pure: the controller feeds it the stored subnets.
 */
import { broadcastOf, formatCidr, parseCidr, parseIpv4, type Cidr } from '../vpc/cidr.ts';
import { onHost, type HostRanges } from '../vpc/host-ranges.ts';
import type { SubnetClaim } from '../vpcep/endpoints/dataplane.ts';

interface Block {
  start: number;
  end: number;
  projectId: string;
  cidr: Cidr;
}

export class ContestedAddresses {
  /** Disjoint, sorted [start, end] intervals. */
  readonly #starts: number[];
  readonly #ends: number[];
  /** The contested blocks, for logs. */
  readonly cidrs: readonly string[];

  private constructor(blocks: readonly Cidr[]) {
    const sorted = [...blocks].sort((a, b) => a.network - b.network || a.prefix - b.prefix);
    this.#starts = [];
    this.#ends = [];
    for (const c of sorted) {
      const end = broadcastOf(c);
      const last = this.#ends.length - 1;
      if (last >= 0 && c.network <= (this.#ends[last] ?? -1) + 1) {
        this.#ends[last] = Math.max(this.#ends[last] ?? end, end);
      } else {
        this.#starts.push(c.network);
        this.#ends.push(end);
      }
    }
    this.cidrs = [...new Set(sorted.map(formatCidr))];
  }

  static readonly none = new ContestedAddresses([]);

  /**
   * CIDR blocks either nest or are disjoint, so where two subnets of different
   * projects overlap, the contested part is the inner one. Sorted by start (outer
   * first), a stack of the blocks still open holds exactly those containing the
   * current one.
   */
  static of(subnets: readonly SubnetClaim[], ranges: HostRanges): ContestedAddresses {
    const blocks: Block[] = [];
    for (const s of subnets) {
      const parsed = parseCidr(s.cidr);
      if (!parsed.ok || !onHost(ranges, parsed.cidr)) continue;
      const cidr = parsed.cidr;
      blocks.push({ start: cidr.network, end: broadcastOf(cidr), projectId: s.projectId, cidr });
    }
    blocks.sort((a, b) => a.start - b.start || b.end - a.end);
    const open: Block[] = [];
    const contested: Cidr[] = [];
    for (const b of blocks) {
      while (open.length > 0 && (open[open.length - 1]?.end ?? -1) < b.start) open.pop();
      if (open.some((o) => o.projectId !== b.projectId)) contested.push(b.cidr);
      open.push(b);
    }
    return contested.length === 0 ? ContestedAddresses.none : new ContestedAddresses(contested);
  }

  get size(): number {
    return this.#starts.length;
  }

  contains(ip: string): boolean {
    // The usual case, checked before any parsing: nothing is contested.
    if (this.#starts.length === 0) return false;
    const a = parseIpv4(ip);
    if (a === undefined) return false;
    // The last interval starting at or before a.
    let lo = 0;
    let hi = this.#starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.#starts[mid] ?? Infinity) <= a) lo = mid;
      else hi = mid - 1;
    }
    return (this.#starts[lo] ?? Infinity) <= a && a <= (this.#ends[lo] ?? -1);
  }
}
