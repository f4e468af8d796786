// Forwarded bytes read into the forwarder's own buffers (src/dataplane/forwarder/read-buffers.ts):
// one landing buffer shared by every socket of the process, and dedicated buffers for bulk flows
// whose writes may be left pending in the kernel. These tests try to make one flow's bytes show up
// in another's: many flows at once, both directions, readers that stall, and a cap small enough
// that some flows stay on the shared buffer while others hold dedicated ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type net from 'node:net';
import { canAdoptAcceptedSockets, ReadBuffers } from '../../src/dataplane/forwarder/index.ts';
import { connectTcp, roundTrip, waitFor, withTcpForwarder, within } from '../support/loopback.ts';

const LISTEN = '127.31.10.1';
const BACKEND = '127.31.10.2';

const digest = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

function nth(buffers: Buffer[], i: number): Buffer {
  const b = buffers[i];
  if (b === undefined) throw new Error(`no buffer ${i}`);
  return b;
}

/**
 * Reads everything until 'end', first after a long stall and then with short
 * ones: the kernel's buffers fill (loopback's grow to several MiB), so the
 * forwarder's writes to this socket are left pending with their bytes still
 * in its read buffers.
 */
function stallingRead(socket: net.Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let reads = 0;
  socket.pause();
  setTimeout(() => socket.resume(), 400);
  socket.on('data', (c: Buffer) => {
    chunks.push(c);
    reads += 1;
    if (reads % 16 === 0) {
      socket.pause();
      setTimeout(() => socket.resume(), 20);
    }
  });
  return within(
    once(socket, 'end').then(() => Buffer.concat(chunks)),
    30_000,
    'a whole transfer',
  );
}

const HOSTS = { listenHost: LISTEN, backendHost: BACKEND };

test('this Node lets accepted sockets read into the forwarder buffers (else bulk falls back to Node reads)', () => {
  assert.equal(canAdoptAcceptedSockets, true);
});

test('four flows at once, both ways, stalling readers, two dedicated buffers: every flow gets exactly its own bytes', async () => {
  const FLOWS = 4;
  const SIZE = 12 * 1024 * 1024;
  const up = Array.from({ length: FLOWS }, () => randomBytes(SIZE));
  const down = Array.from({ length: FLOWS }, () => randomBytes(SIZE));
  const buffers = new ReadBuffers({ landingBytes: 4096, dedicatedBytes: 32 * 1024, maxDedicated: 2 });
  const backendGot = new Map<number, Promise<Buffer>>();
  let most = 0;
  const sample = setInterval(() => (most = Math.max(most, buffers.dedicatedInUse)), 1);
  try {
    await withTcpForwarder(
      HOSTS,
      async ({ port }) => {
        const clients = await Promise.all(up.map(() => connectTcp(LISTEN, port)));
        const clientGot = clients.map((c, i) => {
          const got = stallingRead(c);
          c.write(Buffer.from([i]));
          c.end(nth(up, i));
          return got;
        });
        const answers = await Promise.all(clientGot);
        await waitFor(() => backendGot.size === FLOWS, 5000, 'every flow at the backend');
        for (let i = 0; i < FLOWS; i++) {
          assert.equal(digest(nth(answers, i)), digest(nth(down, i)), `flow ${i}, down`);
          const got = (await backendGot.get(i)) ?? Buffer.alloc(0);
          assert.equal(got.length, SIZE, `flow ${i}, up, length`);
          assert.equal(digest(got), digest(nth(up, i)), `flow ${i}, up`);
        }
        for (const c of clients) c.destroy();
      },
      {},
      (socket) => {
        // The first byte names the flow; the backend answers with that flow's bytes.
        socket.once('readable', () => {
          const first = socket.read(1) as Buffer | null;
          if (first === null) return;
          const i = first[0] ?? 0;
          backendGot.set(i, stallingRead(socket));
          socket.end(nth(down, i));
        });
      },
      { readBuffers: buffers },
    );
  } finally {
    clearInterval(sample);
  }
  assert.ok(buffers.handedOut >= 2, `dedicated buffers handed out: ${buffers.handedOut}`);
  assert.ok(most <= 2, `at most 2 dedicated buffers at once, saw ${most}`);
  await waitFor(() => buffers.dedicatedInUse === 0, 2000, 'every dedicated buffer given back');
});

test('a flow gives its dedicated buffer back when its traffic turns small, and idle flows never hold one', async () => {
  const buffers = new ReadBuffers({ landingBytes: 4096, dedicatedBytes: 32 * 1024, maxDedicated: 8 });
  let received = 0;
  await withTcpForwarder(
    HOSTS,
    async ({ port }) => {
      const idle = await Promise.all(Array.from({ length: 10 }, () => connectTcp(LISTEN, port)));
      for (const c of idle) assert.equal((await roundTrip(c, Buffer.from('ping'))).toString(), 'pong');
      assert.equal(buffers.handedOut, 0, 'small exchanges stay on the landing buffer');

      const bulk = await connectTcp(LISTEN, port);
      const before = received;
      bulk.write(Buffer.alloc(1024 * 1024, 1));
      await waitFor(() => received - before >= 1024 * 1024, 10_000, 'the bulk bytes at the backend');
      assert.ok(buffers.handedOut >= 1, 'a bulk flow reads into a dedicated buffer');
      assert.equal((await roundTrip(bulk, Buffer.from('ping'))).toString(), 'pong');
      assert.equal(buffers.dedicatedInUse, 0, 'given back on the small read, while the flow stays open');
      for (const c of [...idle, bulk]) c.destroy();
    },
    {},
    (socket) =>
      socket.on('data', (c: Buffer) => {
        received += c.length;
        if (c.includes('ping')) socket.write('pong');
      }),
    { readBuffers: buffers },
  );
  assert.equal(buffers.dedicatedInUse, 0);
});
