/**
 * Source whitelists: IPv4 (and, for completeness, IPv6) addresses and CIDRs,
 * evaluated with node:net's BlockList. A whitelist that fails to parse is a
 * spec error, so a listener never runs with a half-understood whitelist.
 */
import { BlockList, isIP } from 'node:net';

export type ParsedWhitelist = { blockList: BlockList } | { error: string };

export function parseWhitelist(entries: readonly string[]): ParsedWhitelist {
  const blockList = new BlockList();
  for (const entry of entries) {
    if (typeof entry !== 'string') return { error: `whitelist entry must be a string, got ${typeof entry}` };
    const slash = entry.indexOf('/');
    const address = slash === -1 ? entry : entry.slice(0, slash);
    const family = isIP(address);
    if (family === 0) return { error: `invalid whitelist entry ${JSON.stringify(entry)}` };
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (slash === -1) {
      blockList.addAddress(address, type);
      continue;
    }
    const prefixText = entry.slice(slash + 1);
    const prefix = Number(prefixText);
    if (!/^\d{1,3}$/.test(prefixText) || prefix > (family === 4 ? 32 : 128)) {
      return { error: `invalid prefix length in whitelist entry ${JSON.stringify(entry)}` };
    }
    blockList.addSubnet(address, prefix, type);
  }
  return { blockList };
}

/** "::ffff:1.2.3.4" (what a dual-stack socket reports) is checked as 1.2.3.4. */
function unmap(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

const VERDICT_CACHE_LIMIT = 4096;

/**
 * Decides whether a source address may use a listener. The verdict cache is
 * for UDP, which asks once per datagram; it is bounded and dropped whenever
 * the whitelist changes.
 */
export class SourceFilter {
  #blockList: BlockList | null;
  readonly #cache = new Map<string, boolean>();

  /** `entries` must already have passed parseWhitelist (specProblem checks it). */
  constructor(entries: readonly string[] | null) {
    this.#blockList = SourceFilter.#compile(entries);
  }

  static #compile(entries: readonly string[] | null): BlockList | null {
    if (entries === null) return null;
    const parsed = parseWhitelist(entries);
    if ('error' in parsed) throw new RangeError(parsed.error);
    return parsed.blockList;
  }

  update(entries: readonly string[] | null): void {
    this.#blockList = SourceFilter.#compile(entries);
    this.#cache.clear();
  }

  allows(address: string | undefined): boolean {
    if (address === undefined) return false;
    if (this.#blockList === null) return true;
    const plain = unmap(address);
    const family = isIP(plain);
    if (family === 0) return false;
    return this.#blockList.check(plain, family === 4 ? 'ipv4' : 'ipv6');
  }

  /** Same as allows(), memoized per address. */
  allowsCached(address: string): boolean {
    const hit = this.#cache.get(address);
    if (hit !== undefined) return hit;
    const verdict = this.allows(address);
    if (this.#cache.size >= VERDICT_CACHE_LIMIT) this.#cache.clear();
    this.#cache.set(address, verdict);
    return verdict;
  }
}
