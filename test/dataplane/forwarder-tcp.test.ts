// TCP forwarding over real loopback sockets (127.31.1.0/24 and neighbours).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type net from 'node:net';
import { decodeProxyHeader, readMarkerId, readVni } from '../../src/dataplane/proxy-protocol.ts';
import { EndpointCounters, ForwarderSet } from '../../src/dataplane/forwarder/index.ts';
import {
  attempt,
  closeOutcome,
  connectTcp,
  roundTrip,
  startTcpBackend,
  waitFor,
  forwarderOn,
  within,
} from '../support/loopback.ts';

const LISTEN = '127.31.1.1';
const BACKEND = '127.31.1.2';

const { spec, withForwarder } = forwarderOn(LISTEN, BACKEND);

test('echo round trip, byte counters, and the connection is released on close', async () => {
  await withForwarder(async ({ set, counters, port }) => {
    const client = await connectTcp(LISTEN, port);
    const echoed = await roundTrip(client, Buffer.from('hello through the endpoint'));
    assert.equal(echoed.toString(), 'hello through the endpoint');
    assert.equal(counters.get('ep-1')?.activeConnections, 1);
    assert.equal(set.flows('ep-1').length, 1);
    client.end();
    await within(once(client, 'close'), 2000, 'client close');
    await waitFor(() => counters.get('ep-1')?.activeConnections === 0, 2000, 'active back to 0');
    const t = counters.get('ep-1');
    assert.equal(t?.totalConnections, 1);
    assert.equal(t?.bytesClientToBackend, 26);
    assert.equal(t?.bytesBackendToClient, 26);
  });
});

