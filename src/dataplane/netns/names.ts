/**
 * The names vpcep gives to what it creates in namespaces mode. Every name
 * starts with the configured prefix, so convergence and clean-up touch only
 * vpcep's own namespaces, and a name is a function of the store's id alone:
 * `vpcep exec` finds a port's namespace without the store, and a restart
 * finds what an earlier run created.
 */
import { createHash } from 'node:crypto';

/** What `dataplane.namespace_prefix` may be: short enough for every name below, nothing a shell or path could misread. */
export const PREFIX_PATTERN = /^[a-z][a-z0-9]{0,11}$/;

/** 40 bits of SHA-256: collisions need about a million VPCs or ports on one host. */
export function shortId(id: string): string {
  return createHash('sha256').update(id).digest('hex').slice(0, 10);
}

export class NetnsNames {
  readonly prefix: string;

  constructor(prefix: string) {
    if (!PREFIX_PATTERN.test(prefix)) throw new Error(`invalid namespace prefix '${prefix}'`);
    this.prefix = prefix;
  }

  /** Where the forwarding processes and the VPCs' resolver run. */
  get dataplane(): string {
    return `${this.prefix}-dp`;
  }

  vpc(vpcId: string): string {
    return `${this.prefix}-v-${shortId(vpcId)}`;
  }

  port(portId: string): string {
    return `${this.prefix}-p-${shortId(portId)}`;
  }

  /** Whether `ns` is one of ours (and so may be deleted when nothing wants it). */
  owns(ns: string): boolean {
    return ns === this.dataplane || ns.startsWith(`${this.prefix}-v-`) || ns.startsWith(`${this.prefix}-p-`);
  }
}

/** In the data-plane namespace: the end of a VPC's transit link (IFNAMSIZ allows 15 characters). */
export function transitLink(vpcId: string): string {
  return `v${shortId(vpcId)}`;
}

/** In a VPC's namespace: the bridge end of a port's link. */
export function portLink(portId: string): string {
  return `p${shortId(portId)}`;
}

/** Fixed names inside one namespace, where nothing else can clash. */
export const BRIDGE = 'br0';
export const VPC_TRANSIT = 't0';
export const PORT_LINK = 'eth0';
