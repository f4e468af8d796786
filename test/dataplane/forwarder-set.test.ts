// ForwarderSet reconciliation, bind failures and counters (127.31.3.0/24).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { once } from 'node:events';
import { EndpointCounters, ForwarderSet } from '../../src/dataplane/forwarder/index.ts';
import type { ListenerSpec } from '../../src/dataplane/forwarder/index.ts';
import {
  attempt,
  closeOutcome,
  connectTcp,
  freePort,
  roundTrip,
  startTcpBackend,
  startUdpBackend,
  udpExchange,
} from '../support/loopback.ts';

const LISTEN = '127.31.3.1';
const BACKEND = '127.31.3.2';

function tcp(key: string, targetPort: number, over: Partial<ListenerSpec> = {}): ListenerSpec {
  return {
    key,
    endpointId: key.split(':')[0] ?? key,
    protocol: 'TCP',
    listenHost: LISTEN,
    listenPort: 0,
    targetHost: BACKEND,
    targetPort,
    proxyProtocol: null,
    whitelist: null,
    maxConnections: 10,
    idleTimeoutMs: 10_000,
    ...over,
  };
}

test('apply() starts, keeps, restarts, updates in place and stops listeners', async () => {
  const counters = new EndpointCounters();
  const set = new ForwarderSet({ counters });
  // Each backend prefixes its echo so a test can tell which one answered.
  const b1 = await startTcpBackend(BACKEND, (s) =>
    s.on('data', (c: Buffer) => s.write(`b1:${c.toString()}`)),
  );
  const b2 = await startTcpBackend(BACKEND, (s) =>
    s.on('data', (c: Buffer) => s.write(`b2:${c.toString()}`)),
  );
  const udpBackend = await startUdpBackend(BACKEND);
  const udpClient = dgram.createSocket('udp4');
  try {
    const port = await freePort(LISTEN);
    const a = tcp('ep-a:TCP:1', b1.port, { listenPort: port });
    const u = tcp('ep-a:UDP:1', udpBackend.port, { protocol: 'UDP', listenPort: port });
    let r = await set.apply([a, u]);
    assert.deepEqual(r, { started: ['ep-a:TCP:1', 'ep-a:UDP:1'], stopped: [], updated: [], failed: [] });
    assert.deepEqual(set.address(a.key), { host: LISTEN, port });
    const udpReply = await udpExchange(udpClient, Buffer.from('u'), port, LISTEN);
    assert.equal(udpReply?.toString(), 'u');

    // Same specs again (whitelist order aside): nothing happens, connections survive.
    const conn = await connectTcp(LISTEN, port);
    assert.equal((await roundTrip(conn, Buffer.from('x'))).toString(), 'b1:x');
    r = await set.apply([{ ...a }, { ...u }]);
    assert.deepEqual(r, { started: [], stopped: [], updated: [], failed: [] });
    assert.equal((await roundTrip(conn, Buffer.from('y'))).toString(), 'b1:y');

    // Whitelist / maxConnections only: updated in place, connection from an allowed source kept.
    r = await set.apply([{ ...a, whitelist: ['127.0.0.0/8', '10.0.0.0/8'], maxConnections: 5 }, u]);
    assert.deepEqual(r, { started: [], stopped: [], updated: ['ep-a:TCP:1'], failed: [] });
    assert.equal((await roundTrip(conn, Buffer.from('z'))).toString(), 'b1:z');
    r = await set.apply([{ ...a, whitelist: ['10.0.0.0/8', '127.0.0.0/8'], maxConnections: 5 }, u]);
    assert.deepEqual(r.updated, [], 'whitelist order does not matter');

    // A new target: restarted on the same port, the old connection is reset, new ones reach b2.
    const cut = closeOutcome(conn);
    r = await set.apply([{ ...a, targetPort: b2.port }, u]);
    assert.deepEqual(r, { started: ['ep-a:TCP:1'], stopped: ['ep-a:TCP:1'], updated: [], failed: [] });
    assert.equal((await cut).code, 'ECONNRESET');
    const conn2 = await connectTcp(LISTEN, port);
    assert.equal((await roundTrip(conn2, Buffer.from('x'))).toString(), 'b2:x');
    conn2.destroy();

    // Not listed any more: stopped.
    r = await set.apply([u]);
    assert.deepEqual(r, { started: [], stopped: ['ep-a:TCP:1'], updated: [], failed: [] });
    assert.deepEqual(await attempt(LISTEN, port), { code: 'ECONNREFUSED', received: 0 });
    r = await set.apply([]);
    assert.deepEqual(r.stopped, ['ep-a:UDP:1']);
    assert.deepEqual(set.listeners(), []);
  } finally {
    udpClient.close();
    await set.close();
    await Promise.all([b1.close(), b2.close(), udpBackend.close()]);
  }
});

