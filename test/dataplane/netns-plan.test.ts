// Namespaces mode's pure parts, without root: which networks the store asks
// for, the address plan, the names, and what the nft rule sets let through.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  SlotAllocator,
  listenerAddress,
  transit,
  transitIndex,
  TRANSIT_SLOTS,
} from '../../src/dataplane/netns/addresses.ts';
import { NetnsNames, portLink, shortId, transitLink } from '../../src/dataplane/netns/names.ts';
import { dataplaneRules, vpcRules } from '../../src/dataplane/netns/nft-rules.ts';
import { desiredNetworks, isInstancePort } from '../../src/dataplane/netns/topology.ts';
import { containsAddress, mustParseCidr, parseIpv4 } from '../../src/vpc/cidr.ts';

const VPCEP = mustParseCidr('198.19.128.0/17');
const inVpcep = (ip: string) => containsAddress(VPCEP, parseIpv4(ip) ?? -1);

describe('namespaces mode: desired networks', () => {
  const subnets = [
    { id: 's1', vpcId: 'v1', cidr: '10.0.0.0/24', gatewayIp: '10.0.0.1' },
    { id: 's2', vpcId: 'v2', cidr: '10.0.0.0/24', gatewayIp: '10.0.0.1' },
    { id: 's3', vpcId: 'v3', cidr: '127.30.0.0/24', gatewayIp: '127.30.0.1' },
    { id: 's4', vpcId: 'v4', cidr: '10.1.0.0/24', gatewayIp: '10.1.0.1; drop' },
  ];
  const ports = [
    { id: 'p1', vpcId: 'v1', subnetId: 's1', ip: '10.0.0.10', deviceOwner: 'compute:az1' },
    { id: 'p2', vpcId: 'v2', subnetId: 's2', ip: '10.0.0.10', deviceOwner: 'neutron:LOADBALANCERV2' },
    { id: 'p3', vpcId: 'v2', subnetId: 's2', ip: '10.0.0.11', deviceOwner: 'network:router_interface' },
    { id: 'p4', vpcId: 'v2', subnetId: 's2', ip: '10.0.9.9', deviceOwner: 'compute:az1' },
    { id: 'p5', vpcId: 'v1', subnetId: 's1', ip: '10.0.0.12 accept', deviceOwner: 'compute:az1' },
    { id: 'p6', vpcId: 'v3', subnetId: 's3', ip: '127.30.0.5', deviceOwner: 'compute:az1' },
    { id: 'p7', vpcId: 'v1', subnetId: 's1', ip: '10.0.0.1', deviceOwner: 'compute:az1' },
  ];
  const nets = desiredNetworks(subnets, ports);

  test('overlapping CIDRs of two VPCs each get their network, with the same port address', () => {
    assert.deepEqual(nets.get('v1'), {
      vpcId: 'v1',
      gateways: ['10.0.0.1/24'],
      ports: [{ portId: 'p1', address: '10.0.0.10/24', gateway: '10.0.0.1' }],
    });
    assert.deepEqual(nets.get('v2')?.ports, [{ portId: 'p2', address: '10.0.0.10/24', gateway: '10.0.0.1' }]);
  });

  test('only instance and load-balancer ports inside their subnet, never the gateway or text that is no address', () => {
    assert.equal(isInstancePort('compute:nova'), true);
    assert.equal(isInstancePort('neutron:LOADBALANCER'), true);
    assert.equal(isInstancePort('network:dhcp'), false);
    assert.equal(isInstancePort(''), false);
    const all = [...nets.values()].flatMap((v) => v.ports.map((p) => p.portId));
    assert.deepEqual(all.sort(), ['p1', 'p2']);
  });

  test('loopback subnets and gateways that are not addresses build nothing', () => {
    assert.equal(nets.has('v3'), false);
    assert.equal(nets.has('v4'), false);
  });
});

