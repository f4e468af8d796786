import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIPv4, SocketAddress } from 'node:net';
import fc from 'fast-check';

import { crc32c } from '../../src/dataplane/crc32c.ts';
import {
  alpnTlv,
  authorityTlv,
  canonicalIpAddress,
  decodeProxyHeader,
  encodeV1,
  encodeV2,
  findTlv,
  markerIdTlv,
  netnsTlv,
  noopTlv,
  parseSslTlv,
  proxiedInetEndpoints,
  readAlpn,
  readAuthority,
  readMarkerId,
  readNetns,
  readUniqueId,
  readVni,
  SSL_CLIENT,
  SSL_SUBTYPE,
  sslTlv,
  TLV_TYPE,
  uniqueIdTlv,
  V2_SIGNATURE,
  vniTlv,
} from '../../src/dataplane/proxy-protocol.ts';
import type {
  DecodeOptions,
  DecodeResult,
  InetEndpoint,
  ProxyHeader,
  Tlv,
} from '../../src/dataplane/proxy-protocol.ts';

const SIG = '0d0a0d0a000d0a515549540a';

function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}

function ascii(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

function complete(data: Uint8Array, options?: DecodeOptions): { header: ProxyHeader; length: number } {
  const r = decodeProxyHeader(data, options);
  assert.equal(r.status, 'complete', `expected complete, got ${JSON.stringify(r)}`);
  if (r.status !== 'complete') throw new Error('unreachable');
  return { header: r.header, length: r.length };
}

function assertInvalid(data: Uint8Array, reasonPattern?: RegExp, options?: DecodeOptions): void {
  const r = decodeProxyHeader(data, options);
  assert.equal(r.status, 'invalid', `expected invalid, got ${JSON.stringify(r)}`);
  if (r.status === 'invalid' && reasonPattern) assert.match(r.reason, reasonPattern);
}

function assertAllPrefixesIncomplete(data: Uint8Array, options?: DecodeOptions): void {
  for (let i = 0; i < data.length; i++) {
    const r = decodeProxyHeader(data.subarray(0, i), options);
    assert.equal(r.status, 'incomplete', `prefix of ${i}/${data.length} bytes gave ${JSON.stringify(r)}`);
  }
}

// --- v2 spec vectors -------------------------------------------------------

test('v2 TCP4 PROXY header matches hand-built bytes', () => {
  const bytes = encodeV2({
    command: 'PROXY',
    transport: 'STREAM',
    source: { address: '127.0.0.1', port: 56324 },
    destination: { address: '127.0.0.2', port: 443 },
  });
  assert.equal(bytes.toString('hex'), `${SIG}21 11 000c 7f000001 7f000002 dc04 01bb`.replace(/ /g, ''));
  const { header, length } = complete(bytes);
  assert.equal(length, 28);
  assert.deepEqual(header, {
    version: 2,
    command: 'PROXY',
    family: 'INET',
    transport: 'STREAM',
    source: { address: '127.0.0.1', port: 56324 },
    destination: { address: '127.0.0.2', port: 443 },
    tlvs: [],
  });
});

test('v2 UDP4 PROXY header uses family byte 0x12', () => {
  const bytes = encodeV2({
    command: 'PROXY',
    transport: 'DGRAM',
    source: { address: '10.0.0.1', port: 53 },
    destination: { address: '10.0.0.2', port: 5353 },
  });
  assert.equal(bytes.toString('hex'), `${SIG}2112000c0a0000010a000002003514e9`);
  assert.equal(complete(bytes).header.transport, 'DGRAM');
});

test('v2 TCP6 and UDP6 PROXY headers match hand-built bytes', () => {
  const endpoints = {
    source: { address: '2001:db8::1', port: 1234 },
    destination: { address: '2001:db8::2', port: 80 },
  };
  const body = '20010db8000000000000000000000001 20010db8000000000000000000000002 04d2 0050';
  const tcp = encodeV2({ command: 'PROXY', transport: 'STREAM', ...endpoints });
  assert.deepEqual(tcp, hex(`${SIG} 21 21 0024 ${body}`));
  const udp = encodeV2({ command: 'PROXY', transport: 'DGRAM', ...endpoints });
  assert.deepEqual(udp, hex(`${SIG} 21 22 0024 ${body}`));
  const { header } = complete(tcp);
  assert.deepEqual(header, {
    version: 2,
    command: 'PROXY',
    family: 'INET6',
    transport: 'STREAM',
    tlvs: [],
    ...endpoints,
  });
});

test('v2 LOCAL header with an UNSPEC address block', () => {
  const bytes = encodeV2({ command: 'LOCAL' });
  assert.deepEqual(bytes, hex(`${SIG} 20 00 0000`));
  // transport is meaningless without addresses; the spec has no UNSPEC/STREAM byte.
  assert.deepEqual(encodeV2({ command: 'LOCAL', transport: 'DGRAM' }), bytes);
  const { header, length } = complete(bytes);
  assert.equal(length, 16);
  assert.deepEqual(header, {
    version: 2,
    command: 'LOCAL',
    family: 'UNSPEC',
    transport: 'UNSPEC',
    source: null,
    destination: null,
    tlvs: [],
  });
  assert.equal(proxiedInetEndpoints(header), null);
});

test('v2 LOCAL with addresses and PROXY with UNSPEC are both accepted', () => {
  const local = encodeV2({
    command: 'LOCAL',
    source: { address: '10.1.1.1', port: 1 },
    destination: { address: '10.1.1.2', port: 2 },
  });
  assert.equal(local.toString('hex').slice(24, 28), '2011');
  const { header } = complete(local);
  assert.equal(header.command, 'LOCAL');
  // LOCAL means "use the real connection", whatever the block says.
  assert.equal(proxiedInetEndpoints(header), null);

  const unspec = encodeV2({ command: 'PROXY', tlvs: [markerIdTlv(7)] });
  assert.deepEqual(unspec, hex(`${SIG} 21 00 0007 e0 0004 00000007`));
  const decoded = complete(unspec).header;
  assert.equal(decoded.family, 'UNSPEC');
  assert.equal(readMarkerId(decoded), 7);
});

test('marker_id TLV 16777216 encodes as E0 00 04 01 00 00 00', () => {
  const t = markerIdTlv(16777216);
  assert.equal(t.type, 0xe0);
  assert.deepEqual(t.value, hex('01000000'));
  const bytes = encodeV2({ command: 'LOCAL', tlvs: [t] });
  assert.deepEqual(bytes.subarray(16), hex('e0 0004 01000000'));
});

test('v2 header with marker_id, VNI and CRC32C matches a precomputed vector', () => {
  // CRC value computed with an independent bitwise implementation.
  const expected = hex(
    `${SIG} 21 11 0021 7f000001 7f000002 dc04 01bb
     e0 0004 01000000
     e1 0004 0000002a
     03 0004 2f9072cf`,
  );
  const bytes = encodeV2({
    command: 'PROXY',
    transport: 'STREAM',
    source: { address: '127.0.0.1', port: 56324 },
    destination: { address: '127.0.0.2', port: 443 },
    tlvs: [markerIdTlv(16777216), vniTlv(42)],
    crc32c: true,
  });
  assert.deepEqual(bytes, expected);
  const { header, length } = complete(bytes);
  assert.equal(length, expected.length);
  assert.equal(readMarkerId(header), 16777216);
  assert.equal(readVni(header), 42);
  assert.deepEqual(findTlv(header, TLV_TYPE.CRC32C), hex('2f9072cf'));
});

test('CRC32C is computed with its own value zeroed, wherever the TLV sits', () => {
  // Hand-place the CRC TLV first to show the decoder does not assume it is last.
  const body = hex(`03 0004 00000000 e1 0004 00000001`);
  const header = Buffer.concat([hex(`${SIG} 20 00`), Buffer.from([0, body.length]), body]);
  header.writeUInt32BE(crc32c(header), 19);
  const decoded = complete(header).header;
  assert.equal(readVni(decoded), 1);
  header[header.length - 1] = 2;
  assertInvalid(header, /CRC32C mismatch/);
});

// --- v1 spec vectors -------------------------------------------------------

test('v1 TCP4 worst case is 56 bytes and round-trips', () => {
  const line = 'PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n';
  assert.equal(line.length, 56);
  const ep = { address: '255.255.255.255', port: 65535 };
  assert.deepEqual(encodeV1({ source: ep, destination: ep }), ascii(line));
  const { header, length } = complete(ascii(line));
  assert.equal(length, 56);
  assert.deepEqual(header, {
    version: 1,
    command: 'PROXY',
    family: 'INET',
    transport: 'STREAM',
    source: ep,
    destination: ep,
    tlvs: [],
  });
});

test('v1 TCP6 worst case is 104 bytes and round-trips', () => {
  const full = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff';
  const line = `PROXY TCP6 ${full} ${full} 65535 65535\r\n`;
  assert.equal(line.length, 104);
  const ep = { address: full, port: 65535 };
  assert.deepEqual(encodeV1({ source: ep, destination: ep }), ascii(line));
  const { header, length } = complete(ascii(line));
  assert.equal(length, 104);
  assert.equal(header.family, 'INET6');
  assert.deepEqual(header.source, ep);
});

test('v1 spec example lines decode', () => {
  const { header } = complete(ascii('PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n'));
  assert.deepEqual(proxiedInetEndpoints(header), {
    source: { address: '192.168.0.1', port: 56324 },
    destination: { address: '192.168.0.11', port: 443 },
  });
  const v6 = complete(ascii('PROXY TCP6 2001:DB8:0:0:0:0:0:1 ::FFFF:7F00:1 0 65535\r\n')).header;
  assert.deepEqual(v6.source, { address: '2001:db8::1', port: 0 });
  // Canonical output uses the same mixed notation node uses for such peers.
  assert.deepEqual(v6.destination, { address: '::ffff:127.0.0.1', port: 65535 });
});

test('PROXY UNKNOWN, with and without ignored trailing fields', () => {
  assert.deepEqual(encodeV1(), ascii('PROXY UNKNOWN\r\n'));
  assert.deepEqual(encodeV1({}), ascii('PROXY UNKNOWN\r\n'));
  const expected: ProxyHeader = {
    version: 1,
    command: 'PROXY',
    family: 'UNSPEC',
    transport: 'UNSPEC',
    source: null,
    destination: null,
    tlvs: [],
  };
  assert.deepEqual(complete(ascii('PROXY UNKNOWN\r\n')), { header: expected, length: 15 });
  const trailing = 'PROXY UNKNOWN whatever  junk\tis \r here\r\n';
  assert.deepEqual(complete(ascii(trailing)), { header: expected, length: trailing.length });
  assert.equal(proxiedInetEndpoints(expected), null);
});

test('v1 UNKNOWN worst case is exactly 107 bytes; one more is invalid', () => {
  const full = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff';
  const line = `PROXY UNKNOWN ${full} ${full} 65535 65535\r\n`;
  assert.equal(line.length, 107);
  assert.equal(complete(ascii(line)).length, 107);
  assertAllPrefixesIncomplete(ascii(line));
  const tooLong = `PROXY UNKNOWN ${full} ${full} 65535 655355\r\n`;
  assertInvalid(ascii(tooLong), /107/);
  assertInvalid(ascii(tooLong.slice(0, 107)), /107/);
});

// --- address family selection and canonicalisation --------------------------

test('IPv4-mapped IPv6 pairs are encoded as IPv4', () => {
  const mapped = {
    source: { address: '::ffff:127.0.0.1', port: 1000 },
    destination: { address: '::FFFF:7f00:2', port: 2000 },
  };
  const v2 = encodeV2({ command: 'PROXY', ...mapped });
  assert.deepEqual(v2, hex(`${SIG} 21 11 000c 7f000001 7f000002 03e8 07d0`));
  assert.deepEqual(encodeV1(mapped), ascii('PROXY TCP4 127.0.0.1 127.0.0.2 1000 2000\r\n'));
  // One plain IPv4 end and one mapped end is still an IPv4 connection.
  const mixed = encodeV2({ command: 'PROXY', ...mapped, source: { address: '127.0.0.1', port: 1000 } });
  assert.deepEqual(mixed, v2);
});

test('a genuine IPv6 end forces IPv6, mapping the IPv4 end', () => {
  const endpoints = {
    source: { address: '192.0.2.1', port: 1 },
    destination: { address: '2001:db8::1', port: 2 },
  };
  const v2 = encodeV2({ command: 'PROXY', ...endpoints });
  assert.equal(v2[13], 0x21);
  const { header } = complete(v2);
  assert.deepEqual(header.source, { address: '::ffff:192.0.2.1', port: 1 });
  assert.deepEqual(header.destination, { address: '2001:db8::1', port: 2 });
  // v1 TCP6 is written in pure hex for strict peers, and canonicalised on decode.
  const v1 = encodeV1(endpoints);
  assert.deepEqual(v1, ascii('PROXY TCP6 ::ffff:c000:201 2001:db8::1 1 2\r\n'));
  assert.deepEqual(complete(v1).header.source, { address: '::ffff:192.0.2.1', port: 1 });
});

test('canonicalIpAddress follows RFC 5952', () => {
  const cases: [string, string | null][] = [
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:1:0:0:1:1', '2001:db8:0:1::1:1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['::ffff:1.2.3.4', '::ffff:1.2.3.4'],
    ['::1.2.3.4', '::102:304'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['10.0.0.1', '10.0.0.1'],
    ['010.0.0.1', null],
    ['fe80::1%eth0', null],
    ['1:2:3:4:5:6:7:8:9', null],
    ['example.com', null],
    ['', null],
  ];
  for (const [input, output] of cases) assert.equal(canonicalIpAddress(input), output, input);
});

test('UNIX socket headers round-trip through a 216-byte block', () => {
  const bytes = encodeV2({
    command: 'PROXY',
    transport: 'DGRAM',
    source: { path: '/run/client.sock' },
    destination: { path: '/run/ünïcode.sock' },
    tlvs: [vniTlv(9)],
  });
  assert.equal(bytes[13], 0x32);
  assert.equal(bytes.readUInt16BE(14), 216 + 7);
  const { header } = complete(bytes);
  assert.deepEqual(header, {
    version: 2,
    command: 'PROXY',
    family: 'UNIX',
    transport: 'DGRAM',
    source: { path: '/run/client.sock' },
    destination: { path: '/run/ünïcode.sock' },
    tlvs: [vniTlv(9)],
  });
  assert.equal(proxiedInetEndpoints(header), null);
  const longest = 'x'.repeat(108);
  const full = complete(encodeV2({ command: 'PROXY', source: { path: longest }, destination: { path: '' } }));
  assert.deepEqual(full.header.source, { path: longest });
  assert.throws(() =>
    encodeV2({ command: 'PROXY', source: { path: 'x'.repeat(109) }, destination: { path: '' } }),
  );
  assert.throws(() => encodeV2({ command: 'PROXY', source: { path: 'a\0b' }, destination: { path: '' } }));
});

// --- TLV helpers -------------------------------------------------------------

test('typed TLV helpers round-trip through a header', () => {
  const id = Buffer.from('0123456789abcdef', 'hex');
  const ssl = sslTlv({
    client: SSL_CLIENT.SSL | SSL_CLIENT.CERT_CONN,
    verify: 0,
    subTlvs: [
      { type: SSL_SUBTYPE.VERSION, value: ascii('TLSv1.3') },
      { type: SSL_SUBTYPE.CN, value: ascii('client.example') },
    ],
  });
  const tlvs = [
    alpnTlv('h2'),
    authorityTlv('svc.example.com'),
    noopTlv(3),
    uniqueIdTlv(id),
    ssl,
    netnsTlv('blue'),
    markerIdTlv(0xffffffff),
    vniTlv(0),
    { type: 0xee, value: Buffer.alloc(0) },
  ];
  const { header } = complete(
    encodeV2({
      command: 'PROXY',
      source: { address: '10.0.0.1', port: 1 },
      destination: { address: '10.0.0.2', port: 2 },
      tlvs,
      crc32c: true,
    }),
  );
  assert.deepEqual(header.tlvs.slice(0, -1), tlvs);
  assert.deepEqual(readAlpn(header), ascii('h2'));
  assert.equal(readAuthority(header), 'svc.example.com');
  assert.deepEqual(readUniqueId(header), id);
  assert.equal(readNetns(header), 'blue');
  assert.equal(readMarkerId(header), 0xffffffff);
  assert.equal(readVni(header), 0);
  assert.deepEqual(findTlv(header, 0xee), Buffer.alloc(0));
  assert.deepEqual(findTlv(header, TLV_TYPE.NOOP), Buffer.alloc(3));
  const sslValue = findTlv(header, TLV_TYPE.SSL);
  assert.ok(sslValue);
  assert.deepEqual(parseSslTlv(sslValue), {
    client: 3,
    verify: 0,
    subTlvs: [
      { type: 0x21, value: ascii('TLSv1.3') },
      { type: 0x22, value: ascii('client.example') },
    ],
  });
  assert.equal(parseSslTlv(Buffer.from([1, 0, 0])), null);
  assert.equal(parseSslTlv(Buffer.from([1, 0, 0, 0, 0, 0x21, 0, 5, 0x41])), null);
});

test('readers return undefined when the TLV is absent', () => {
  const header = complete(encodeV2({ command: 'LOCAL' })).header;
  assert.equal(readMarkerId(header), undefined);
  assert.equal(readVni(header), undefined);
  assert.equal(readAuthority(header), undefined);
  assert.equal(findTlv(header, 0x42), undefined);
  assert.throws(() => readMarkerId({ tlvs: [{ type: 0xe0, value: Buffer.alloc(3) }] }), RangeError);
});

test('TLV helpers validate their input', () => {
  for (const bad of [-1, 0x100000000, 1.5, Number.NaN]) {
    assert.throws(() => markerIdTlv(bad), RangeError);
    assert.throws(() => vniTlv(bad), RangeError);
  }
  assert.throws(() => uniqueIdTlv(Buffer.alloc(129)), RangeError);
  assert.doesNotThrow(() => uniqueIdTlv(Buffer.alloc(128)));
});

// --- encoder input validation --------------------------------------------------

test('encoders reject invalid input', () => {
  const ok: InetEndpoint = { address: '10.0.0.1', port: 80 };
  const cases: [string, () => unknown][] = [
    [
      'bad address',
      () => encodeV2({ command: 'PROXY', source: { address: 'nope', port: 1 }, destination: ok }),
    ],
    [
      'zone id',
      () => encodeV2({ command: 'PROXY', source: { address: 'fe80::1%lo', port: 1 }, destination: ok }),
    ],
    ['leading zero', () => encodeV1({ source: { address: '10.0.0.01', port: 1 }, destination: ok })],
    [
      'port too big',
      () => encodeV2({ command: 'PROXY', source: { address: '10.0.0.2', port: 65536 }, destination: ok }),
    ],
    ['negative port', () => encodeV1({ source: { address: '10.0.0.2', port: -1 }, destination: ok })],
    ['fractional port', () => encodeV1({ source: ok, destination: { address: '10.0.0.2', port: 1.5 } })],
    ['source only', () => encodeV2({ command: 'PROXY', source: ok })],
    ['destination only', () => encodeV1({ destination: ok })],
    ['unix + inet', () => encodeV2({ command: 'PROXY', source: { path: '/x' }, destination: ok })],
    ['manual CRC TLV', () => encodeV2({ command: 'LOCAL', tlvs: [{ type: 3, value: Buffer.alloc(4) }] })],
    ['duplicate marker', () => encodeV2({ command: 'LOCAL', tlvs: [markerIdTlv(1), markerIdTlv(2)] })],
    ['short VNI', () => encodeV2({ command: 'LOCAL', tlvs: [{ type: 0xe1, value: Buffer.alloc(3) }] })],
    ['TLV type 256', () => encodeV2({ command: 'LOCAL', tlvs: [{ type: 256, value: Buffer.alloc(0) }] })],
    [
      'TLV too long',
      () => encodeV2({ command: 'LOCAL', tlvs: [{ type: 0xe2, value: Buffer.alloc(65536) }] }),
    ],
    [
      'body too long',
      () =>
        encodeV2({
          command: 'LOCAL',
          tlvs: [
            { type: 0xe2, value: Buffer.alloc(40000) },
            { type: 0xe3, value: Buffer.alloc(40000) },
          ],
        }),
    ],
  ];
  for (const [name, fn] of cases) assert.throws(fn, /./, name);
});

test('the largest v2 header the format allows is encodable and decodable with a raised limit', () => {
  const bytes = encodeV2({ command: 'LOCAL', tlvs: [{ type: 0xe2, value: Buffer.alloc(65532) }] });
  assert.equal(bytes.length, 16 + 65535);
  assertInvalid(bytes, /limit/);
  assert.equal(complete(bytes, { maxV2HeaderLength: 16 + 65535 }).length, bytes.length);
});

// --- decoder behaviour ---------------------------------------------------------

test('every strict prefix of a valid header is incomplete', () => {
  const headers = [
    encodeV2({ command: 'LOCAL' }),
    encodeV2({
      command: 'PROXY',
      source: { address: '127.0.0.1', port: 56324 },
      destination: { address: '127.0.0.2', port: 443 },
      tlvs: [markerIdTlv(1), vniTlv(2)],
      crc32c: true,
    }),
    encodeV2({
      command: 'PROXY',
      transport: 'DGRAM',
      source: { address: '2001:db8::1', port: 1 },
      destination: { address: '2001:db8::2', port: 2 },
    }),
    encodeV2({ command: 'PROXY', source: { path: '/a' }, destination: { path: '/b' } }),
    ascii('PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n'),
    ascii('PROXY TCP6 2001:db8::1 ::ffff:1.2.3.4 0 65535\r\n'),
    ascii('PROXY UNKNOWN\r\n'),
  ];
  for (const h of headers) {
    assertAllPrefixesIncomplete(h);
    assert.equal(complete(h).length, h.length);
  }
});

test('the header length excludes the payload that follows it', () => {
  const payload = ascii('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  const v2 = encodeV2({
    command: 'PROXY',
    source: { address: '1.2.3.4', port: 5 },
    destination: { address: '6.7.8.9', port: 10 },
    tlvs: [markerIdTlv(99)],
    crc32c: true,
  });
  const joined = Buffer.concat([v2, payload]);
  const r = complete(joined);
  assert.equal(r.length, v2.length);
  assert.deepEqual(joined.subarray(r.length), payload);
  // A payload that itself looks like a PROXY header must not be consumed.
  const v1 = ascii('PROXY UNKNOWN\r\n');
  assert.equal(complete(Buffer.concat([v1, v1, payload])).length, v1.length);
});

test('the decoder accepts Uint8Array views that do not start at offset 0', () => {
  const header = ascii('PROXY TCP4 1.1.1.1 2.2.2.2 1 2\r\n');
  const backing = Buffer.concat([ascii('junk'), header, ascii('tail')]);
  const view = new Uint8Array(backing.buffer, backing.byteOffset + 4, backing.length - 4);
  assert.equal(complete(view).length, header.length);
  const v2 = encodeV2({ command: 'PROXY', tlvs: [vniTlv(5)], crc32c: true });
  const backing2 = Buffer.concat([Buffer.alloc(3, 0xaa), v2]);
  assert.equal(readVni(complete(backing2.subarray(3)).header), 5);
});

test('decoded TLV values do not alias the receive buffer', () => {
  const bytes = encodeV2({ command: 'LOCAL', tlvs: [{ type: 0xe5, value: ascii('abc') }] });
  const { header } = complete(bytes);
  bytes.fill(0);
  assert.deepEqual(findTlv(header, 0xe5), ascii('abc'));
});

test('bytes that cannot start either signature are "none"', () => {
  for (const s of [
    'GET / HTTP/1.1\r\n',
    'X',
    '\x16\x03\x01',
    'PROXZ',
    'PROXY\r\n',
    'proxy TCP4',
    '\r\n\r\n\x01',
  ]) {
    assert.deepEqual(decodeProxyHeader(ascii(s)), { status: 'none' }, JSON.stringify(s));
  }
  assert.deepEqual(decodeProxyHeader(Buffer.alloc(20)), { status: 'none' });
  assert.deepEqual(decodeProxyHeader(Buffer.alloc(0)), { status: 'incomplete' });
  assert.deepEqual(decodeProxyHeader(ascii('PROX')), { status: 'incomplete' });
  assert.deepEqual(decodeProxyHeader(hex('0d0a0d0a00')), { status: 'incomplete' });
});

test('malformed v2 fixed fields are invalid as soon as they arrive', () => {
  assertInvalid(hex(`${SIG} 11`), /version/);
  assertInvalid(hex(`${SIG} 31 11 000c`), /version/);
  assertInvalid(hex(`${SIG} 22`), /command/);
  assertInvalid(hex(`${SIG} 2f`), /command/);
  for (const fam of ['01', '02', '10', '13', '20', '30', '33', '41', 'ff']) {
    assertInvalid(hex(`${SIG} 21 ${fam}`), /family/);
  }
  // Too short for the address block the family promises.
  assertInvalid(hex(`${SIG} 21 11 000b`), /too short/);
  assertInvalid(hex(`${SIG} 21 21 0023`), /too short/);
  assertInvalid(hex(`${SIG} 20 31 00d7`), /too short/);
});

test('a v2 length over the limit is rejected before the body arrives', () => {
  assertInvalid(hex(`${SIG} 21 00 ffff`), /limit/);
  // Default limit is 4096 bytes in total.
  assertInvalid(hex(`${SIG} 21 00 0ff1`), /limit/);
  assert.deepEqual(decodeProxyHeader(hex(`${SIG} 21 00 0ff0`)), { status: 'incomplete' });
  assertInvalid(hex(`${SIG} 21 00 0005`), /limit/, { maxV2HeaderLength: 20 });
  assert.deepEqual(decodeProxyHeader(hex(`${SIG} 21 00 0004`), { maxV2HeaderLength: 20 }), {
    status: 'incomplete',
  });
  for (const bad of [15, 16 + 65536, 100.5, Number.NaN]) {
    assert.throws(() => decodeProxyHeader(Buffer.alloc(0), { maxV2HeaderLength: bad }), RangeError);
  }
});

test('malformed v2 TLV areas are invalid', () => {
  // Two stray bytes: not enough for a TLV header.
  assertInvalid(hex(`${SIG} 20 00 0002 e2 00`), /TLV/);
  // Declared value longer than what is left in the header.
  assertInvalid(hex(`${SIG} 20 00 0005 e2 0003 aabb`), /TLV/);
  // Our singletons may not repeat, and must have their fixed size.
  assertInvalid(hex(`${SIG} 20 00 000e e0 0004 00000001 e0 0004 00000002`), /duplicate/);
  assertInvalid(hex(`${SIG} 20 00 0006 e1 0003 000001`), /4 bytes/);
  assertInvalid(hex(`${SIG} 20 00 0008 03 0005 0000000000`), /4 bytes/);
  // Unknown TLVs, including repeated ones, are kept for the caller.
  const ok = complete(hex(`${SIG} 20 00 0006 f0 0000 f0 0000`));
  assert.deepEqual(ok.header.tlvs, [
    { type: 0xf0, value: Buffer.alloc(0) },
    { type: 0xf0, value: Buffer.alloc(0) },
  ]);
});

test('a corrupted header with a CRC32C TLV is invalid', () => {
  const bytes = encodeV2({
    command: 'PROXY',
    source: { address: '2001:db8::1', port: 1 },
    destination: { address: '2001:db8::2', port: 2 },
    tlvs: [markerIdTlv(1234)],
    crc32c: true,
  });
  // Flip every bit of the address block and the TLV values in turn.
  for (let i = 16; i < bytes.length; i++) {
    if (i >= 16 + 36 && i < 16 + 36 + 3) continue; // the marker TLV's type/length bytes
    if (i >= 16 + 36 + 7 && i < 16 + 36 + 10) continue; // the CRC TLV's type/length bytes
    for (let bit = 0; bit < 8; bit++) {
      const copy = Buffer.from(bytes);
      copy[i] = (copy[i] ?? 0) ^ (1 << bit);
      assertInvalid(copy, /CRC32C/);
    }
  }
});

test('malformed v1 lines are invalid', () => {
  const lines = [
    'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n',
    'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n',
    'PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n',
    'PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n',
    'PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n',
    'PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n',
    'PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n',
    'PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n',
    'PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n',
    'PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n',
    'PROXY TCP4 ::1 5.6.7.8 1 2\r\n',
    'PROXY TCP6 1.2.3.4 ::1 1 2\r\n',
    'PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n',
    'PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n',
    'PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n',
    'PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n',
    'PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n',
    'PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n',
    'PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n',
    'PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n',
    'PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n',
    'PROXY UNKNOWNX\r\n',
    'PROXY \r\n',
  ];
  for (const line of lines) assertInvalid(ascii(line), undefined);
});

test('v1 lines that cannot become valid are rejected before the CRLF arrives', () => {
  for (const partial of [
    'PROXY X',
    'PROXY TCP4X',
    'PROXY TCP4 a',
    'PROXY TCP4 1.2.3.4 5.6.7.8 1 2 ',
    'PROXY TCP4 1.2.3.4 5.6.7.8 1 00',
    'PROXY TCP4 1.2.3.4 5.6.7.8 1 99999',
    'PROXY TCP6 ::1 ::g',
    'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rx',
  ]) {
    const r = decodeProxyHeader(ascii(partial));
    assert.equal(r.status, 'invalid', `${JSON.stringify(partial)} gave ${JSON.stringify(r)}`);
  }
});

test('a v1 line without CRLF within 107 bytes is invalid', () => {
  const noCrlf = ascii(`PROXY UNKNOWN ${'x'.repeat(120)}`);
  assertInvalid(noCrlf, /107/);
  assertInvalid(noCrlf.subarray(0, 107), /107/);
  assert.deepEqual(decodeProxyHeader(noCrlf.subarray(0, 106)), { status: 'incomplete' });
  // The CRLF has to be inside the first 107 bytes, not just start there.
  assertInvalid(ascii(`PROXY UNKNOWN ${'x'.repeat(92)}\r\n`), /107/);
});

test('allowV1: false refuses v1 but keeps v2', () => {
  const options = { allowV1: false };
  assertInvalid(ascii('PROXY UNKNOWN\r\n'), /v1/, options);
  assert.deepEqual(decodeProxyHeader(ascii('PROX'), options), { status: 'incomplete' });
  assert.deepEqual(decodeProxyHeader(ascii('GET /'), options), { status: 'none' });
  assert.equal(complete(encodeV2({ command: 'LOCAL' }), options).length, 16);
});

// --- property tests ---------------------------------------------------------

// node's own formatter (libuv inet_ntop) serves as the oracle for canonical
// IPv6 text. It differs from RFC 5952 only by rendering the deprecated
// IPv4-compatible form ::a.b.c.d in dotted notation, which we undo here.
function oracleIPv6(text: string): string {
  const s = new SocketAddress({ address: text, family: 'ipv6' }).address;
  const m = /^::(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (m === null) return s;
  const [a, b, c, d] = m.slice(1).map(Number) as [number, number, number, number];
  return `::${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}

const ipv6Groups = fc.array(
  fc.oneof(fc.constant(0), fc.constant(0xffff), fc.integer({ min: 0, max: 0xffff })),
  {
    minLength: 8,
    maxLength: 8,
  },
);

const arbIPv6: fc.Arbitrary<string> = fc.oneof(
  fc.ipV6(),
  // Zero-heavy addresses exercise "::" placement, written out in full and uppercase.
  ipv6Groups.map((gs) => gs.map((g) => g.toString(16).toUpperCase().padStart(4, '0')).join(':')),
  fc.ipV4().map((v4) => `::ffff:${v4}`),
  fc.ipV4().map((v4) => {
    const [a, b, c, d] = v4.split('.').map(Number) as [number, number, number, number];
    return `::ffff:${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }),
);

const arbIp = fc.oneof(fc.ipV4(), arbIPv6);

const arbEndpoint: fc.Arbitrary<InetEndpoint> = fc
  .tuple(arbIp, fc.integer({ min: 0, max: 0xffff }))
  .map(([address, port]) => ({ address, port }));

const arbTlvs: fc.Arbitrary<Tlv[]> = fc.array(
  fc
    .tuple(fc.integer({ min: 0xe2, max: 0xef }), fc.uint8Array({ maxLength: 64 }))
    .map(([type, value]) => ({ type, value: Buffer.from(value) })),
  { maxLength: 8 },
);

/** Independent statement of the family rule: v4-ish when plain IPv4 or IPv4-mapped. */
function expectedEndpoints(
  source: InetEndpoint,
  destination: InetEndpoint,
): { family: 'INET' | 'INET6'; source: InetEndpoint; destination: InetEndpoint } {
  const v4Of = (a: string): string | null => {
    if (isIPv4(a)) return a;
    const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(oracleIPv6(a));
    return m?.[1] ?? null;
  };
  const s4 = v4Of(source.address);
  const d4 = v4Of(destination.address);
  if (s4 !== null && d4 !== null) {
    return {
      family: 'INET',
      source: { address: s4, port: source.port },
      destination: { address: d4, port: destination.port },
    };
  }
  const as6 = (a: string): string => (isIPv4(a) ? `::ffff:${a}` : oracleIPv6(a));
  return {
    family: 'INET6',
    source: { address: as6(source.address), port: source.port },
    destination: { address: as6(destination.address), port: destination.port },
  };
}

const arbV2Input = fc.record(
  {
    command: fc.constantFrom('PROXY' as const, 'LOCAL' as const),
    transport: fc.constantFrom('STREAM' as const, 'DGRAM' as const),
    endpoints: fc.option(fc.tuple(arbEndpoint, arbEndpoint), { freq: 5 }),
    tlvs: arbTlvs,
    crc32c: fc.boolean(),
  },
  { noNullPrototype: true },
);

test('property: canonical IPv6 text agrees with node', () => {
  fc.assert(
    fc.property(arbIPv6, (address) => {
      assert.equal(canonicalIpAddress(address), oracleIPv6(address));
    }),
    { numRuns: 500 },
  );
});

test('property: v2 encode -> decode round trip', () => {
  fc.assert(
    fc.property(arbV2Input, (input) => {
      const bytes = encodeV2({
        command: input.command,
        transport: input.transport,
        source: input.endpoints?.[0],
        destination: input.endpoints?.[1],
        tlvs: input.tlvs,
        crc32c: input.crc32c,
      });
      const { header, length } = complete(bytes);
      assert.equal(length, bytes.length);
      const addresses =
        input.endpoints === null
          ? { family: 'UNSPEC', transport: 'UNSPEC', source: null, destination: null }
          : { ...expectedEndpoints(input.endpoints[0], input.endpoints[1]), transport: input.transport };
      const { tlvs, ...rest } = header;
      assert.deepEqual(rest, { version: 2, command: input.command, ...addresses });
      if (input.crc32c) {
        assert.deepEqual(tlvs.slice(0, -1), input.tlvs);
        assert.equal(tlvs.at(-1)?.type, TLV_TYPE.CRC32C);
      } else {
        assert.deepEqual(tlvs, input.tlvs);
      }
    }),
    { numRuns: 500 },
  );
});

test('property: every strict prefix of an encoded v2 header is incomplete, and payload is left alone', () => {
  fc.assert(
    fc.property(arbV2Input, fc.uint8Array({ maxLength: 32 }), (input, payload) => {
      const bytes = encodeV2({
        command: input.command,
        transport: input.transport,
        source: input.endpoints?.[0],
        destination: input.endpoints?.[1],
        tlvs: input.tlvs,
        crc32c: input.crc32c,
      });
      assertAllPrefixesIncomplete(bytes);
      assert.equal(complete(Buffer.concat([bytes, payload])).length, bytes.length);
    }),
    { numRuns: 500 },
  );
});

test('property: v1 encode -> decode round trip, prefixes incomplete', () => {
  fc.assert(
    fc.property(fc.option(fc.tuple(arbEndpoint, arbEndpoint), { freq: 8 }), (endpoints) => {
      const bytes =
        endpoints === null ? encodeV1() : encodeV1({ source: endpoints[0], destination: endpoints[1] });
      assert.ok(bytes.length <= 107);
      const { header, length } = complete(bytes);
      assert.equal(length, bytes.length);
      assertAllPrefixesIncomplete(bytes);
      if (endpoints === null) {
        assert.equal(header.family, 'UNSPEC');
        return;
      }
      assert.deepEqual(header, {
        version: 1,
        command: 'PROXY',
        transport: 'STREAM',
        tlvs: [],
        ...expectedEndpoints(endpoints[0], endpoints[1]),
      });
    }),
    { numRuns: 500 },
  );
});

// Inputs biased towards things that look like headers, so the parsers behind
// the signature checks get exercised rather than just the 'none' path.
const v1Alphabet = ' PROXYTCP46UNKOWN0123456789.:abcdefABCDEF\r\n\t%-'.split('');
const arbWireBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 300 }).map((rest) => Buffer.concat([V2_SIGNATURE, rest])),
  fc
    .tuple(fc.constantFrom(0x20, 0x21), fc.constantFrom(0x00, 0x11, 0x12, 0x21, 0x22, 0x31, 0x32))
    .chain(([verCmd, fam]) =>
      fc
        .uint8Array({ maxLength: 300 })
        .map((rest) =>
          Buffer.concat([
            V2_SIGNATURE,
            Buffer.from([verCmd, fam, rest.length >> 8, rest.length & 0xff]),
            rest,
          ]),
        ),
    ),
  fc
    .array(fc.constantFrom(...v1Alphabet), { maxLength: 120 })
    .map((chars) => Buffer.from(`PROXY ${chars.join('')}`, 'latin1')),
  fc
    .tuple(
      fc.constantFrom('TCP4', 'TCP6', 'UNKNOWN'),
      fc.array(fc.constantFrom(...v1Alphabet), { maxLength: 100 }),
    )
    .map(([proto, chars]) => Buffer.from(`PROXY ${proto} ${chars.join('')}`, 'latin1')),
  // A correctly sized address block of random bytes followed by random TLVs.
  fc
    .tuple(
      fc.constantFrom(0x20, 0x21),
      fc.constantFrom([0x00, 0], [0x11, 12], [0x12, 12], [0x21, 36], [0x22, 36], [0x31, 216], [0x32, 216]),
      fc.uint8Array({ minLength: 216, maxLength: 216 }),
      arbTlvs,
    )
    .map(([verCmd, [fam, size], block, tlvs]) => {
      const body = Buffer.concat([block.subarray(0, size), ...tlvs.map(tlvBytes)]);
      return Buffer.concat([
        V2_SIGNATURE,
        Buffer.from([verCmd, fam, body.length >> 8, body.length & 0xff]),
        body,
      ]);
    }),
  // Valid headers with one byte replaced, cut short or extended.
  fc
    .tuple(
      fc.oneof(
        arbV2Input.map((i) =>
          encodeV2({
            command: i.command,
            transport: i.transport,
            source: i.endpoints?.[0],
            destination: i.endpoints?.[1],
            tlvs: i.tlvs,
            crc32c: i.crc32c,
          }),
        ),
        fc.tuple(arbEndpoint, arbEndpoint).map(([source, destination]) => encodeV1({ source, destination })),
      ),
      fc.nat(),
      fc.integer({ min: 0, max: 255 }),
      fc.uint8Array({ maxLength: 8 }),
    )
    .map(([bytes, pos, byte, tail]) => {
      const copy = Buffer.concat([bytes, tail]);
      copy[pos % copy.length] = byte;
      return copy.subarray(0, copy.length - (pos % 3));
    }),
);

