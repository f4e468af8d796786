/**
 * A port's namespace in namespaces mode: its veth into the VPC's bridge, its
 * address and default route, and (when this process runs the resolver) its
 * resolv.conf.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ETC_NETNS } from './cleanup.ts';
import type { IpLink, Kernel } from './kernel.ts';
import { hasOnly, MTU } from './links.ts';
import { BRIDGE, PORT_LINK, portLink, type NetnsNames } from './names.ts';
import type { PortNetwork } from './topology.ts';

export interface PortNamespaceContext {
  kernel: Kernel;
  names: NetnsNames;
  /** Ports whose namespace was checked, with what it was checked against. */
  checked: Map<string, string>;
  /** Whether the VPCs get a resolver (this process runs the DNS role). */
  resolver: boolean;
}

/** A port's namespace, created once and then left alone while it matches: its processes keep running. */
export async function convergePort(
  ctx: PortNamespaceContext,
  vpcNs: string,
  vpcLinks: Map<string, IpLink>,
  port: PortNetwork,
): Promise<void> {
  const k = ctx.kernel;
  const ns = ctx.names.port(port.portId);
  const link = portLink(port.portId);
  const expected = `${port.address} via ${port.gateway}`;
  const present = k.namespaces().includes(ns);
  if (present && vpcLinks.has(link)) {
    if (ctx.checked.get(port.portId) !== expected) {
      const eth = (await k.links(ns)).get(PORT_LINK);
      const lines = hasOnly(eth, [port.address])
        ? []
        : [`addr flush dev ${PORT_LINK}`, `addr add ${port.address} dev ${PORT_LINK}`];
      await k.batch(ns, [...lines, `link set ${PORT_LINK} up`, `route replace default via ${port.gateway}`]);
    }
  } else {
    // No link into this VPC (new, or its subnet moved): start the namespace afresh.
    if (present) await k.deleteNamespace(ns);
    await k.addNamespace(ns);
    await k.batch(vpcNs, [
      `link add ${link} mtu ${MTU} type veth peer name ${PORT_LINK} mtu ${MTU} netns ${ns}`,
      `link set ${link} master ${BRIDGE}`,
      `link set ${link} up`,
    ]);
    await k.batch(ns, [
      'link set lo up',
      `addr add ${port.address} dev ${PORT_LINK}`,
      `link set ${PORT_LINK} up`,
      `route replace default via ${port.gateway}`,
    ]);
  }
  ctx.checked.set(port.portId, expected);
  if (ctx.resolver) {
    // `ip netns exec` mounts /etc/netns/NAME/* over /etc: the instance's resolver is its gateway.
    const dir = join(ETC_NETNS, ns);
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    writeFileSync(join(dir, 'resolv.conf'), `nameserver ${port.gateway}\n`, { mode: 0o644 });
  }
}