test('a port already in use is reported in failed (TCP and UDP) and retried by the next apply()', async () => {
  const set = new ForwarderSet({ counters: new EndpointCounters() });
  const backend = await startTcpBackend(BACKEND);
  const squatter = net.createServer();
  squatter.listen(0, LISTEN);
  await once(squatter, 'listening');
  const busyPort = (squatter.address() as net.AddressInfo).port;
  const udpSquatter = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => udpSquatter.bind(0, LISTEN, resolve));
  const busyUdpPort = udpSquatter.address().port;
  try {
    const busy = tcp('ep-b:TCP:1', backend.port, { listenPort: busyPort });
    const busyUdp = tcp('ep-b:UDP:1', backend.port, { protocol: 'UDP', listenPort: busyUdpPort });
    const fine = tcp('ep-c:TCP:1', backend.port);
    let r = await set.apply([busy, busyUdp, fine]);
    assert.deepEqual(r.started, ['ep-c:TCP:1']);
    assert.deepEqual(
      r.failed.map((f) => [f.key, f.code]),
      [
        ['ep-b:TCP:1', 'EADDRINUSE'],
        ['ep-b:UDP:1', 'EADDRINUSE'],
      ],
    );
    await new Promise<void>((resolve) => squatter.close(() => resolve()));
    r = await set.apply([busy, busyUdp, fine]);
    assert.deepEqual(r.started, ['ep-b:TCP:1'], 'retried once the port is free');
    assert.deepEqual(
      r.failed.map((f) => f.key),
      ['ep-b:UDP:1'],
    );
  } finally {
    squatter.close();
    udpSquatter.close();
    await set.close();
    await backend.close();
  }
});

test('an address that is not local is reported as EADDRNOTAVAIL without crashing', async () => {
  const set = new ForwarderSet({ counters: new EndpointCounters() });
  try {
    // 192.0.2.0/24 (TEST-NET-1) is never assigned locally; the bind fails before any packet is sent.
    const r = await set.apply([
      tcp('ep-d:TCP:1', 9, { listenHost: '192.0.2.10' }),
      tcp('ep-d:UDP:1', 9, { listenHost: '192.0.2.10', protocol: 'UDP' }),
    ]);
    assert.deepEqual(
      r.failed.map((f) => f.code),
      ['EADDRNOTAVAIL', 'EADDRNOTAVAIL'],
    );
    assert.deepEqual(set.listeners(), []);
  } finally {
    await set.close();
  }
});

test('invalid specs and duplicate keys fail closed; valid ones still start', async () => {
  const set = new ForwarderSet({ counters: new EndpointCounters() });
  try {
    const good = tcp('ep-e:TCP:1', 9);
    const r = await set.apply([
      good,
      tcp('ep-e:TCP:2', 9, { whitelist: ['not-an-ip'] }),
      tcp('ep-e:TCP:3', 9, { listenHost: 'localhost' }),
      tcp('ep-e:UDP:4', 9, { protocol: 'UDP', proxyProtocol: { markerId: 1 } }),
      tcp('ep-e:TCP:5', 9, { maxConnections: -1 }),
      tcp('ep-e:TCP:6', 9, { proxyProtocol: { markerId: 2 ** 32 } }),
      tcp('ep-e:TCP:7', 9),
      tcp('ep-e:TCP:7', 9, { listenPort: 1 }),
      tcp('ep-e:TCP:8', 9),
      tcp('ep-e:TCP:8', 9, { whitelist: ['bad'] }),
    ]);
    assert.deepEqual(r.started, ['ep-e:TCP:1']);
    assert.deepEqual(
      r.failed.map((f) => f.key),
      ['ep-e:TCP:2', 'ep-e:TCP:3', 'ep-e:TCP:5', 'ep-e:TCP:6', 'ep-e:TCP:7', 'ep-e:TCP:8', 'ep-e:UDP:4'],
    );
    assert.match(r.failed.find((f) => f.key === 'ep-e:TCP:7')?.error ?? '', /duplicate/);
  } finally {
    await set.close();
  }
});

test('close() stops everything and later apply() calls reject', async () => {
  const set = new ForwarderSet({ counters: new EndpointCounters() });
  const backend = await startTcpBackend(BACKEND);
  try {
    await set.apply([tcp('ep-f:TCP:1', backend.port)]);
    const port = set.address('ep-f:TCP:1')?.port ?? 0;
    const conn = await connectTcp(LISTEN, port);
    const cut = closeOutcome(conn);
    await set.close();
    assert.equal((await cut).code, 'ECONNRESET');
    await assert.rejects(set.apply([]), /closed/);
    await set.close(); // idempotent
  } finally {
    await backend.close();
  }
});

test('EndpointCounters: snapshot copies and Prometheus text', () => {
  const counters = new EndpointCounters();
  const t = counters.record('ep-"1"');
  t.activeConnections = 2;
  t.bytesClientToBackend = 10;
  t.refusedLimit = 3;
  const snap = counters.snapshot();
  t.activeConnections = 5;
  assert.equal(snap.get('ep-"1"')?.activeConnections, 2, 'snapshot is a copy');
  const text = counters.renderPrometheus();
  assert.match(text, /^# TYPE vpcep_endpoint_connections_active gauge$/m);
  assert.match(text, /^vpcep_endpoint_connections_active\{endpoint_id="ep-\\"1\\""\} 5$/m);
  assert.match(
    text,
    /^vpcep_endpoint_bytes_total\{endpoint_id="ep-\\"1\\"",direction="client_to_backend"\} 10$/m,
  );
  assert.match(text, /^vpcep_endpoint_refused_total\{endpoint_id="ep-\\"1\\"",reason="limit"\} 3$/m);
  counters.forget('ep-"1"');
  assert.equal(counters.get('ep-"1"'), undefined);
  assert.doesNotMatch(counters.renderPrometheus(), /endpoint_id=/);
});
