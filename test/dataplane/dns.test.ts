// `void test(...)`: node:test returns a promise that the runner itself tracks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { promises as dnsPromises } from 'node:dns';
import { once } from 'node:events';
import dnsPacket from 'dns-packet';
import type { DecodedPacket, Packet, RecordType } from 'dns-packet';
import fc from 'fast-check';
import { DnsZoneTable } from '../../src/dataplane/dns/records.ts';
import { answerQuery } from '../../src/dataplane/dns/answer.ts';
import { DnsServer } from '../../src/dataplane/dns/server.ts';

const ZONE = 'vpcep.local';
const HOST = '127.0.0.1';

function makeTable(): DnsZoneTable {
  const table = new DnsZoneTable([ZONE]);
  table.set('api.vpcep.local', ['10.0.0.10']);
  table.set('multi.svc.vpcep.local.', ['10.0.0.1', '10.0.0.2']);
  return table;
}

async function withServer(
  fn: (ctx: { server: DnsServer; table: DnsZoneTable; port: number }) => Promise<void>,
  extra: { tcpIdleTimeoutMs?: number; maxTcpConnections?: number } = {},
): Promise<void> {
  const table = makeTable();
  const server = new DnsServer({ host: HOST, port: 0, table, ...extra });
  await server.start();
  try {
    await fn({ server, table, port: server.address().port });
  } finally {
    await server.close();
  }
}

function resolverFor(port: number): dnsPromises.Resolver {
  const r = new dnsPromises.Resolver({ timeout: 2000, tries: 1 });
  r.setServers([`${HOST}:${port}`]);
  return r;
}

let nextId = 1;
function query(name: string, type: RecordType = 'A', extra: Partial<Packet> = {}): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id: nextId++ & 0xffff,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name, class: 'IN' }],
    ...extra,
  });
}

/** Sends one datagram; resolves with the reply, or undefined if none arrives in `waitMs`. */
async function udpExchange(port: number, msg: Buffer, waitMs = 1000): Promise<Buffer | undefined> {
  const sock = dgram.createSocket('udp4');
  try {
    const reply = new Promise<Buffer | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), waitMs);
      sock.once('message', (m: Buffer) => {
        clearTimeout(timer);
        resolve(m);
      });
    });
    sock.send(msg, port, HOST);
    return await reply;
  } finally {
    sock.close();
  }
}

function frame(msg: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(msg.length);
  return Buffer.concat([len, msg]);
}

/** Reads `count` length-prefixed messages from a TCP socket. */
async function readFrames(sock: net.Socket, count: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  let buf = Buffer.alloc(0);
  for await (const chunk of sock as AsyncIterable<Buffer>) {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
      out.push(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      buf = buf.subarray(2 + buf.readUInt16BE(0));
    }
    if (out.length >= count) break;
  }
  return out;
}

async function connect(port: number): Promise<net.Socket> {
  const sock = net.connect({ host: HOST, port });
  await once(sock, 'connect');
  return sock;
}

// dns-packet's decoder also returns `rcode`, which its typings leave out.
function decode(buf: Buffer | undefined): DecodedPacket & { rcode?: string } {
  assert.ok(buf, 'expected a response');
  return dnsPacket.decode(buf);
}

void test('DnsZoneTable: lookups, normalization, empty non-terminals and validation', () => {
  const t = makeTable();
  assert.deepEqual(t.lookup('API.VPCEP.LOCAL.'), { kind: 'answer', ips: ['10.0.0.10'], zone: ZONE });
  assert.equal(t.lookup('nope.vpcep.local').kind, 'nxdomain');
  assert.equal(t.lookup('example.com').kind, 'refused');
  assert.equal(t.lookup('xvpcep.local').kind, 'refused', 'suffix match must be label-aligned');
  // The apex and "svc" (parent of multi.svc) exist without records: NODATA, not NXDOMAIN.
  assert.deepEqual(t.lookup('svc.vpcep.local'), { kind: 'answer', ips: [], zone: ZONE });
  assert.deepEqual(t.lookup('vpcep.local'), { kind: 'answer', ips: [], zone: ZONE });
  assert.equal(t.delete('MULTI.svc.vpcep.local'), true);
  assert.equal(t.lookup('svc.vpcep.local').kind, 'nxdomain');
  assert.equal(t.has('api.vpcep.local.'), true);
  assert.equal(t.size, 1);

  const serial = t.serial;
  assert.throws(() => t.set('outside.example.com', ['10.0.0.1']), RangeError);
  assert.throws(() => t.set('bad name.vpcep.local', ['10.0.0.1']), RangeError);
  assert.throws(() => t.set('x.vpcep.local', ['::1']), RangeError);
  // replaceAll is all-or-nothing.
  assert.throws(() =>
    t.replaceAll([
      ['ok.vpcep.local', ['10.0.0.1']],
      ['bad.vpcep.local', ['999.0.0.1']],
    ]),
  );
  assert.equal(t.has('api.vpcep.local'), true);
  assert.equal(t.has('ok.vpcep.local'), false);
  assert.equal(t.serial, serial);
});