function tlvBytes(t: Tlv): Buffer {
  return Buffer.concat([Buffer.from([t.type, t.value.length >> 8, t.value.length & 0xff]), t.value]);
}

const STATUSES = new Set<DecodeResult['status']>(['incomplete', 'invalid', 'none', 'complete']);

test('property: decoding arbitrary bytes never throws and returns a sane status', () => {
  fc.assert(
    fc.property(arbWireBytes, (data) => {
      const r = decodeProxyHeader(data);
      assert.ok(STATUSES.has(r.status));
      if (r.status === 'complete') assert.ok(r.length > 0 && r.length <= data.length);
      if (r.status === 'invalid') assert.ok(r.reason.length > 0);
    }),
    { numRuns: 500 },
  );
});

test('property: more bytes never change a decision already taken', () => {
  fc.assert(
    fc.property(arbWireBytes, fc.uint8Array({ minLength: 1, maxLength: 64 }), (data, more) => {
      const before = decodeProxyHeader(data);
      const after = decodeProxyHeader(Buffer.concat([data, more]));
      if (before.status === 'incomplete') return;
      assert.equal(after.status, before.status);
      if (before.status === 'complete' && after.status === 'complete') {
        assert.equal(after.length, before.length);
        assert.deepEqual(after.header, before.header);
      }
    }),
    { numRuns: 500 },
  );
});

