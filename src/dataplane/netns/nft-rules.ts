/**
 * The nftables rule sets of namespaces mode, as text for `nft -f`. Each is one
 * table (`ip vpcep`) replaced in one transaction, so a namespace is never
 * between two rule sets. Pure functions: what they allow is tested without root.
 */
import { BRIDGE, VPC_TRANSIT } from './names.ts';

export const TABLE = 'vpcep';

export interface SteeredEndpoint {
  /** The endpoint's address in the consumer VPC. */
  ip: string;
  /** Its listener in the data-plane namespace. */
  listener: string;
  mappings: { protocol: 'tcp' | 'udp'; port: number }[];
}

export interface VpcRules {
  /** Endpoints whose consumer VPC this is. */
  endpoints: SteeredEndpoint[];
  /** Gateway addresses, where the VPC's instances find the resolver. */
  gateways: string[];
  /** The data plane's end of this VPC's transit link: the only source let in from it. */
  dataplaneSource: string;
  /** The resolver in the data-plane namespace, or null without DNS. */
  resolver: string | null;
}

/** Replaces the table whole: declaring it first makes the delete valid when it does not exist yet. */
function wrap(body: string[]): string {
  return [`table ip ${TABLE}`, `delete table ip ${TABLE}`, `table ip ${TABLE} {`, ...body, '}', ''].join(
    '\n',
  );
}

/**
 * A VPC's namespace: its instances reach each other over the bridge; towards
 * the data plane only connections to an endpoint's address and ports (DNAT to
 * its listener) and DNS queries to a gateway leave; from the data plane only
 * its backend dials enter. Nothing is addressed to the namespace itself.
 */
export function vpcRules(v: VpcRules): string {
  const dnat: string[] = [];
  for (const ep of v.endpoints) {
    for (const m of ep.mappings) {
      dnat.push(`    ip daddr ${ep.ip} ${m.protocol} dport ${m.port} dnat to ${ep.listener}`);
    }
  }
  if (v.resolver !== null && v.gateways.length > 0) {
    const gws = `{ ${v.gateways.join(', ')} }`;
    dnat.push(`    ip daddr ${gws} udp dport 53 dnat to ${v.resolver}`);
    dnat.push(`    ip daddr ${gws} tcp dport 53 dnat to ${v.resolver}`);
  }
  const masquerade =
    v.resolver === null ? [] : [`    oifname "${VPC_TRANSIT}" ip daddr ${v.resolver} masquerade`];
  return wrap([
    '  chain prerouting {',
    '    type nat hook prerouting priority dstnat; policy accept;',
    ...dnat,
    '  }',
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    // The resolver answers every VPC from one address: the query must come from this
    // VPC's transit address for the answer to find its way back.
    ...masquerade,
    '  }',
    '  chain forward {',
    '    type filter hook forward priority filter; policy drop;',
    '    ct state established,related accept',
    `    iifname != "${VPC_TRANSIT}" oifname != "${VPC_TRANSIT}" accept`,
    `    oifname "${VPC_TRANSIT}" ct status dnat accept`,
    `    iifname "${VPC_TRANSIT}" oifname "${BRIDGE}" ip saddr ${v.dataplaneSource} ct state new accept`,
    '  }',
    '  chain input {',
    '    type filter hook input priority filter; policy drop;',
    '    ct state established,related accept',
    '    iifname "lo" accept',
    '  }',
  ]);
}

export interface DataplaneRules {
  /** Per transit link, the listener addresses its VPC's endpoints were given. */
  links: { link: string; listeners: string[] }[];
  resolver: string | null;
}

/**
 * The data-plane namespace: from a VPC's link, only its own endpoints'
 * listeners and the resolver; nothing is forwarded between links.
 */
export function dataplaneRules(d: DataplaneRules): string {
  const accepts: string[] = [];
  for (const { link, listeners } of d.links) {
    if (listeners.length > 0)
      accepts.push(`    iifname "${link}" ip daddr { ${listeners.join(', ')} } accept`);
    if (d.resolver !== null) {
      accepts.push(`    iifname "${link}" ip daddr ${d.resolver} udp dport 53 accept`);
      accepts.push(`    iifname "${link}" ip daddr ${d.resolver} tcp dport 53 accept`);
    }
  }
  return wrap([
    '  chain input {',
    '    type filter hook input priority filter; policy drop;',
    '    ct state established,related accept',
    '    iifname "lo" accept',
    ...accepts,
    '  }',
    '  chain forward {',
    '    type filter hook forward priority filter; policy drop;',
    '  }',
  ]);
}
