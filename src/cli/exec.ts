/**
 * `vpcep exec --port PORT_ID -- CMD…`: runs CMD as the instance that owns a
 * port, in the port's network namespace (namespaces mode), where the port's
 * address is the only one and its subnet's gateway the only way out.
 */
import { loadConfig } from '../config/load.ts';
import { execInNamespace, findTool, Kernel } from '../dataplane/netns/kernel.ts';
import { NetnsNames } from '../dataplane/netns/names.ts';

/** Port ids are UUIDs; anything else is refused before it reaches a name. */
const PORT_ID = /^[A-Za-z0-9-]{1,64}$/;

export class ExecError extends Error {}

export async function execInPort(opts: {
  config?: string;
  port: string;
  command: string[];
}): Promise<number> {
  if (!PORT_ID.test(opts.port)) throw new ExecError(`invalid port id '${opts.port.slice(0, 80)}'`);
  if (opts.command.length === 0) throw new ExecError('no command given (vpcep exec --port ID -- CMD…)');
  const config = loadConfig({ file: opts.config });
  const ip = findTool('ip');
  const nft = findTool('nft') ?? 'nft';
  if (ip === undefined) throw new ExecError("vpcep exec needs iproute2's 'ip'");
  const names = new NetnsNames(config.dataplane.namespace_prefix ?? 'vpcep');
  const ns = names.port(opts.port);
  if (!new Kernel(ip, nft).namespaces().includes(ns)) {
    throw new ExecError(
      `port ${opts.port} has no network here: vpcep serve must run with dataplane.network: namespaces, and the port must be an instance's (device_owner compute:*) or a load balancer's`,
    );
  }
  return execInNamespace(ip, ns, opts.command);
}
