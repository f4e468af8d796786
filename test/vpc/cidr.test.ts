// Unit tests of the pure IPv4/CIDR arithmetic, with properties checked against
// ipaddr.js as an independent oracle where it has an opinion.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import {
  broadcastOf,
  checkNetworkCidr,
  containsAddress,
  containsCidr,
  firstHost,
  formatCidr,
  formatIpv4,
  isHostAddress,
  lowestFree,
  overlaps,
  parseCidr,
  parseIpv4,
  type Cidr,
} from '../../src/vpc/cidr.ts';

const ip = (text: string): number => {
  const v = parseIpv4(text);
  assert.notEqual(v, undefined, text);
  return v ?? 0;
};
const cidr = (text: string): Cidr => {
  const p = parseCidr(text);
  assert.ok(p.ok, text);
  return p.cidr;
};

const arbAddress = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const arbCidr = fc.tuple(arbAddress, fc.integer({ min: 0, max: 32 })).map(([a, prefix]): Cidr => {
  const size = 2 ** (32 - prefix);
  return { network: a - (a % size), prefix };
});

describe('parseIpv4 / formatIpv4', () => {
  test('parses dotted quads to unsigned numbers', () => {
    assert.equal(parseIpv4('0.0.0.0'), 0);
    assert.equal(parseIpv4('10.0.0.1'), 0x0a000001);
    assert.equal(parseIpv4('255.255.255.255'), 2 ** 32 - 1);
  });

  test('refuses everything that is not exactly four decimal octets', () => {
    for (const bad of [
      '',
      '1.2.3',
      '1.2.3.4.5',
      '256.0.0.1',
      '01.2.3.4',
      '1.2.3.-4',
      '1.2.3.4 ',
      '0x1.2.3.4',
      '1..2.3',
      '::1',
    ]) {
      assert.equal(parseIpv4(bad), undefined, bad);
    }
  });

  test('round-trips every address and agrees with ipaddr.js', () => {
    fc.assert(
      fc.property(arbAddress, (a) => {
        const text = formatIpv4(a);
        assert.equal(parseIpv4(text), a);
        assert.equal(ipaddr.IPv4.parse(text).toString(), text);
      }),
    );
  });
});

describe('parseCidr', () => {
  test('accepts network blocks from /0 to /32', () => {
    assert.deepEqual(parseCidr('10.0.0.0/8'), { ok: true, cidr: { network: ip('10.0.0.0'), prefix: 8 } });
    assert.deepEqual(parseCidr('0.0.0.0/0'), { ok: true, cidr: { network: 0, prefix: 0 } });
    assert.deepEqual(parseCidr('10.1.2.3/32'), { ok: true, cidr: { network: ip('10.1.2.3'), prefix: 32 } });
  });

  test('reports host bits separately from syntax errors', () => {
    assert.deepEqual(parseCidr('10.0.0.1/24'), { ok: false, problem: 'host-bits' });
    assert.deepEqual(parseCidr('10.128.0.0/8'), { ok: false, problem: 'host-bits' });
    for (const bad of [
      '10.0.0.0',
      '10.0.0.0/',
      '10.0.0.0/33',
      '10.0.0.0/08',
      '10.0.0.0/-1',
      '10.0.0/8',
      '/8',
      'a/b',
    ]) {
      assert.deepEqual(parseCidr(bad), { ok: false, problem: 'syntax' }, bad);
    }
  });

  test('round-trips every network block and agrees with ipaddr.js on its range', () => {
    fc.assert(
      fc.property(arbCidr, (c) => {
        const text = formatCidr(c);
        assert.deepEqual(parseCidr(text), { ok: true, cidr: c });
        const [net, prefix] = ipaddr.IPv4.parseCIDR(text);
        assert.equal(prefix, c.prefix);
        assert.equal(ipaddr.IPv4.networkAddressFromCIDR(text).toString(), formatIpv4(c.network));
        assert.equal(ipaddr.IPv4.broadcastAddressFromCIDR(text).toString(), formatIpv4(broadcastOf(c)));
        assert.equal(net.toString(), formatIpv4(c.network));
      }),
    );
  });
});

