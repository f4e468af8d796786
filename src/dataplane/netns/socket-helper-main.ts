/**
 * Started inside a network namespace (`ip netns exec NS node …`): binds a UDP
 * socket and a TCP listener on the address and port it is given, hands both to
 * its parent over the IPC channel, and exits. Node cannot enter a namespace
 * itself; a socket, once bound, keeps the namespace it was made in.
 */
import dgram from 'node:dgram';
import net from 'node:net';

const [host = '', portText = ''] = process.argv.slice(2);
const port = Number(portText);

function fail(err: unknown): never {
  process.stderr.write(`vpcep socket helper: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  if (!process.send || net.isIPv4(host) === false || !Number.isInteger(port)) fail('bad arguments');
  const udp = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind({ address: host, port }, () => resolve());
  });
  const tcp = net.createServer();
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen({ host, port }, () => resolve());
  });
  const send = (kind: string, handle: dgram.Socket | net.Server) =>
    new Promise<void>((resolve, reject) =>
      process.send?.({ t: kind }, handle, {}, (err) => (err ? reject(err) : resolve())),
    );
  await send('udp', udp);
  await send('tcp', tcp);
  // The parent disconnects once it holds both; exiting earlier could lose a handle in flight.
  process.on('disconnect', () => process.exit(0));
}

main().catch(fail);
