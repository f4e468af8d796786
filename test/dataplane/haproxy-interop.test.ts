// Interop with a real haproxy (Debian's 2.6 here): the PROXY headers that our
// codec and TCP forwarder emit must be accepted and understood by a widely
// used receiver, not only by our own decoder. haproxy echoes what it parsed
// through `http-request return`, so every value is read back from its side.
//
// Skipped when haproxy is not installed, unless VPCEP_REQUIRE_HAPROXY=1.
//
// Limits of haproxy 2.6 that shape these tests: it has no fetch for arbitrary
// TLVs (fc_pp_tlv arrived in 2.9), so our 0xE0/0xE1 TLVs cannot be read back;
// they are covered indirectly by the CRC32C TLV, which haproxy verifies over
// the whole header including them.
import { after, before, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import {
  authorityTlv,
  encodeV1,
  encodeV2,
  markerIdTlv,
  TLV_TYPE,
  uniqueIdTlv,
  vniTlv,
} from '../../src/dataplane/proxy-protocol.ts';
import type { EncodeV2Options, InetEndpoint } from '../../src/dataplane/proxy-protocol.ts';
import { EndpointCounters, ForwarderSet } from '../../src/dataplane/forwarder/index.ts';
import { closeOutcome, freePort, tcpSpec, waitFor, within } from '../support/loopback.ts';
import { haproxyPath, haproxyVersion, startHaproxy } from '../support/haproxy.ts';
import type { RunningHaproxy } from '../support/haproxy.ts';
import { waitUntil } from '../support/wait.ts';

/** haproxy's accept-proxy frontend. */
const HAPROXY_HOST = '127.0.0.62';
/** Source address of the raw test clients, so "real address" cases are distinguishable from defaults. */
const CLIENT_HOST = '127.0.0.56';
/** Case f: the forwarder's endpoint IP and the HTTP client's source address. */
const FORWARDER_HOST = '127.0.0.61';
const FORWARDER_CLIENT_HOST = '127.0.0.55';

const REQUIRED = process.env.VPCEP_REQUIRE_HAPROXY === '1';
const BINARY = haproxyPath();

/**
 * What haproxy reports per connection, one `name=value` line each. All names
 * were checked against haproxy 2.6.12: src/dst are the addresses after PROXY
 * processing, fc_* the real socket; the two fc_pp_* values are hex so binary
 * bytes compare exactly ("" when the TLV was absent).
 */
const FIELDS: Record<string, string> = {
  src: '%[src]',
  src_port: '%[src_port]',
  dst: '%[dst]',
  dst_port: '%[dst_port]',
  fc_src: '%[fc_src]',
  fc_src_port: '%[fc_src_port]',
  fc_dst: '%[fc_dst]',
  fc_dst_port: '%[fc_dst_port]',
  fc_rcvd_proxy: '%[fc_rcvd_proxy]',
  authority_hex: '%[fc_pp_authority,hex]',
  unique_id_hex: '%[fc_pp_unique_id,hex]',
};

function haproxyConfig(port: number): string {
  const body = Object.entries(FIELDS)
    .map(([name, fetch]) => `${name}=${fetch}\\n`)
    .join('');
  return [
    'global',
    // The log goes to haproxy's stderr, which the launcher captures; case b
    // reads the rejection reason from it.
    '  log stderr format raw local0 info',
    '  nbthread 1',
    'defaults',
    '  mode http',
    '  log global',
    '  timeout connect 2s',
    '  timeout client 5s',
    '  timeout server 5s',
    'frontend pp',
    `  bind ${HAPROXY_HOST}:${port} accept-proxy`,
    `  http-request return status 200 content-type text/plain lf-string "${body}"`,
    '',
  ].join('\n');
}

type Parsed = Record<string, string>;

function parseBody(body: string): Parsed {
  const out: Parsed = {};
  for (const line of body.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

const REQUEST = 'GET /pp HTTP/1.1\r\nHost: interop.test\r\nConnection: close\r\n\r\n';

interface Exchange {
  /** HTTP status, or null when haproxy sent nothing. */
  status: number | null;
  body: string;
  received: number;
  /** Error code the socket ended with (e.g. ECONNRESET), if any. */
  code?: string;
  /** The client's own address/port, i.e. what haproxy sees without a header. */
  local: InetEndpoint;
}

/** Sends `prefix` (a PROXY header) and one HTTP request on a fresh connection, reads until close. */
async function exchange(port: number, prefix: Buffer): Promise<Exchange> {
  const socket = net.connect({ host: HAPROXY_HOST, port, localAddress: CLIENT_HOST, allowHalfOpen: true });
  socket.on('error', () => {});
  await within(once(socket, 'connect'), 2000, `connect to haproxy ${HAPROXY_HOST}:${port}`);
  const local = { address: socket.localAddress ?? '', port: socket.localPort ?? 0 };
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  const ended = closeOutcome(socket, 5000);
  socket.write(Buffer.concat([prefix, Buffer.from(REQUEST, 'latin1')]));
  const { code, received } = await ended;
  const text = Buffer.concat(chunks).toString('utf8');
  const statusMatch = /^HTTP\/1\.[01] (\d{3}) /.exec(text);
  const split = text.indexOf('\r\n\r\n');
  return {
    status: statusMatch === null ? null : Number(statusMatch[1]),
    body: split === -1 ? '' : text.slice(split + 4),
    received,
    ...(code === undefined ? {} : { code }),
    local,
  };
}

/** The exchange must be a 200 whose body we parse; the message shows the whole exchange otherwise. */
async function parsedBy(port: number, prefix: Buffer): Promise<Parsed> {
  const ex = await exchange(port, prefix);
  assert.equal(ex.status, 200, `haproxy did not answer 200: ${JSON.stringify(ex)}`);
  return parseBody(ex.body);
}

function hex(bytes: Uint8Array | string): string {
  return Buffer.from(bytes).toString('hex').toUpperCase();
}

const V4_SOURCE = { address: '192.0.2.10', port: 40001 };
const V4_DESTINATION = { address: '198.51.100.20', port: 8443 };
const AUTHORITY = 'svc-1.endpoint.vpcep.example';
// Binary on purpose (a NUL, high bytes): haproxy must take the length from the TLV, not a terminator.
const UNIQUE_ID = Buffer.from([0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff, 0x55, 0x49, 0x44]);
const MARKER_ID = 16777300;

/** Case a's header: TCP over IPv4 with authority, unique id, marker id and a CRC32C over all of it. */
function taggedV4Header(): Buffer {
  return encodeV2({
    command: 'PROXY',
    source: V4_SOURCE,
    destination: V4_DESTINATION,
    tlvs: [authorityTlv(AUTHORITY), uniqueIdTlv(UNIQUE_ID), markerIdTlv(MARKER_ID)],
    crc32c: true,
  });
}

function invalidHeaderLogs(hp: RunningHaproxy): number {
  return hp.output().split('Received an invalid PROXY protocol header').length - 1;
}

describe('haproxy interop: PROXY protocol headers we emit', () => {
  let hp: RunningHaproxy | undefined;
  let port = 0;
  let version = '';

  before(async () => {
    if (BINARY === undefined) return;
    version = haproxyVersion(BINARY);
    port = await freePort(HAPROXY_HOST);
    hp = await startHaproxy(haproxyConfig(port), {
      binary: BINARY,
      waitFor: [{ host: HAPROXY_HOST, port }],
      startTimeoutMs: 10_000,
    });
  });

  after(async () => {
    await hp?.stop();
  });

  /** The running instance, or undefined after marking the test skipped (or failing when haproxy is required). */
  function haproxyFor(t: TestContext): RunningHaproxy | undefined {
    if (BINARY === undefined) {
      if (REQUIRED) {
        assert.fail('VPCEP_REQUIRE_HAPROXY=1 but no haproxy binary was found on PATH or in /usr/sbin');
      }
      t.skip('haproxy not installed (set VPCEP_REQUIRE_HAPROXY=1 to make this a failure)');
      return undefined;
    }
    if (hp === undefined) assert.fail('haproxy was found but not started (see the before hook)');
    return hp;
  }

  test('a. v2 TCP/IPv4 with authority, unique id, marker id and CRC32C: haproxy reports what we encoded', async (t) => {
    if (haproxyFor(t) === undefined) return;
    t.diagnostic(version);
    const header = taggedV4Header();
    // Guard against the encoder silently dropping the TLV whose value haproxy cannot show.
    assert.ok(header.includes(Buffer.from([TLV_TYPE.VPCEP_MARKER_ID, 0x00, 0x04, 0x01, 0x00, 0x00, 0x54])));
    const got = await parsedBy(port, header);
    assert.equal(got.src, V4_SOURCE.address);
    assert.equal(got.src_port, String(V4_SOURCE.port));
    assert.equal(got.dst, V4_DESTINATION.address);
    assert.equal(got.dst_port, String(V4_DESTINATION.port));
    assert.equal(got.authority_hex, hex(AUTHORITY));
    assert.equal(got.unique_id_hex, hex(UNIQUE_ID));
    assert.equal(got.fc_rcvd_proxy, '1');
    // The socket itself came from our client; only the header moved src/dst.
    assert.equal(got.fc_src, CLIENT_HOST);
    assert.equal(got.fc_dst, HAPROXY_HOST);
  });

  test('b. a corrupted CRC32C, or a byte changed under a valid-looking CRC, makes haproxy drop the connection', async (t) => {
    const h = haproxyFor(t);
    if (h === undefined) return;
    const good = taggedV4Header();
    const badValue = Buffer.from(good);
    badValue[badValue.length - 1] = (badValue[badValue.length - 1] ?? 0) ^ 0x01;
    const badCovered = Buffer.from(good);
    const at = badCovered.indexOf(Buffer.from(AUTHORITY));
    assert.ok(at > 0);
    badCovered[at] = 'S'.charCodeAt(0); // same length, still a plausible authority

    for (const [label, header] of [
      ['flipped CRC bit', badValue],
      ['authority changed after checksumming', badCovered],
    ] as const) {
      const logsBefore = invalidHeaderLogs(h);
      const ex = await exchange(port, header);
      assert.equal(ex.status, null, `${label}: haproxy answered ${JSON.stringify(ex)}`);
      assert.equal(ex.received, 0, `${label}: haproxy sent ${ex.received} bytes`);
      // And it was the header that was refused, not e.g. a timeout.
      await waitUntil(
        () => invalidHeaderLogs(h),
        (n) => n > logsBefore,
        `${label}: haproxy logging "Received an invalid PROXY protocol header"`,
        3000,
      );
    }
    // The untouched header still works on the same instance: only the corruption changed.
    assert.equal((await parsedBy(port, good)).authority_hex, hex(AUTHORITY));
  });

  test('c. v1 TCP4 and TCP6 lines', async (t) => {
    if (haproxyFor(t) === undefined) return;
    const tcp4 = encodeV1({
      source: { address: '203.0.113.7', port: 1 },
      destination: { address: '10.9.8.7', port: 65535 },
    });
    assert.match(tcp4.toString('latin1'), /^PROXY TCP4 /);
    let got = await parsedBy(port, tcp4);
    assert.deepEqual(
      [got.src, got.src_port, got.dst, got.dst_port],
      ['203.0.113.7', '1', '10.9.8.7', '65535'],
    );
    assert.equal(got.fc_rcvd_proxy, '1');

    const tcp6 = encodeV1({
      source: { address: '2001:db8:0:1::beef', port: 51000 },
      destination: { address: 'fd00::1:2', port: 443 },
    });
    assert.match(tcp6.toString('latin1'), /^PROXY TCP6 /);
    got = await parsedBy(port, tcp6);
    assert.deepEqual(
      [got.src, got.src_port, got.dst, got.dst_port],
      ['2001:db8:0:1::beef', '51000', 'fd00::1:2', '443'],
    );
  });

  test('d. v2 TCP/IPv6 (with CRC32C), and an IPv4-mapped pair sent as IPv4', async (t) => {
    if (haproxyFor(t) === undefined) return;
    const v6: EncodeV2Options = {
      command: 'PROXY',
      source: { address: '2001:db8::a:b', port: 33333 },
      destination: { address: '::1', port: 8080 },
      tlvs: [authorityTlv('v6.example'), markerIdTlv(7), vniTlv(4242)],
      crc32c: true,
    };
    const header = encodeV2(v6);
    assert.equal(header[13], 0x21, 'family/transport byte should be INET6/STREAM');
    let got = await parsedBy(port, header);
    assert.deepEqual(
      [got.src, got.src_port, got.dst, got.dst_port],
      ['2001:db8::a:b', '33333', '::1', '8080'],
    );
    assert.equal(got.authority_hex, hex('v6.example'));
    assert.equal(got.fc_src, CLIENT_HOST, 'the TCP connection itself is IPv4');

    const mapped = encodeV2({
      command: 'PROXY',
      source: { address: '::ffff:192.0.2.99', port: 1234 },
      destination: { address: '::ffff:198.51.100.1', port: 80 },
    });
    assert.equal(mapped[13], 0x11, 'family/transport byte should be INET/STREAM');
    got = await parsedBy(port, mapped);
    assert.deepEqual(
      [got.src, got.src_port, got.dst, got.dst_port],
      ['192.0.2.99', '1234', '198.51.100.1', '80'],
    );
  });

  test('e. v2 LOCAL: haproxy keeps the real connection addresses, even if an address block is present', async (t) => {
    if (haproxyFor(t) === undefined) return;
    for (const [label, options] of [
      ['LOCAL/UNSPEC', { command: 'LOCAL' }],
      ['LOCAL with an INET block', { command: 'LOCAL', source: V4_SOURCE, destination: V4_DESTINATION }],
    ] as const satisfies readonly (readonly [string, EncodeV2Options])[]) {
      const ex = await exchange(port, encodeV2(options));
      assert.equal(ex.status, 200, `${label}: ${JSON.stringify(ex)}`);
      const got = parseBody(ex.body);
      assert.deepEqual(
        [got.src, got.src_port, got.dst, got.dst_port],
        [CLIENT_HOST, String(ex.local.port), HAPROXY_HOST, String(port)],
        label,
      );
    }
  });

  test('f. through the TCP forwarder: haproxy sees the client and the endpoint address', async (t) => {
    if (haproxyFor(t) === undefined) return;
    const counters = new EndpointCounters();
    const set = new ForwarderSet({ counters, connectTimeoutMs: 2000 });
    try {
      const listenPort = await freePort(FORWARDER_HOST);
      const spec = tcpSpec(
        FORWARDER_HOST,
        { host: HAPROXY_HOST, port },
        {
          key: `ep-1:TCP:${listenPort}`,
          listenPort,
          proxyProtocol: { markerId: MARKER_ID, vni: 4242 },
        },
      );
      const applied = await set.apply([spec]);
      assert.deepEqual(applied.failed, []);
      assert.equal(set.address(spec.key)?.port, listenPort);

      let client: net.Socket | undefined;
      // Read at connect: a socket that is already closed no longer reports its port.
      let clientPort: number | undefined;
      const response = await within(
        new Promise<{ status: number | undefined; body: string }>((resolve, reject) => {
          const req = http.get(
            {
              host: FORWARDER_HOST,
              port: listenPort,
              path: '/via-forwarder',
              localAddress: FORWARDER_CLIENT_HOST,
              agent: false,
            },
            (res) => {
              let body = '';
              res.setEncoding('utf8');
              res.on('data', (c: string) => (body += c));
              res.on('end', () => resolve({ status: res.statusCode, body }));
              res.on('error', reject);
            },
          );
          req.on('socket', (s) => {
            client = s;
            s.once('connect', () => (clientPort = s.localPort));
          });
          req.on('error', reject);
        }),
        5000,
        'HTTP GET through the forwarder to haproxy',
      );
      assert.equal(response.status, 200, response.body);
      const got = parseBody(response.body);
      assert.ok(client !== undefined);
      assert.equal(got.src, FORWARDER_CLIENT_HOST);
      assert.ok(clientPort !== undefined && clientPort > 0);
      assert.equal(got.src_port, String(clientPort));
      assert.equal(got.dst, FORWARDER_HOST);
      assert.equal(got.dst_port, String(listenPort));
      // haproxy's socket peer is the forwarder, so src really came from the header.
      assert.notEqual(got.fc_src, FORWARDER_CLIENT_HOST);
      assert.equal(got.fc_rcvd_proxy, '1');
      assert.equal(got.authority_hex, '');

      const c = client;
      if (!c.destroyed) await within(once(c, 'close'), 3000, 'client socket close');
      await waitFor(
        () => counters.get('ep-1')?.activeConnections === 0,
        3000,
        'forwarded connection released',
      );
      const traffic = counters.get('ep-1');
      assert.equal(traffic?.totalConnections, 1);
      assert.equal(traffic?.backendErrors, 0);
      // Payload only: the PROXY header is not counted as client traffic.
      assert.equal(traffic?.bytesClientToBackend, c.bytesWritten);
      assert.equal(traffic?.bytesBackendToClient, c.bytesRead);
    } finally {
      await set.close();
      counters.forget('ep-1');
    }
    assert.equal(set.listeners().length, 0);
  });
});