void test('A answer via node Resolver, with configured TTL and AA flag', async () => {
  await withServer(async ({ port }) => {
    const r = resolverFor(port);
    assert.deepEqual(await r.resolve4('api.vpcep.local', { ttl: true }), [{ address: '10.0.0.10', ttl: 30 }]);
    assert.deepEqual((await r.resolve4('multi.svc.vpcep.local')).sort(), ['10.0.0.1', '10.0.0.2']);

    const q = query('api.vpcep.local');
    const res = decode(await udpExchange(port, q));
    assert.equal(res.id, q.readUInt16BE(0));
    assert.equal(res.flag_qr, true);
    assert.equal(res.flag_aa, true);
    assert.equal(res.flag_rd, true);
    assert.equal(res.flag_ra, false);
    assert.deepEqual(res.questions, [{ name: 'api.vpcep.local', type: 'A', class: 'IN' }]);
  });
});

void test('names are case-insensitive and the client spelling is echoed', async () => {
  await withServer(async ({ port, table }) => {
    table.set('Mixed.VPCEP.local', ['10.1.1.1']);
    assert.deepEqual(await resolverFor(port).resolve4('mIxEd.vpcep.LOCAL'), ['10.1.1.1']);
    const res = decode(await udpExchange(port, query('API.Vpcep.Local')));
    assert.equal(res.answers?.[0]?.name, 'API.Vpcep.Local');
  });
});

void test('unknown name in zone -> NXDOMAIN with SOA; outside zone -> REFUSED', async () => {
  await withServer(async ({ port, server }) => {
    const r = resolverFor(port);
    await assert.rejects(r.resolve4('missing.vpcep.local'), { code: 'ENOTFOUND' });
    await assert.rejects(r.resolve4('www.example.com'), { code: 'EREFUSED' });

    const nx = decode(await udpExchange(port, query('missing.vpcep.local')));
    assert.equal(nx.rcode, 'NXDOMAIN');
    assert.equal(nx.flag_aa, true);
    assert.equal(nx.authorities?.[0]?.type, 'SOA');
    assert.equal(nx.authorities?.[0]?.name, ZONE);
    const refused = decode(await udpExchange(port, query('www.example.com')));
    assert.equal(refused.rcode, 'REFUSED');
    assert.equal(refused.flag_aa, false);
    assert.ok(server.counters.nxdomain >= 2 && server.counters.refused >= 2);
  });
});

void test('AAAA on an existing name -> NODATA (NOERROR, no answers, SOA in authority)', async () => {
  await withServer(async ({ port }) => {
    await assert.rejects(resolverFor(port).resolve6('api.vpcep.local'), { code: 'ENODATA' });
    const res = decode(await udpExchange(port, query('api.vpcep.local', 'AAAA')));
    assert.equal(res.rcode, 'NOERROR');
    assert.equal(res.answers?.length, 0);
    assert.equal(res.authorities?.[0]?.type, 'SOA');
  });
});

void test('several queries over one TCP connection, including split and pipelined frames', async () => {
  await withServer(async ({ port }) => {
    const sock = await connect(port);
    try {
      const names = ['api.vpcep.local', 'missing.vpcep.local', 'multi.svc.vpcep.local', 'a.example.org'];
      const wire = Buffer.concat(names.map((n) => frame(query(n))));
      // First frame byte-by-byte-ish, the rest pipelined in one write.
      sock.write(wire.subarray(0, 1));
      sock.write(wire.subarray(1, 7));
      sock.write(wire.subarray(7));
      const replies = (await readFrames(sock, names.length)).map((b) => decode(b));
      assert.deepEqual(
        replies.map((r) => r.rcode),
        ['NOERROR', 'NXDOMAIN', 'NOERROR', 'REFUSED'],
      );
      assert.deepEqual(
        replies.map((r) => r.questions?.[0]?.name),
        names,
      );
    } finally {
      sock.destroy();
    }
  });
});

