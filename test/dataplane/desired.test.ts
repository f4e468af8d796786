// The pure rules that turn stored endpoints into listener specs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ContestedAddresses } from '../../src/dataplane/contested.ts';
import { BindableRange, endpointListeners, vpcVni } from '../../src/dataplane/desired.ts';
import type { ForwardingEndpoint } from '../../src/vpcep/endpoints/dataplane.ts';

const settings = {
  bindable: new BindableRange(['127.0.0.0/8']),
  maxConnectionsPerEndpoint: 3000,
  tcpIdleTimeoutMs: 350_000,
  udpIdleTimeoutMs: 120_000,
};

function endpoint(over: Partial<ForwardingEndpoint> = {}): ForwardingEndpoint {
  return {
    endpointId: 'e1',
    projectId: 'p',
    domainId: 'd',
    vpcId: '9a7e6c1b-0000-4000-8000-000000000001',
    subnetId: 's',
    ip: '127.30.0.5',
    markerId: 16777217,
    dnsNames: [],
    enableWhitelist: false,
    whitelist: ['127.30.0.0/24'],
    serviceId: 'svc',
    serviceName: 'r.svc',
    tcpProxy: 'close',
    backendIp: '127.20.0.10',
    operatorBackend: false,
    ports: [
      { client_port: 8080, server_port: 80, protocol: 'TCP' },
      { client_port: 53, server_port: 5353, protocol: 'UDP' },
    ],
    ...over,
  };
}

test('one listener per port mapping, forwarding endpoint_ip:client_port to backend:server_port', () => {
  const specs = endpointListeners(endpoint(), settings);
  assert.ok(Array.isArray(specs));
  assert.deepEqual(
    specs.map((s) => [
      s.key,
      s.protocol,
      s.listenHost,
      s.listenPort,
      s.targetHost,
      s.targetPort,
      s.idleTimeoutMs,
    ]),
    [
      ['e1:TCP:8080', 'TCP', '127.30.0.5', 8080, '127.20.0.10', 80, 350_000],
      ['e1:UDP:53', 'UDP', '127.30.0.5', 53, '127.20.0.10', 5353, 120_000],
    ],
  );
  assert.ok(
    specs.every((s) => s.whitelist === null && s.proxyProtocol === null && s.maxConnections === 3000),
  );
});

test('the whitelist applies only when enabled', () => {
  const specs = endpointListeners(endpoint({ enableWhitelist: true }), settings);
  assert.ok(Array.isArray(specs));
  assert.deepEqual(specs[0]?.whitelist, ['127.30.0.0/24']);
});

test('tcp_proxy modes: PROXY v2 for TCP only; proxy_vni adds the VPC network id; toa_open adds nothing', () => {
  for (const mode of ['proxy_open', 'open']) {
    const specs = endpointListeners(endpoint({ tcpProxy: mode }), settings);
    assert.ok(Array.isArray(specs));
    assert.deepEqual(specs[0]?.proxyProtocol, { markerId: 16777217 });
    assert.equal(specs[1]?.proxyProtocol, null, 'no PROXY header on UDP');
  }
  const vni = endpointListeners(endpoint({ tcpProxy: 'proxy_vni' }), settings);
  assert.ok(Array.isArray(vni));
  assert.deepEqual(vni[0]?.proxyProtocol, { markerId: 16777217, vni: vpcVni(endpoint().vpcId) });
  for (const mode of ['close', 'toa_open']) {
    const specs = endpointListeners(endpoint({ tcpProxy: mode }), settings);
    assert.ok(Array.isArray(specs));
    assert.equal(specs[0]?.proxyProtocol, null);
  }
});

test('the VNI is a stable 24-bit value that differs between VPCs', () => {
  const a = vpcVni('9a7e6c1b-0000-4000-8000-000000000001');
  assert.equal(a, vpcVni('9a7e6c1b-0000-4000-8000-000000000001'));
  assert.notEqual(a, vpcVni('9a7e6c1b-0000-4000-8000-000000000002'));
  assert.ok(Number.isInteger(a) && a >= 0 && a < 2 ** 24);
});

test('endpoints without a bindable address, a backend or ports are skipped with the reason', () => {
  const endpoints = [
    endpoint({ endpointId: 'far', ip: '10.0.0.5' }),
    endpoint({ endpointId: 'nobackend', backendIp: null }),
    endpoint({ endpointId: 'noports', ports: [] }),
    endpoint({ endpointId: 'ok' }),
  ];
  const plans = endpoints.map((ep) => [ep.endpointId, endpointListeners(ep, settings)] as const);
  const state = {
    skipped: new Map(plans.filter(([, p]) => typeof p === 'string')),
    specs: plans.flatMap(([, p]) => (typeof p === 'string' ? [] : p)),
  };
  assert.deepEqual(Object.fromEntries(state.skipped), {
    far: 'not_bindable',
    nobackend: 'no_backend',
    noports: 'no_ports',
  });
  assert.deepEqual(
    state.specs.map((s) => s.endpointId),
    ['ok', 'ok'],
  );
});

