// UDP forwarding over real loopback sockets (127.31.2.0/24 and neighbours).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { EndpointCounters, ForwarderSet } from '../../src/dataplane/forwarder/index.ts';
import type { ListenerSpec } from '../../src/dataplane/forwarder/index.ts';
import { startUdpBackend, udpExchange, waitFor } from '../support/loopback.ts';
import type { UdpBackend } from '../support/loopback.ts';

const LISTEN = '127.31.2.1';
const BACKEND = '127.31.2.2';
const KEY = 'ep-u:UDP:0';

interface Fixture {
  set: ForwarderSet;
  counters: EndpointCounters;
  backend: UdpBackend;
  port: number;
  /** A client socket bound to `address` (default 127.0.0.1), closed afterwards. */
  client: (address?: string) => Promise<dgram.Socket>;
}

async function withUdpForwarder(
  fn: (f: Fixture) => Promise<void>,
  over: Partial<ListenerSpec> = {},
): Promise<void> {
  const counters = new EndpointCounters();
  const set = new ForwarderSet({ counters });
  // The reply names the port the backend saw, so a test can tell sessions apart.
  const backend = await startUdpBackend(BACKEND, (p) =>
    Buffer.from(`${p.toString()}@${backend.sources.at(-1)}`),
  );
  const clients: dgram.Socket[] = [];
  try {
    const spec: ListenerSpec = {
      key: KEY,
      endpointId: 'ep-u',
      protocol: 'UDP',
      listenHost: LISTEN,
      listenPort: 0,
      targetHost: BACKEND,
      targetPort: backend.port,
      proxyProtocol: null,
      whitelist: null,
      maxConnections: 10,
      idleTimeoutMs: 10_000,
      ...over,
    };
    const result = await set.apply([spec]);
    assert.deepEqual(result.failed, []);
    const port = set.address(KEY)?.port ?? 0;
    const client = async (address = '127.0.0.1'): Promise<dgram.Socket> => {
      const s = dgram.createSocket('udp4');
      clients.push(s);
      await new Promise<void>((resolve) => s.bind(0, address, resolve));
      return s;
    };
    await fn({ set, counters, backend, port, client });
  } finally {
    for (const c of clients) c.close();
    await set.close();
    await backend.close();
  }
}

function text(b: Buffer | null): string | null {
  return b === null ? null : b.toString();
}

test('UDP echo through the listener, with byte and session counters', async () => {
  await withUdpForwarder(async ({ counters, port, client }) => {
    const c = await client();
    const reply = text(await udpExchange(c, Buffer.from('ping'), port, LISTEN));
    assert.match(reply ?? '', /^ping@127(\.\d+){3}:\d+$/); // the backend saw the upstream socket
    const again = text(await udpExchange(c, Buffer.from('ping2'), port, LISTEN));
    assert.equal(again?.split('@')[1], reply?.split('@')[1], 'same session, same upstream port');
    const t = counters.get('ep-u');
    assert.equal(t?.activeSessions, 1);
    assert.equal(t?.totalSessions, 1);
    assert.equal(t?.bytesClientToBackend, 9);
    assert.equal(t?.bytesBackendToClient, (reply?.length ?? 0) + (again?.length ?? 0));
  });
});

test('two clients keep separate sessions and each gets only its own replies', async () => {
  await withUdpForwarder(async ({ set, backend, port, client }) => {
    const a = await client();
    const b = await client();
    const [ra, rb] = await Promise.all([
      udpExchange(a, Buffer.from('from-a'), port, LISTEN),
      udpExchange(b, Buffer.from('from-b'), port, LISTEN),
    ]);
    assert.match(text(ra) ?? '', /^from-a@/);
    assert.match(text(rb) ?? '', /^from-b@/);
    assert.equal(new Set(backend.sources).size, 2, 'one upstream socket per client');
    const flows = set.flows('ep-u');
    assert.deepEqual(flows.map((f) => f.clientPort).sort(), [a.address().port, b.address().port].sort());
  });
});

test('a session expires after idleTimeoutMs of silence; the next datagram opens a new one', async () => {
  await withUdpForwarder(
    async ({ set, counters, backend, port, client }) => {
      const c = await client();
      assert.ok(await udpExchange(c, Buffer.from('one'), port, LISTEN));
      assert.equal(set.flows().length, 1);
      const started = Date.now();
      await waitFor(() => set.flows().length === 0, 3000, 'session expiry');
      assert.ok(Date.now() - started >= 150, 'expired too early');
      assert.equal(counters.get('ep-u')?.activeSessions, 0);
      assert.ok(await udpExchange(c, Buffer.from('two'), port, LISTEN));
      assert.equal(counters.get('ep-u')?.totalSessions, 2);
      assert.notEqual(backend.sources[0], backend.sources[1], 'a fresh upstream socket');
    },
    { idleTimeoutMs: 250 },
  );
});

test('sessions are capped by maxConnections; extra clients are dropped and counted', async () => {
  await withUdpForwarder(
    async ({ counters, port, client }) => {
      const a = await client();
      const b = await client();
      assert.ok(await udpExchange(a, Buffer.from('a'), port, LISTEN));
      assert.equal(await udpExchange(b, Buffer.from('b'), port, LISTEN, 300), null);
      // No answer in 300 ms can come before the forwarder has read the datagram (a stalled
      // runner fires the timer first), so the count is waited for.
      await waitFor(() => counters.get('ep-u')?.refusedLimit === 1, 5000, 'one refusal at the limit');
      assert.ok(
        await udpExchange(a, Buffer.from('a again'), port, LISTEN),
        'the admitted session still works',
      );
    },
    { maxConnections: 1 },
  );
});

test('whitelist per datagram: listed sources get through, others are dropped and counted', async () => {
  await withUdpForwarder(
    async ({ set, counters, port, client }) => {
      const ok = await client('127.31.2.50');
      const denied = await client('127.31.9.50');
      assert.ok(await udpExchange(ok, Buffer.from('hi'), port, LISTEN));
      assert.equal(await udpExchange(denied, Buffer.from('hi'), port, LISTEN, 300), null);
      assert.equal(await udpExchange(denied, Buffer.from('hi'), port, LISTEN, 300), null);
      await waitFor(() => counters.get('ep-u')?.refusedWhitelist === 2, 5000, 'two whitelist refusals');
      assert.deepEqual(
        set.flows().map((f) => f.clientAddress),
        ['127.31.2.50'],
      );
    },
    { whitelist: ['127.31.2.0/25'] },
  );
});

test('stopEndpoint closes the sessions and the listener', async () => {
  await withUdpForwarder(async ({ set, counters, port, client }) => {
    const c = await client();
    assert.ok(await udpExchange(c, Buffer.from('x'), port, LISTEN));
    await set.stopEndpoint('ep-u');
    assert.deepEqual(set.flows(), []);
    assert.equal(set.address(KEY), undefined);
    assert.equal(counters.get('ep-u')?.activeSessions, 0);
    assert.equal(await udpExchange(c, Buffer.from('y'), port, LISTEN, 300), null);
  });
});
