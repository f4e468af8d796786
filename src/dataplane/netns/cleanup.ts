/**
 * Where namespaces mode keeps the ports' resolver files, and the clean-up of
 * everything of one prefix: the namespaces and those files.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Kernel } from './kernel.ts';
import type { NetnsNames } from './names.ts';

export const ETC_NETNS = '/etc/netns';

/** The resolver directories of `names`' prefix (none when /etc/netns does not exist). */
export function resolverDirs(names: NetnsNames): string[] {
  try {
    return readdirSync(ETC_NETNS).filter((d) => names.owns(d));
  } catch {
    return [];
  }
}

/** Deletes every namespace and resolver directory of `names`' prefix (a clean stop, or a test's clean-up). */
export async function removeAll(kernel: Kernel, names: NetnsNames): Promise<void> {
  // Ports first: a VPC's namespace then goes with no link still pointing into it.
  const owned = kernel.namespaces().filter((ns) => names.owns(ns));
  const order = (ns: string) => (ns.startsWith(`${names.prefix}-p-`) ? 0 : ns === names.dataplane ? 2 : 1);
  for (const ns of owned.sort((a, b) => order(a) - order(b))) await kernel.deleteNamespace(ns);
  for (const dir of resolverDirs(names)) rmSync(join(ETC_NETNS, dir), { recursive: true, force: true });
}