test('the bindable range is a set of IPv4 CIDRs', () => {
  const range = new BindableRange(['127.30.0.0/16', '10.1.2.0/24']);
  assert.equal(range.contains('127.30.255.1'), true);
  assert.equal(range.contains('127.31.0.1'), false);
  assert.equal(range.contains('10.1.2.200'), true);
  assert.equal(range.contains('10.1.3.1'), false);
  assert.equal(range.contains('::1'), false);
  assert.equal(range.contains('not an ip'), false);
});

test("a tenant's backend must be a bindable address; the operator's public targets need not be", () => {
  const onHost = new BindableRange(['127.0.0.0/8'], ['127.0.0.0/16']);
  const with_ = (over: Partial<ForwardingEndpoint>) =>
    endpointListeners(endpoint(over), { ...settings, bindable: onHost });
  assert.equal(with_({ backendIp: '10.0.0.10' }), 'backend_not_bindable', 'a host address no tenant owns');
  assert.equal(
    with_({ backendIp: '127.0.0.1' }),
    'backend_not_bindable',
    'a reserved address (the API, DNS)',
  );
  assert.equal(with_({ backendIp: '169.254.169.254' }), 'backend_not_bindable');
  assert.equal(with_({ backendIp: 'localhost' }), 'backend_not_bindable', 'never a name');
  assert.equal(with_({ ip: '127.0.0.53' }), 'not_bindable', 'an endpoint on a reserved address');
  const operator = with_({ backendIp: '127.0.0.1', operatorBackend: true });
  assert.ok(Array.isArray(operator), 'configured public-service targets are trusted');
  assert.equal(operator[0]?.targetHost, '127.0.0.1');
});

test('an endpoint or a backend on an address two projects claim is skipped', () => {
  const contested = ContestedAddresses.of(
    [
      { projectId: 'a', cidr: '127.20.0.0/16' },
      { projectId: 'b', cidr: '127.20.5.0/24' },
      { projectId: 'a', cidr: '127.30.0.0/24' },
    ],
    settings.bindable.ranges,
  );
  const plan = (over: Partial<ForwardingEndpoint>) => endpointListeners(endpoint(over), settings, contested);
  assert.equal(plan({ ip: '127.20.5.9' }), 'address_contested');
  assert.equal(plan({ backendIp: '127.20.5.10' }), 'backend_contested');
  assert.ok(
    Array.isArray(plan({ ip: '127.20.6.9', backendIp: '127.30.0.10' })),
    'claimed by one project only',
  );
  // A public service's target comes from the operator; where tenants overlap does not matter to it.
  assert.ok(Array.isArray(plan({ backendIp: '127.20.5.10', operatorBackend: true })));
});

test('contested addresses: nested and equal blocks of different projects, only on the shared ranges', () => {
  const ranges = new BindableRange(['127.0.0.0/8']).ranges;
  const c = ContestedAddresses.of(
    [
      { projectId: 'a', cidr: '127.10.0.0/16' },
      { projectId: 'a', cidr: '127.10.1.0/24' },
      { projectId: 'b', cidr: '127.10.2.0/24' },
      { projectId: 'b', cidr: '127.10.2.128/25' },
      { projectId: 'c', cidr: '127.11.0.0/24' },
      { projectId: 'd', cidr: '127.11.0.0/24' },
      { projectId: 'a', cidr: '10.0.0.0/16' },
      { projectId: 'b', cidr: '10.0.0.0/16' },
      { projectId: 'e', cidr: 'not a cidr' },
    ],
    ranges,
  );
  assert.deepEqual(c.cidrs, ['127.10.2.0/24', '127.10.2.128/25', '127.11.0.0/24']);
  for (const ip of ['127.10.2.0', '127.10.2.255', '127.11.0.77']) assert.equal(c.contains(ip), true, ip);
  for (const ip of ['127.10.1.5', '127.10.3.0', '127.10.1.255', '127.11.1.0', '10.0.0.5', 'x', '']) {
    assert.equal(c.contains(ip), false, ip);
  }
  assert.equal(ContestedAddresses.of([], ranges).contains('127.10.2.1'), false);
});
