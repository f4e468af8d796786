/**
 * The few things namespaces mode asks of the kernel, through iproute2 and
 * nftables (no shell: arguments are passed as they are). Reads use `ip -json`.
 */
import { execFile, spawn } from 'node:child_process';
import { accessSync, constants, readdirSync, readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';

const NETNS_DIR = '/run/netns';

/** `name` on PATH or in the sbin directories, which a non-login root shell may lack. */
export function findTool(name: string, path = process.env.PATH ?? ''): string | undefined {
  const dirs = [...path.split(':').filter((d) => d !== ''), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  for (const dir of dirs) {
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // Not there; try the next directory.
    }
  }
  return undefined;
}

/** CAP_NET_ADMIN (12) and CAP_SYS_ADMIN (21, to mount namespaces under /run/netns) in the effective set. */
export function hasNetworkAdmin(): boolean {
  // The capabilities themselves, not the uid: root without them (a container, setpriv) can
  // create no namespace either.
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
    if (hex === undefined) return false;
    const caps = BigInt(`0x${hex}`);
    return (caps & (1n << 12n)) !== 0n && (caps & (1n << 21n)) !== 0n;
  } catch {
    return false;
  }
}

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly stderr: string,
  ) {
    super(`${command}: ${stderr.trim() || 'failed'}`);
    this.name = 'CommandError';
  }
}

function run(file: string, args: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, [...args], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new CommandError(`${file} ${args.slice(0, 6).join(' ')}`, stderr || err.message));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

export interface IpAddress {
  local: string;
  prefixlen: number;
}

export interface IpLink {
  ifname: string;
  up: boolean;
  master?: string;
  addresses: IpAddress[];
}

export interface IpRule {
  priority: number;
  src: string;
  table: number;
}

interface RawAddr {
  ifname?: string;
  flags?: string[];
  master?: string;
  addr_info?: { family?: string; local?: string; prefixlen?: number }[];
}

interface RawRule {
  priority?: number;
  src?: string;
  srclen?: number;
  table?: string | number;
}

export class Kernel {
  readonly ip: string;
  readonly nft: string;

  constructor(ip: string, nft: string) {
    this.ip = ip;
    this.nft = nft;
  }

  /** Every named namespace (the files `ip netns add` mounts). */
  namespaces(): string[] {
    try {
      return readdirSync(NETNS_DIR);
    } catch {
      return [];
    }
  }

  async addNamespace(ns: string): Promise<void> {
    await run(this.ip, ['netns', 'add', ns]);
  }

  async deleteNamespace(ns: string): Promise<void> {
    await run(this.ip, ['netns', 'delete', ns]);
  }

  /** The links of `ns` with their IPv4 addresses. */
  async links(ns: string): Promise<Map<string, IpLink>> {
    const raw = JSON.parse(await run(this.ip, ['-n', ns, '-j', 'addr', 'show'])) as RawAddr[];
    const out = new Map<string, IpLink>();
    for (const r of raw) {
      if (r.ifname === undefined) continue;
      out.set(r.ifname, {
        ifname: r.ifname,
        up: r.flags?.includes('UP') ?? false,
        ...(r.master !== undefined ? { master: r.master } : {}),
        addresses: (r.addr_info ?? [])
          .filter((a) => a.family === 'inet' && a.local !== undefined)
          .map((a) => ({ local: a.local ?? '', prefixlen: a.prefixlen ?? 32 })),
      });
    }
    return out;
  }

  async rules(ns: string): Promise<IpRule[]> {
    const raw = JSON.parse(await run(this.ip, ['-n', ns, '-j', 'rule', 'show'])) as RawRule[];
    return raw.flatMap((r) =>
      r.priority === undefined || r.src === undefined || r.table === undefined
        ? []
        : [{ priority: r.priority, src: r.src, table: Number(r.table) }],
    );
  }

  /** `ip -n NS -batch -`: several changes in one process; stops at the first that fails. */
  async batch(ns: string, lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    await run(this.ip, ['-n', ns, '-batch', '-'], lines.join('\n') + '\n');
  }

  /** Runs `args` inside `ns` (for the tools that have no namespace option). */
  async exec(ns: string, args: readonly string[], input?: string): Promise<string> {
    return run(this.ip, ['netns', 'exec', ns, ...args], input);
  }

  async loadRules(ns: string, text: string): Promise<void> {
    await this.exec(ns, [this.nft, '-f', '-'], text);
  }

  async sysctl(ns: string, settings: Record<string, string>): Promise<void> {
    const sysctl = findTool('sysctl');
    if (sysctl !== undefined) {
      await this.exec(ns, [sysctl, '-q', '-w', ...Object.entries(settings).map(([k, v]) => `${k}=${v}`)]);
      return;
    }
    // Without procps: the same files, written from inside the namespace.
    for (const [k, v] of Object.entries(settings)) {
      await this.exec(ns, ['sh', '-c', `echo ${v} > /proc/sys/${k.replaceAll('.', '/')}`]);
    }
  }
}

const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Runs `command` inside `ns` with this process's standard streams; resolves
 * with its exit code. The command dies with this process even on SIGKILL
 * (util-linux's setpriv sets its parent-death signal), so stopping
 * `vpcep exec` stops the instance.
 */
export function execInNamespace(ip: string, ns: string, command: readonly string[]): Promise<number> {
  const setpriv = findTool('setpriv');
  const wrapped = setpriv === undefined ? command : [setpriv, '--pdeathsig', 'SIGKILL', '--', ...command];
  return new Promise((resolve, reject) => {
    const child = spawn(ip, ['netns', 'exec', ns, ...wrapped], { stdio: 'inherit' });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    for (const s of FORWARDED_SIGNALS) process.on(s, forward);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      for (const s of FORWARDED_SIGNALS) process.off(s, forward);
      resolve(code ?? 128 + (signal === null ? 1 : (osConstants.signals[signal] ?? 1)));
    });
  });
}