void test('malformed UDP datagrams do not stop the server', async () => {
  await withServer(async ({ port, server }) => {
    // Too short to carry an id: silently dropped.
    assert.equal(await udpExchange(port, Buffer.from([1, 2, 3]), 200), undefined);
    // Readable header, garbage body: FORMERR echoing the id.
    const garbage = Buffer.from([0xab, 0xcd, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0x3f, 0xff]);
    const formerr = decode(await udpExchange(port, garbage));
    assert.equal(formerr.id, 0xabcd);
    assert.equal(formerr.rcode, 'FORMERR');
    // Responses are never answered (avoids reflection loops).
    const resp = dnsPacket.encode({
      type: 'response',
      id: 7,
      questions: [{ type: 'A', name: 'api.vpcep.local' }],
    });
    assert.equal(await udpExchange(port, resp, 200), undefined);
    // Unsupported opcode (NOTIFY = 4).
    const notify = query('api.vpcep.local');
    notify.writeUInt16BE(notify.readUInt16BE(2) | (4 << 11), 2);
    assert.equal(decode(await udpExchange(port, notify)).rcode, 'NOTIMP');

    assert.deepEqual(await resolverFor(port).resolve4('api.vpcep.local'), ['10.0.0.10']);
    assert.ok(server.counters.errors >= 3);
    assert.ok(server.counters.answered >= 1);
  });
});

void test('set/delete/replaceAll are visible to the next query', async () => {
  await withServer(async ({ port, table }) => {
    const r = resolverFor(port);
    table.set('new.vpcep.local', ['10.9.9.9']);
    assert.deepEqual(await r.resolve4('new.vpcep.local'), ['10.9.9.9']);
    table.set('new.vpcep.local', ['10.9.9.8']);
    assert.deepEqual(await r.resolve4('new.vpcep.local'), ['10.9.9.8']);
    table.delete('new.vpcep.local');
    await assert.rejects(r.resolve4('new.vpcep.local'), { code: 'ENOTFOUND' });
    table.replaceAll([['only.vpcep.local', ['10.2.2.2']]]);
    assert.deepEqual(await r.resolve4('only.vpcep.local'), ['10.2.2.2']);
    await assert.rejects(r.resolve4('api.vpcep.local'), { code: 'ENOTFOUND' });
  });
});

void test('large answers set TC over UDP and are complete over TCP', async () => {
  await withServer(async ({ port, table }) => {
    const ips = Array.from({ length: 200 }, (_, i) => `10.3.${i >> 8}.${i & 0xff}`);
    table.set('big.vpcep.local', ips);

    const plain = await udpExchange(port, query('big.vpcep.local'));
    assert.ok(plain && plain.length <= 512);
    const res = decode(plain);
    assert.equal(res.flag_tc, true);
    // Whole records that fit are kept for stub resolvers that never retry over TCP.
    assert.ok((res.answers?.length ?? 0) > 0 && (res.answers?.length ?? 0) < ips.length);

    // An EDNS client advertising 4096 gets at most our 1232-byte cap, plus our OPT.
    const edns = query('big.vpcep.local', 'A', {
      additionals: [
        {
          name: '.',
          type: 'OPT',
          udpPayloadSize: 4096,
          extendedRcode: 0,
          ednsVersion: 0,
          flags: 0,
          flag_do: false,
          options: [],
        },
      ],
    });
    const ednsReply = await udpExchange(port, edns);
    assert.ok(ednsReply && ednsReply.length > 512 && ednsReply.length <= 1232);
    const ednsRes = decode(ednsReply);
    assert.equal(ednsRes.flag_tc, true);
    assert.equal(ednsRes.additionals?.[0]?.type, 'OPT');

    const sock = await connect(port);
    try {
      sock.write(frame(query('big.vpcep.local')));
      const [tcpReply] = await readFrames(sock, 1);
      const tcpRes = decode(tcpReply);
      assert.equal(tcpRes.flag_tc, false);
      assert.equal(tcpRes.answers?.length, ips.length);
    } finally {
      sock.destroy();
    }

    // c-ares retries over TCP on its own when it sees TC.
    assert.deepEqual((await resolverFor(port).resolve4('big.vpcep.local')).sort(), [...ips].sort());
  });
});