describe('namespaces mode: address plan', () => {
  test('listeners, transit ends and their tables stay inside 198.19.128.0/17 and apart', () => {
    assert.equal(listenerAddress(0), '198.19.128.1');
    assert.ok(inVpcep(listenerAddress(8190)));
    const first = transit(0);
    const last = transit(TRANSIT_SLOTS - 1);
    assert.deepEqual(first, { dp: '198.19.192.1', vpc: '198.19.192.2', table: 10_000 });
    assert.ok(inVpcep(last.dp) && inVpcep(last.vpc));
    assert.equal(transitIndex(last.dp), TRANSIT_SLOTS - 1);
    assert.equal(transitIndex(first.vpc), undefined, 'a VPC end is not a data-plane end');
    assert.equal(transitIndex('10.0.0.1'), undefined);
    assert.equal(transitIndex('not an address'), undefined);
  });

  test('slots: lowest free, stable per key, adopted as found, freed when released', () => {
    const slots = new SlotAllocator(3);
    assert.equal(slots.adopt('b', 1), true);
    assert.equal(slots.adopt('c', 1), false, 'a slot another key holds');
    assert.equal(slots.take('a'), 0);
    assert.equal(slots.take('a'), 0);
    assert.equal(slots.take('c'), 2);
    assert.equal(slots.take('d'), undefined, 'all taken');
    slots.retain(new Set(['a', 'c']));
    assert.equal(slots.take('d'), 1);
  });
});

describe('namespaces mode: names', () => {
  test('every name carries the prefix, fits IFNAMSIZ, and owns only its own', () => {
    const names = new NetnsNames('vpcep');
    const hostile = "x'; rm -rf / #\u0000" + 'a'.repeat(100_000);
    assert.match(names.port(hostile), /^vpcep-p-[0-9a-f]{10}$/);
    assert.match(names.vpc('v1'), /^vpcep-v-[0-9a-f]{10}$/);
    assert.ok(transitLink(hostile).length <= 15 && portLink(hostile).length <= 15);
    assert.equal(shortId('a'), shortId('a'));
    assert.equal(names.owns('vpcep-dp'), true);
    assert.equal(names.owns(names.port('x')), true);
    assert.equal(names.owns('vpcepx-v-1'), false);
    assert.equal(names.owns('other'), false);
    assert.throws(() => new NetnsNames('Bad/prefix'));
    assert.throws(() => new NetnsNames(''));
  });
});

describe('namespaces mode: nft rules', () => {
  const vpc = vpcRules({
    endpoints: [
      {
        ip: '10.0.0.50',
        listener: '198.19.128.1',
        mappings: [
          { protocol: 'tcp', port: 8080 },
          { protocol: 'udp', port: 53 },
        ],
      },
    ],
    gateways: ['10.0.0.1'],
    dataplaneSource: '198.19.192.1',
    resolver: '198.19.160.53',
  });

  test('a VPC: endpoint ports DNAT to their listener, gateways answer DNS, nothing else leaves', () => {
    assert.match(vpc, /ip daddr 10\.0\.0\.50 tcp dport 8080 dnat to 198\.19\.128\.1/);
    assert.match(vpc, /ip daddr 10\.0\.0\.50 udp dport 53 dnat to 198\.19\.128\.1/);
    assert.match(vpc, /ip daddr \{ 10\.0\.0\.1 \} udp dport 53 dnat to 198\.19\.160\.53/);
    assert.match(vpc, /chain forward \{\n\s+type filter hook forward priority filter; policy drop;/);
    assert.match(vpc, /oifname "t0" ct status dnat accept/);
    assert.match(vpc, /iifname "t0" oifname "br0" ip saddr 198\.19\.192\.1 ct state new accept/);
    assert.match(vpc, /chain input \{\n\s+type filter hook input priority filter; policy drop;/);
    // Replaced whole, in one transaction.
    assert.ok(vpc.startsWith('table ip vpcep\ndelete table ip vpcep\n'));
  });

  test('without DNS no resolver rule, and a VPC without endpoints DNATs nothing', () => {
    const bare = vpcRules({
      endpoints: [],
      gateways: ['10.0.0.1'],
      dataplaneSource: '198.19.192.5',
      resolver: null,
    });
    assert.doesNotMatch(bare, /dnat to|masquerade/);
  });

  test("the data plane: a VPC's link reaches only its own listeners and the resolver", () => {
    const dp = dataplaneRules({
      links: [
        { link: 'va', listeners: ['198.19.128.1'] },
        { link: 'vb', listeners: [] },
      ],
      resolver: '198.19.160.53',
    });
    assert.match(dp, /iifname "va" ip daddr \{ 198\.19\.128\.1 \} accept/);
    assert.doesNotMatch(dp, /iifname "vb" ip daddr \{/);
    assert.match(dp, /iifname "vb" ip daddr 198\.19\.160\.53 udp dport 53 accept/);
    assert.match(dp, /chain forward \{\n\s+type filter hook forward priority filter; policy drop;\n\s+\}/);
  });
});