test('HTTP GET through the forwarder', async () => {
  const counters = new EndpointCounters();
  const set = new ForwarderSet({ counters });
  const server = http.createServer((req, res) => res.end(`you asked for ${req.url}`));
  server.listen(0, BACKEND);
  await once(server, 'listening');
  try {
    const { port: backendPort } = server.address() as net.AddressInfo;
    await set.apply([spec({ port: backendPort })]);
    const port = set.address('ep-1:TCP:0')?.port;
    const body = await within(
      new Promise<string>((resolve, reject) => {
        http
          .get({ host: LISTEN, port, path: '/hello', agent: false }, (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (text += c));
            res.on('end', () => resolve(`${res.statusCode} ${text}`));
          })
          .on('error', reject);
      }),
      3000,
      'HTTP GET',
    );
    assert.equal(body, '200 you asked for /hello');
  } finally {
    await set.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

const TOTAL = 20 * 1024 * 1024;
const CHUNK = 64 * 1024;
const PAUSE_MS = 1000;

/** Writes TOTAL bytes, waiting for 'drain' whenever write() says so, then ends. */
function pump(socket: net.Socket, hash: ReturnType<typeof createHash>): { accepted: () => number } {
  let accepted = 0;
  const more = (): void => {
    while (accepted < TOTAL) {
      const chunk = Buffer.alloc(CHUNK, accepted / CHUNK);
      hash.update(chunk);
      accepted += CHUNK;
      if (!socket.write(chunk)) {
        socket.once('drain', more);
        return;
      }
    }
    socket.end();
  };
  more();
  return { accepted: () => accepted };
}

/** Reads nothing for PAUSE_MS (calling `onResume` when that ends), then hashes everything until 'end'. */
async function slowRead(
  socket: net.Socket,
  onResume: () => void,
): Promise<{ length: number; digest: string }> {
  await new Promise((r) => setTimeout(r, PAUSE_MS));
  onResume();
  const hash = createHash('sha256');
  let length = 0;
  socket.on('data', (c: Buffer) => {
    hash.update(c);
    length += c.length;
  });
  await within(once(socket, 'end'), 20_000, 'whole transfer');
  return { length, digest: hash.digest('hex') };
}

for (const direction of ['backend to client', 'client to backend'] as const) {
  test(`20 MB ${direction}, slow reader: backpressure reaches the sender, forwarder buffers stay small`, async () => {
    const download = direction === 'backend to client';
    const sent = createHash('sha256');
    let sender: { accepted: () => number } | undefined;
    let reading: Promise<{ length: number; digest: string }> | undefined;
    let acceptedAtResume = -1;
    const onResume = (): void => {
      acceptedAtResume = sender?.accepted() ?? -1;
    };
    const backendSide = (socket: net.Socket): void => {
      if (download) sender = pump(socket, sent);
      else reading = slowRead(socket, onResume);
    };
    await withForwarder(
      async ({ set, port }) => {
        const client = await connectTcp(LISTEN, port);
        if (download) reading = slowRead(client, onResume);
        else sender = pump(client, sent);
        let maxBuffered = 0;
        const probe = setInterval(() => {
          for (const f of set.flows('ep-1')) {
            maxBuffered = Math.max(maxBuffered, download ? f.clientBuffered : f.backendBuffered);
          }
        }, 2);
        try {
          await waitFor(() => reading !== undefined, 2000, 'backend connection');
          const got = await (reading as Promise<{ length: number; digest: string }>);
          assert.equal(got.length, TOTAL);
          assert.equal(got.digest, sent.digest('hex'));
        } finally {
          clearInterval(probe);
          client.destroy();
        }
        // The sender was held back while nobody read...
        assert.ok(
          acceptedAtResume > 0 && acceptedAtResume < TOTAL,
          `sender not paused (${acceptedAtResume})`,
        );
        // ...and the forwarder never queued more than about one chunk per socket.
        assert.ok(maxBuffered < 1024 * 1024, `forwarder buffered up to ${maxBuffered} bytes`);
      },
      {},
      backendSide,
    );
  });
}

test('half-close: the client ends its side and still receives everything the backend sends', async () => {
  let backendSawEnd = false;
  await withForwarder(
    async ({ port }) => {
      const client = await connectTcp(LISTEN, port);
      const chunks: Buffer[] = [];
      client.on('data', (c: Buffer) => chunks.push(c));
      client.end('question');
      await within(once(client, 'end'), 3000, 'backend end');
      assert.equal(Buffer.concat(chunks).toString(), 'answer to question, and more after a while');
      assert.ok(backendSawEnd);
      await within(once(client, 'close'), 2000, 'client close');
    },
    {},
    (socket) => {
      const got: Buffer[] = [];
      socket.on('data', (c: Buffer) => got.push(c));
      socket.on('end', () => {
        backendSawEnd = true;
        socket.write(`answer to ${Buffer.concat(got).toString()}`);
        setTimeout(() => socket.end(', and more after a while'), 100);
      });
    },
  );
});

test('connection limit: the N+1th connection is refused and counted, a freed slot is reusable', async () => {
  await withForwarder(
    async ({ counters, port }) => {
      const a = await connectTcp(LISTEN, port);
      const b = await connectTcp(LISTEN, port);
      await roundTrip(a, Buffer.from('a'));
      await roundTrip(b, Buffer.from('b'));
      assert.deepEqual(await attempt(LISTEN, port), { code: 'ECONNRESET', received: 0 });
      assert.equal(counters.get('ep-1')?.refusedLimit, 1);
      a.destroy();
      await waitFor(() => counters.get('ep-1')?.activeConnections === 1, 2000, 'slot freed');
      const d = await connectTcp(LISTEN, port);
      assert.equal((await roundTrip(d, Buffer.from('d'))).toString(), 'd');
      b.destroy();
      d.destroy();
    },
    { maxConnections: 2 },
  );
});

test('the limit is shared by all listeners of an endpoint', async () => {
  const counters = new EndpointCounters();
  const set = new ForwarderSet({ counters });
  const backend = await startTcpBackend(BACKEND);
  try {
    const one = spec(backend, { key: 'ep-1:TCP:a', maxConnections: 1 });
    const two = spec(backend, { key: 'ep-1:TCP:b', maxConnections: 1 });
    assert.deepEqual((await set.apply([one, two])).started, ['ep-1:TCP:a', 'ep-1:TCP:b']);
    const a = await connectTcp(LISTEN, set.address(one.key)?.port ?? 0);
    await roundTrip(a, Buffer.from('a'));
    const refused = await attempt(LISTEN, set.address(two.key)?.port ?? 0);
    assert.deepEqual(refused, { code: 'ECONNRESET', received: 0 });
    assert.equal(counters.get('ep-1')?.refusedLimit, 1);
    a.destroy();
  } finally {
    await set.close();
    await backend.close();
  }
});

test('whitelist: listed sources pass, others are refused and counted; in-place update cuts removed sources', async () => {
  await withForwarder(
    async ({ set, counters, backend, port }) => {
      const allowed = await connectTcp(LISTEN, port, '127.31.5.7');
      assert.equal((await roundTrip(allowed, Buffer.from('ok'))).toString(), 'ok');
      const denied = await attempt(LISTEN, port, '127.31.6.7');
      assert.deepEqual(denied, { code: 'ECONNRESET', received: 0 });
      assert.equal(counters.get('ep-1')?.refusedWhitelist, 1);

      const cut = closeOutcome(allowed);
      // Same spec except the whitelist: updated in place, the port is kept.
      const result = await set.apply([spec(backend, { whitelist: ['127.31.6.7'] })]);
      assert.deepEqual(result.updated, ['ep-1:TCP:0']);
      assert.deepEqual(result.started, []);
      assert.equal(set.address('ep-1:TCP:0')?.port, port);
      assert.equal((await cut).code, 'ECONNRESET');
      const now = await connectTcp(LISTEN, port, '127.31.6.7');
      assert.equal((await roundTrip(now, Buffer.from('now'))).toString(), 'now');
      now.destroy();
    },
    { whitelist: ['127.31.5.0/24'] },
  );
});

for (const vni of [undefined, 4242]) {
  test(`PROXY v2 header carries the client address, destination and marker id${vni ? ' and VNI' : ''}`, async () => {
    const seen = { header: undefined as ReturnType<typeof decodeProxyHeader> | undefined, payload: '' };
    const markerId = 16777217;
    await withForwarder(
      async ({ port }) => {
        const client = await connectTcp(LISTEN, port, '127.31.7.9');
        const echoed = await roundTrip(client, Buffer.from('payload after header'));
        assert.equal(echoed.toString(), 'payload after header');
        const h = seen.header;
        assert.equal(h?.status, 'complete');
        if (h?.status !== 'complete') return;
        assert.equal(h.header.version, 2);
        assert.equal(h.header.command, 'PROXY');
        assert.equal(h.header.transport, 'STREAM');
        assert.deepEqual(h.header.source, { address: '127.31.7.9', port: client.localPort });
        assert.deepEqual(h.header.destination, { address: LISTEN, port });
        assert.equal(readMarkerId(h.header), markerId);
        assert.equal(readVni(h.header), vni);
        client.destroy();
      },
      { proxyProtocol: vni === undefined ? { markerId } : { markerId, vni } },
      (socket) => {
        let buffered = Buffer.alloc(0);
        const onData = (c: Buffer): void => {
          buffered = Buffer.concat([buffered, c]);
          const r = decodeProxyHeader(buffered, { allowV1: false });
          if (r.status === 'incomplete') return;
          seen.header = r;
          socket.off('data', onData);
          const rest = r.status === 'complete' ? buffered.subarray(r.length) : Buffer.alloc(0);
          socket.write(rest);
          socket.pipe(socket);
        };
        socket.on('data', onData);
      },
    );
  });
}
