// An HTTP backend that, like a real service behind vpcep with tcp_proxy on,
// reads an optional PROXY protocol header before the HTTP request, and records
// what each connection's header said.
import http from 'node:http';
import net from 'node:net';
import { decodeProxyHeader, type ProxyHeader } from '../../src/dataplane/proxy-protocol/index.ts';

export interface ProxiedHttpBackend {
  host: string;
  port: number;
  /** One entry per connection, in arrival order: the decoded header, or null when none came. */
  headers: (ProxyHeader | null)[];
  close(): Promise<void>;
}

/** Answers every request with 200 and `body` (default `backend says hi`). */
export async function startProxiedHttpBackend(
  host: string,
  port: number,
  body = 'backend says hi',
): Promise<ProxiedHttpBackend> {
  const headers: (ProxyHeader | null)[] = [];
  const httpServer = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' });
    res.end(body);
  });
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const result = decodeProxyHeader(buffered);
      if (result.status === 'incomplete') return;
      socket.off('data', onData);
      if (result.status === 'invalid') {
        socket.destroy();
        return;
      }
      headers.push(result.status === 'complete' ? result.header : null);
      const rest = result.status === 'complete' ? buffered.subarray(result.length) : buffered;
      // Hand the socket, with what follows the header put back, to the HTTP server.
      socket.pause();
      if (rest.length > 0) socket.unshift(rest);
      httpServer.emit('connection', socket);
      socket.resume();
    };
    socket.on('data', onData);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as net.AddressInfo;
  return {
    host,
    port: address.port,
    headers,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