test('property: anything decoded as complete re-encodes to the same v2 bytes', () => {
  // Exercises the decoder on real headers with random corruption in the body:
  // whatever it accepts must be exactly what our encoder would emit.
  fc.assert(
    fc.property(arbV2Input, fc.nat(), fc.integer({ min: 1, max: 255 }), (input, pos, xor) => {
      const bytes = encodeV2({
        command: input.command,
        transport: input.transport,
        source: input.endpoints?.[0],
        destination: input.endpoints?.[1],
        tlvs: input.tlvs,
        crc32c: false,
      });
      const i = 16 + (pos % Math.max(1, bytes.length - 16));
      if (i < bytes.length) bytes[i] = (bytes[i] ?? 0) ^ xor;
      const r = decodeProxyHeader(bytes);
      if (r.status !== 'complete' || r.header.version !== 2) return;
      const h = r.header;
      const tlvs = h.tlvs.filter((t) => t.type !== TLV_TYPE.CRC32C);
      if (h.family === 'UNSPEC') {
        assert.deepEqual(encodeV2({ command: h.command, tlvs }), bytes.subarray(0, r.length));
      }
      if (h.family === 'INET' || h.family === 'INET6') {
        const reencoded = encodeV2({
          command: h.command,
          transport: h.transport === 'DGRAM' ? 'DGRAM' : 'STREAM',
          source: h.source,
          destination: h.destination,
          tlvs,
        });
        // A mapped address on both ends legitimately re-encodes as IPv4.
        if (h.family === 'INET6' && reencoded[13] !== bytes[13]) return;
        assert.deepEqual(reencoded, bytes.subarray(0, r.length));
      }
    }),
    { numRuns: 500 },
  );
});

test('v1 prefixes that can still become valid stay incomplete', () => {
  for (const partial of [
    'PROXY ',
    'PROXY UNK',
    'PROXY TCP4 1.2.3.4 ',
    'PROXY TCP4 1.2.3.4 5.6.7.8 0',
    'PROXY TCP4 1.2.3.4 5.6.7.8 0 6553',
    'PROXY TCP4 1.2.3.4 5.6.7.8 0 65535\r',
    'PROXY TCP6 ::ffff:1.2.',
    'PROXY UNKNOWN \n\r anything',
  ]) {
    assert.deepEqual(decodeProxyHeader(ascii(partial)), { status: 'incomplete' }, JSON.stringify(partial));
  }
});
