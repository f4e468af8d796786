/**
 * What namespaces mode needs of the host (Linux, the rights, iproute2 and
 * nftables), checked before anything is created; a missing piece is a message
 * saying what to install or how to run instead.
 */
import { findTool, hasNetworkAdmin, Kernel } from './kernel.ts';

/** Why namespaces mode cannot run here; `vpcep serve` prints it and exits. */
export class NamespacesUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NamespacesUnavailable';
  }
}

/** The tools and rights namespaces mode needs, or a message saying what is missing. */
export function namespacesKernel(): Kernel {
  if (process.platform !== 'linux') {
    throw new NamespacesUnavailable('dataplane.network: namespaces needs Linux network namespaces');
  }
  if (!hasNetworkAdmin()) {
    throw new NamespacesUnavailable(
      'dataplane.network: namespaces needs root (or CAP_NET_ADMIN and CAP_SYS_ADMIN); run as root or use network: loopback',
    );
  }
  const ip = findTool('ip');
  if (ip === undefined) {
    throw new NamespacesUnavailable(
      "dataplane.network: namespaces needs iproute2's 'ip' (Debian package iproute2)",
    );
  }
  const nft = findTool('nft');
  if (nft === undefined) {
    throw new NamespacesUnavailable("dataplane.network: namespaces needs 'nft' (Debian package nftables)");
  }
  return new Kernel(ip, nft);
}