void test('idle TCP connections are closed', async () => {
  await withServer(
    async ({ port }) => {
      const sock = await connect(port);
      const started = Date.now();
      await once(sock, 'close');
      assert.ok(Date.now() - started < 5000);
    },
    { tcpIdleTimeoutMs: 100 },
  );
});

void test('TCP: connection limit enforced; a zero-length frame closes only that connection', async () => {
  await withServer(
    async ({ port }) => {
      const a = await connect(port);
      const b = await connect(port);
      const c = await connect(port);
      try {
        await once(c, 'close');
        b.write(frame(Buffer.alloc(0)));
        await once(b, 'close');
        a.write(frame(query('api.vpcep.local')));
        const [reply] = await readFrames(a, 1);
        const answer = decode(reply).answers?.[0];
        assert.equal(answer?.type === 'A' ? answer.data : undefined, '10.0.0.10');
      } finally {
        for (const s of [a, b, c]) s.destroy();
      }
    },
    { maxTcpConnections: 2 },
  );
});

void test('close() releases UDP and TCP port and is idempotent', async () => {
  const server = new DnsServer({ host: HOST, port: 0, table: makeTable() });
  await server.start();
  const { port } = server.address();
  const open = await connect(port);
  await Promise.all([server.close(), server.close()]);
  await server.close();
  if (!open.closed) await once(open, 'close');

  const udp = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(port, HOST, () => resolve());
  });
  udp.close();
  const tcp = net.createServer();
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(port, HOST, () => resolve());
  });
  await new Promise<void>((resolve) => tcp.close(() => resolve()));
  await assert.rejects(server.start());
});

void test('answerQuery never throws and any reply decodes (random and mutated input)', () => {
  const table = makeTable();
  const valid = query('api.vpcep.local', 'A', {
    additionals: [
      {
        name: '.',
        type: 'OPT',
        udpPayloadSize: 1232,
        extendedRcode: 0,
        ednsVersion: 0,
        flags: 0,
        flag_do: false,
        options: [],
      },
    ],
  });
  const arbInput = fc.oneof(
    fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b)),
    // Force "standard query" flags so the body really goes through the decoder.
    fc.uint8Array({ minLength: 12, maxLength: 600 }).map((b) => {
      const buf = Buffer.from(b);
      buf[2] = (buf[2] ?? 0) & 0x01;
      return buf;
    }),
    // A valid query with a few bytes overwritten and possibly cut short.
    fc
      .tuple(
        fc.array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })), {
          maxLength: 4,
        }),
        fc.nat({ max: valid.length }),
      )
      .map(([edits, cut]) => {
        const buf = Buffer.from(valid);
        for (const [i, v] of edits) if (i !== 2) buf[i] = v;
        return buf.subarray(0, Math.max(cut, 12));
      }),
  );
  fc.assert(
    fc.property(arbInput, fc.boolean(), (input, tcp) => {
      const out = answerQuery(input, table, { transport: tcp ? 'tcp' : 'udp' });
      if (out !== undefined) dnsPacket.decode(out);
    }),
    { numRuns: 3000 },
  );
});

void test('answerQuery on well-formed queries: id echoed, reply decodes, UDP fits', () => {
  const table = makeTable();
  const label = fc.stringMatching(/^[a-zA-Z0-9-]{1,20}$/);
  const arbName = fc.oneof(
    fc.constantFrom('api.vpcep.local', 'multi.svc.vpcep.local', 'svc.vpcep.local', 'vpcep.local'),
    fc.tuple(label, fc.constantFrom('vpcep.local', 'example.com')).map(([l, z]) => `${l}.${z}`),
  );
  const arbType = fc.constantFrom<RecordType>('A', 'AAAA', 'MX', 'TXT', 'SOA', 'NS', 'AXFR');
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffff }), arbName, arbType, (id, name, type) => {
      const q = dnsPacket.encode({ type: 'query', id, questions: [{ name, type }] });
      const out = answerQuery(q, table);
      assert.ok(out && out.length <= 512);
      const res = dnsPacket.decode(out);
      assert.equal(res.id, id);
      assert.equal(res.questions?.[0]?.name, name);
    }),
    { numRuns: 500 },
  );
});
