/**
 * The source-address rules of the data-plane namespace: answers and dials
 * take the routing table of the VPC they belong to, however much the VPCs'
 * CIDRs overlap.
 */
import { transit, type SlotAllocator } from './addresses.ts';
import type { Kernel } from './kernel.ts';

/** Rule priorities of the data-plane namespace: VPC transit sources, then endpoint listeners. */
const RULE_TRANSIT = 1000;
const RULE_LISTENER = 1100;

/** What a steered endpoint needs routed: its two VPCs and its listener address. */
export interface RoutedEndpoint {
  vpcId: string;
  backendVpcId: string;
  listener: string;
}

/** Makes the data-plane namespace's rules of both priorities exactly those `steered` needs. */
export async function convergePolicyRules(
  kernel: Kernel,
  dp: string,
  steered: Iterable<RoutedEndpoint>,
  vpcs: SlotAllocator,
): Promise<void> {
  const want = new Map<string, string>();
  const add = (priority: number, src: string, table: number) =>
    want.set(`${priority} ${src} ${table}`, `pref ${priority} from ${src} table ${table}`);
  for (const s of steered) {
    const backend = vpcs.get(s.backendVpcId);
    const consumer = vpcs.get(s.vpcId);
    if (backend !== undefined) add(RULE_TRANSIT, transit(backend).dp, transit(backend).table);
    if (consumer !== undefined) add(RULE_LISTENER, s.listener, transit(consumer).table);
  }
  const lines: string[] = [];
  for (const r of await kernel.rules(dp)) {
    if (r.priority !== RULE_TRANSIT && r.priority !== RULE_LISTENER) continue;
    const key = `${r.priority} ${r.src} ${r.table}`;
    if (want.has(key)) want.delete(key);
    else lines.push(`rule del pref ${r.priority} from ${r.src} table ${r.table}`);
  }
  for (const rule of want.values()) lines.push(`rule add ${rule}`);
  await kernel.batch(dp, lines);
}
