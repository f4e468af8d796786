// Backend dials from a named source address (namespaces mode's transit address) take their
// source port from the forwarder's own sequence (src/dataplane/forwarder/source-ports.ts), so
// that the kernel can reuse ports whose earlier connections sit in TIME_WAIT; a port still in use
// for the same backend is skipped. Real sockets on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type net from 'node:net';
import { SourcePorts, type EndpointCounters } from '../../src/dataplane/forwarder/index.ts';
import {
  attempt,
  closeOutcome,
  connectTcp,
  roundTrip,
  waitFor,
  withTcpForwarder,
} from '../support/loopback.ts';

const LISTEN = '127.31.12.1';
const BACKEND = '127.31.12.2';
const SOURCE = '127.31.12.3';

/** A forwarder whose backend dials leave from SOURCE with ports of `ports`; the backend echoes. */
async function withSourcePorts(
  ports: SourcePorts,
  fn: (f: { port: number; counters: EndpointCounters; peers: net.Socket[] }) => Promise<void>,
): Promise<void> {
  const peers: net.Socket[] = [];
  await withTcpForwarder(
    { listenHost: LISTEN, backendHost: BACKEND },
    ({ port, counters }) => fn({ port, counters, peers }),
    { sourceHost: SOURCE },
    (s) => {
      peers.push(s);
      s.on('data', (d: Buffer) => s.write(d));
    },
    { sourcePorts: ports },
  );
}

test('backends are dialled from the named address and the next ports of the sequence, in turn', async () => {
  await withSourcePorts(new SourcePorts(40100, 40102, 40100), async ({ port, peers }) => {
    for (const expected of [40100, 40101, 40102, 40100]) {
      const client = await connectTcp(LISTEN, port);
      assert.equal((await roundTrip(client, Buffer.from('hi'))).toString(), 'hi');
      const peer = peers.at(-1);
      assert.equal(peer?.remoteAddress, SOURCE);
      assert.equal(peer?.remotePort, expected);
      // The backend closes first (an RST): no TIME_WAIT is left on the forwarder's side. The
      // client is reset in turn.
      peer?.resetAndDestroy();
      await closeOutcome(client, 2000);
    }
  });
});

test('a source port still in use for the backend is skipped; with every port in use the client is reset', async () => {
  await withSourcePorts(new SourcePorts(40200, 40201, 40200), async ({ port, peers, counters }) => {
    const a = await connectTcp(LISTEN, port);
    assert.equal((await roundTrip(a, Buffer.from('a'))).toString(), 'a');
    const b = await connectTcp(LISTEN, port);
    assert.equal((await roundTrip(b, Buffer.from('b'))).toString(), 'b');
    assert.deepEqual(
      peers.map((p) => p.remotePort),
      [40200, 40201],
    );
    // b's backend side goes away (an RST: nothing left in TIME_WAIT), so 40201 is free again.
    peers[1]?.resetAndDestroy();
    await closeOutcome(b, 2000);
    await waitFor(() => counters.get('ep-1')?.activeConnections === 1, 2000, 'b released');

    // The next port, 40200, still carries a: the dial fails and the next one, from 40201, works.
    const c = await connectTcp(LISTEN, port);
    assert.equal((await roundTrip(c, Buffer.from('c'))).toString(), 'c');
    assert.equal(peers.at(-1)?.remotePort, 40201);
    assert.equal(counters.get('ep-1')?.backendErrors, 0);

    // Both ports carry a live connection to this backend: three dials fail, the client is reset.
    assert.deepEqual(await attempt(LISTEN, port), { code: 'ECONNRESET', received: 0 });
    assert.equal(counters.get('ep-1')?.backendErrors, 1);
    for (const s of [a, c]) s.destroy();
  });
});
