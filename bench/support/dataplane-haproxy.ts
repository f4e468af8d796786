// The haproxy instances bench/dataplane.ts compares vpcep with: `mode tcp`
// frontends forwarding to the same backend ports as the vpcep endpoint, run by
// startHaproxy() from test/support/haproxy.ts (temp dir, foreground, killed
// with us).
import { once } from 'node:events';
import net from 'node:net';
import { startHaproxy, type RunningHaproxy } from '../../test/support/haproxy.ts';

/** A port that was free on `host` a moment ago. */
export async function freePort(host: string): Promise<number> {
  const server = net.createServer();
  server.listen(0, host);
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface HaproxyPaths {
  running: RunningHaproxy;
  bind: string;
  sinkPort: number;
  echoPort: number;
}

/**
 * haproxy with `nbthread` threads. The timeouts mirror vpcep's defaults (10 s
 * backend connect, 350 s idle) so neither side closes idle connections the
 * other keeps; maxconn covers the idle-connection phase with room to spare.
 * No health checks and no logging: nothing but the forwarding costs CPU.
 */
export function haproxyConfig(
  nbthread: number,
  bind: string,
  ports: { sink: number; echo: number },
  backend: { host: string; sink: number; echo: number },
): string {
  return [
    'global',
    `    nbthread ${nbthread}`,
    '    maxconn 9000',
    'defaults',
    '    mode tcp',
    '    maxconn 9000',
    '    timeout connect 10s',
    '    timeout client 350s',
    '    timeout server 350s',
    'frontend sink_in',
    `    bind ${bind}:${ports.sink}`,
    '    default_backend sink',
    'backend sink',
    `    server sink ${backend.host}:${backend.sink}`,
    'frontend echo_in',
    `    bind ${bind}:${ports.echo}`,
    '    default_backend echo',
    'backend echo',
    `    server echo ${backend.host}:${backend.echo}`,
    '',
  ].join('\n');
}

export async function startHaproxyPaths(
  nbthread: number,
  bind: string,
  backend: { host: string; sink: number; echo: number },
): Promise<HaproxyPaths> {
  const sinkPort = await freePort(bind);
  let echoPort = await freePort(bind);
  while (echoPort === sinkPort) echoPort = await freePort(bind);
  const running = await startHaproxy(
    haproxyConfig(nbthread, bind, { sink: sinkPort, echo: echoPort }, backend),
    {
      waitFor: [
        { host: bind, port: sinkPort },
        { host: bind, port: echoPort },
      ],
    },
  );
  return { running, bind, sinkPort, echoPort };
}
