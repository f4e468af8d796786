// Ways a forwarded TCP connection ends: idle timeout, refusing backend,
// stopEndpoint (with RST), and the reset helper (127.31.4.0/24).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { EndpointCounters, ForwarderSet } from '../../src/dataplane/forwarder/index.ts';
import { resetSocket } from '../../src/dataplane/forwarder/tcp-flow.ts';
import {
  closeOutcome,
  connectTcp,
  freePort,
  roundTrip,
  startTcpBackend,
  waitFor,
  forwarderOn,
  within,
  attempt,
} from '../support/loopback.ts';

const LISTEN = '127.31.4.1';
const BACKEND = '127.31.4.2';

const { spec, withForwarder } = forwarderOn(LISTEN, BACKEND);

test('idle timeout closes both sides', async () => {
  await withForwarder(
    async ({ backend, counters, port }) => {
      const client = await connectTcp(LISTEN, port);
      // Taken before the round trip: the flow's last activity is within it, so a slow runner
      // cannot make a timely close look early.
      const started = Date.now();
      await roundTrip(client, Buffer.from('x'));
      await closeOutcome(client, 3000);
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 250, `closed too early (${elapsed} ms)`);
      await waitFor(() => backend.sockets.size === 0, 2000, 'backend socket closed');
      assert.equal(counters.get('ep-1')?.activeConnections, 0);
    },
    { idleTimeoutMs: 300 },
  );
});

test('a refusing backend resets the client and counts a backend error', async () => {
  const counters = new EndpointCounters();
  const set = new ForwarderSet({ counters });
  try {
    const closedPort = await freePort(BACKEND);
    await set.apply([spec({ port: closedPort })]);
    const outcome = await attempt(LISTEN, set.address('ep-1:TCP:0')?.port ?? 0);
    assert.deepEqual(outcome, { code: 'ECONNRESET', received: 0 });
    await waitFor(() => counters.get('ep-1')?.backendErrors === 1, 2000, 'backend error counted');
    assert.equal(counters.get('ep-1')?.activeConnections, 0);
  } finally {
    await set.close();
  }
});

test('stopEndpoint resets open connections, refuses new ones and leaves other endpoints alone', async () => {
  await withForwarder(async ({ set, backend, port }) => {
    const other = spec(backend, { key: 'ep-2:TCP:0', endpointId: 'ep-2' });
    const mine = spec(backend);
    const r = await set.apply([mine, other]);
    assert.deepEqual(r.started, ['ep-2:TCP:0']);
    const otherPort = set.address(other.key)?.port ?? 0;
    const client = await connectTcp(LISTEN, port);
    await roundTrip(client, Buffer.from('before'));
    const otherClient = await connectTcp(LISTEN, otherPort);
    const outcome = closeOutcome(client);
    await set.stopEndpoint('ep-1');
    assert.equal((await outcome).code, 'ECONNRESET');
    assert.equal(set.address('ep-1:TCP:0'), undefined);
    await assert.rejects(connectTcp(LISTEN, port), /ECONNREFUSED/);
    assert.equal((await roundTrip(otherClient, Buffer.from('still up'))).toString(), 'still up');
    otherClient.destroy();
  });
});

test('stopEndpoint also cuts a half-closed connection (backend done, client still open)', async () => {
  await withForwarder(
    async ({ set, port }) => {
      const client = await connectTcp(LISTEN, port);
      const chunks: Buffer[] = [];
      client.on('data', (c: Buffer) => chunks.push(c));
      await within(once(client, 'end'), 2000, 'FIN from the backend');
      assert.equal(Buffer.concat(chunks).toString(), 'bye');
      const outcome = closeOutcome(client);
      await set.stopEndpoint('ep-1');
      // The forwarder's socket must really be gone: writing to it draws an RST,
      // which surfaces on a later write (our read side is already at EOF).
      const poke = setInterval(() => client.write('anyone there?'), 50);
      try {
        assert.match((await outcome).code ?? '', /^(ECONNRESET|EPIPE)$/);
      } finally {
        clearInterval(poke);
      }
    },
    {},
    (socket) => socket.end('bye'),
  );
});

test('resetSocket closes a socket whose FIN is still in flight (node 20 resetAndDestroy gives EINVAL and leaks)', async () => {
  const backend = await startTcpBackend(BACKEND, (s) => {
    s.end('bye');
    resetSocket(s);
  });
  try {
    const client = await connectTcp(BACKEND, backend.port);
    await closeOutcome(client);
    await waitFor(() => backend.sockets.size === 0, 2000, 'server side socket closed');
  } finally {
    await backend.close();
  }
});
