/**
 * Sockets bound inside another network namespace, for this process to serve:
 * a helper started there binds them and passes them over IPC (see
 * socket-helper-main.ts). Used for the VPCs' resolver, which must live in the
 * data-plane namespace while the DNS records live in this process.
 */
import { spawn } from 'node:child_process';
import type dgram from 'node:dgram';
import type net from 'node:net';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childExecArgv } from '../workers/launch.ts';

const here = fileURLToPath(import.meta.url);
const TIMEOUT_MS = 30_000;

export interface NamespaceSockets {
  udp: dgram.Socket;
  tcp: net.Server;
}

/** UDP and TCP on host:port inside the namespace `launcher` enters (e.g. `ip netns exec NS`). */
export function bindInNamespace(
  launcher: readonly string[],
  host: string,
  port: number,
): Promise<NamespaceSockets> {
  const ext = extname(here);
  const file = join(dirname(here), `socket-helper-main${ext}`);
  // From the TypeScript sources the helper needs the loader this process was started with.
  const loader = ext === '.ts' ? childExecArgv(process.execArgv) : [];
  const [command = '', ...args] = [...launcher, process.execPath, ...loader, file, host, String(port)];
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'json' });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    let udp: dgram.Socket | undefined;
    let tcp: net.Server | undefined;
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    child.on('message', (msg: { t?: string }, handle: unknown) => {
      if (msg.t === 'udp') udp = handle as dgram.Socket;
      if (msg.t === 'tcp') tcp = handle as net.Server;
      if (udp !== undefined && tcp !== undefined) child.disconnect();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (udp !== undefined && tcp !== undefined) resolve({ udp, tcp });
      else {
        udp?.close();
        tcp?.close();
        reject(
          new Error(
            `cannot bind ${host}:${port} in the data-plane namespace (exit ${code}): ${stderr.trim()}`,
          ),
        );
      }
    });
  });
}