describe('containment and overlap', () => {
  test('addresses and blocks inside a block', () => {
    const c = cidr('192.168.1.0/24');
    assert.equal(containsAddress(c, ip('192.168.1.0')), true);
    assert.equal(containsAddress(c, ip('192.168.1.255')), true);
    assert.equal(containsAddress(c, ip('192.168.2.0')), false);
    assert.equal(containsCidr(c, cidr('192.168.1.128/25')), true);
    assert.equal(containsCidr(c, c), true);
    assert.equal(containsCidr(cidr('192.168.1.128/25'), c), false);
    assert.equal(containsCidr(c, cidr('192.168.0.0/23')), false);
  });

  test('overlap is symmetric and matches containment of one network in the other', () => {
    fc.assert(
      fc.property(arbCidr, arbCidr, (a, b) => {
        assert.equal(overlaps(a, b), overlaps(b, a));
        // Aligned blocks either nest or are disjoint; they never partially overlap.
        assert.equal(overlaps(a, b), containsCidr(a, b) || containsCidr(b, a));
        const [ipA] = ipaddr.IPv4.parseCIDR(formatCidr(a));
        const inB = ipA.match(ipaddr.IPv4.parseCIDR(formatCidr(b)));
        if (a.prefix >= b.prefix) assert.equal(overlaps(a, b), inB);
      }),
    );
  });

  test('host addresses exclude network and broadcast', () => {
    const c = cidr('10.0.0.0/29');
    assert.equal(isHostAddress(c, ip('10.0.0.0')), false);
    assert.equal(isHostAddress(c, ip('10.0.0.1')), true);
    assert.equal(isHostAddress(c, ip('10.0.0.6')), true);
    assert.equal(isHostAddress(c, ip('10.0.0.7')), false);
    assert.equal(formatIpv4(firstHost(c)), '10.0.0.1');
  });
});

describe('lowestFree', () => {
  test('skips taken addresses and never hands out network or broadcast', () => {
    const c = cidr('10.0.0.0/29');
    assert.equal(formatIpv4(lowestFree(c, new Set([ip('10.0.0.1')])) ?? 0), '10.0.0.2');
    assert.equal(
      formatIpv4(lowestFree(c, new Set([ip('10.0.0.1'), ip('10.0.0.2'), ip('10.0.0.4')])) ?? 0),
      '10.0.0.3',
    );
    const all = new Set([1, 2, 3, 4, 5, 6].map((n) => ip(`10.0.0.${n}`)));
    assert.equal(lowestFree(c, all), undefined);
  });

  test('always answers a free host address of the block when one exists', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 24, max: 30 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 255 })),
        (prefix, offs) => {
          const c: Cidr = { network: ip('10.9.8.0'), prefix };
          const taken = new Set(offs.map((o) => c.network + o));
          const free = lowestFree(c, taken);
          const expected = Array.from({ length: 2 ** (32 - prefix) - 2 }, (_, i) => c.network + 1 + i).find(
            (a) => !taken.has(a),
          );
          assert.equal(free, expected);
        },
      ),
    );
  });
});

describe('checkNetworkCidr (the VPC and subnet address policy)', () => {
  test('accepts the private ranges and loopback from /8 to /29', () => {
    for (const ok of [
      '10.0.0.0/8',
      '10.255.255.248/29',
      '172.16.0.0/12',
      '172.31.0.0/16',
      '192.168.0.0/16',
      '127.0.0.0/8',
    ]) {
      assert.equal(checkNetworkCidr(ok).ok, true, ok);
    }
  });

  test('names the problem of each refused block', () => {
    const cases: [string, string][] = [
      ['10.0.0.0/30', 'prefix'],
      ['0.0.0.0/0', 'prefix'],
      ['10.0.0.0/7', 'prefix'],
      ['8.0.0.0/8', 'range'],
      ['172.0.0.0/10', 'range'],
      ['192.168.0.0/15', 'range'],
      ['192.169.0.0/15', 'host-bits'],
      ['192.160.0.0/12', 'range'],
      ['100.64.0.0/10', 'range'],
      ['198.19.128.0/17', 'reserved'],
      ['198.19.200.0/24', 'reserved'],
      ['198.0.0.0/8', 'reserved'],
      ['198.19.0.0/24', 'range'],
      ['10.0.0.1/8', 'host-bits'],
      ['nonsense', 'syntax'],
    ];
    for (const [text, problem] of cases) {
      const r = checkNetworkCidr(text);
      assert.deepEqual(r, { ok: false, problem }, text);
    }
  });
});
