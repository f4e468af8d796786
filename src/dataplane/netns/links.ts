/** What every veth link of namespaces mode shares: its MTU, and the check that it holds just its addresses. */
import type { IpLink } from './kernel.ts';

/**
 * Every link is virtual, as loopback's (MTU 65536) is: the largest veth MTU keeps the
 * packets per byte, and so the kernel's work per byte, near loopback mode's.
 */
export const MTU = 65535;

/** Whether `link` exists and holds exactly `addresses` (as `local/prefixlen`). */
export function hasOnly(link: IpLink | undefined, addresses: readonly string[]): boolean {
  if (link === undefined) return false;
  const have = link.addresses.map((a) => `${a.local}/${a.prefixlen}`).sort();
  return have.join() === [...addresses].sort().join();
}
