// The controller follows every change that matters to traffic: endpoint
// whitelists, service ports / backend / tcp_proxy, deletes, the bindable range,
// the per-endpoint connection limit and idle timeouts. Black-box: API calls in,
// real sockets out.
import assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import { createServer, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { vpcVni } from '../../src/dataplane/desired.ts';
import {
  attempt,
  closeOutcome,
  connectTcp,
  roundTrip,
  startTcpBackend,
  type TcpBackend,
} from '../support/loopback.ts';
import { rawRequest } from '../support/http.ts';
import { startProxiedHttpBackend, type ProxiedHttpBackend } from '../support/proxied-http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { waitUntil } from '../support/wait.ts';
import {
  createEndpoint,
  networkOf,
  NETWORKS,
  settled,
  createService,
  waitGone,
  whitelistDomain,
  type Network,
  type ServiceOptions,
} from '../vpcep/endpoints.support.ts';
import { inventory, PROVIDER_VPCS, SERVICES } from '../vpcep/services.support.ts';

const ENDPOINTS = '/v1/{project_id}/vpc-endpoints';
/** Answers each chunk with `${tag}:` + the chunk, so a client can tell the backends apart. */
const tagged = (tag: string) => (s: Socket) => {
  s.on('data', (c: Buffer) => s.write(`${tag}:${c.toString()}`));
  // The backend is half-open capable; it closes its side once the client closed its own.
  s.on('end', () => s.end());
};

async function echoes(ip: string, port: number, from: string, expect: string): Promise<boolean> {
  try {
    const s = await connectTcp(ip, port, from, 1000);
    try {
      return (await roundTrip(s, Buffer.from('hi'), 1000)).toString() === expect;
    } finally {
      s.destroy();
    }
  } catch {
    return false;
  }
}

function until<T>(read: () => Promise<T>, done: (v: T) => boolean, what: string): Promise<T> {
  return waitUntil(read, done, what, 10_000, 20);
}

describe('data plane controller', () => {
  let server: TestServer;
  let a: TcpBackend;
  let b: TcpBackend;
  let proxied: ProxiedHttpBackend;
  let provider: Network & { portA: string; portB: string };
  let consumer: Network;
  let serviceId: string;
  let endpointId: string;
  let dnsName: string;
  const IP = '127.30.0.70';

  const metrics = async () => (await rawRequest({ method: 'GET', url: `${server.url}/metrics` })).text;
  const service = (data: Record<string, unknown>) =>
    server.provider.sdk({ method: 'PUT', url: `${SERVICES}/${serviceId}`, data });
  const endpoint = (data: Record<string, unknown>) =>
    server.consumer.sdk({ method: 'PUT', url: `${ENDPOINTS}/${endpointId}`, data });

  async function newService(opts: ServiceOptions): Promise<string> {
    const { id } = await createService(server, provider, opts);
    await whitelistDomain(server, id, server.consumer.domainId);
    return id;
  }

  async function newEndpoint(service: string, net: Network, ip: string, extra: Record<string, unknown> = {}) {
    const created = await createEndpoint(server.consumer, {
      endpoint_service_id: service,
      vpc_id: net.vpcId,
      subnet_id: net.subnetId,
      port_ip: ip,
      ...extra,
    });
    const ep = await settled(server.consumer, String(created.id));
    assert.equal(ep.status, 'accepted');
    return ep;
  }

  before(async () => {
    server = await startTestServer({
      accountExtras: { provider: PROVIDER_VPCS, consumer: NETWORKS.consumer },
      overrides: {
        dataplane: {
          // 127.31.0.0/16 (the consumer's second VPC) is deliberately left out.
          bindable_cidrs: ['127.20.0.0/16', '127.30.0.0/16'],
          reserved_cidrs: ['127.0.0.0/16'],
          max_connections_per_endpoint: 2,
          // Long enough that an open connection outlives a PUT and a controller pass on a
          // loaded runner (the whitelist and limit tests hold connections that must not idle out).
          tcp_idle_timeout_ms: 4000,
          udp_idle_timeout_ms: 4000,
          connect_timeout_ms: 2000,
          resync_ms: 5000,
        },
      },
    });
    a = await startTcpBackend('127.20.0.10', tagged('A'));
    b = await startTcpBackend('127.20.0.11', tagged('B'));
    proxied = await startProxiedHttpBackend('127.20.0.10', 0);
    const net = await networkOf(server.provider, 'vpc-a');
    const { port } = await inventory(server.provider);
    provider = { ...net, portA: port('127.20.0.10'), portB: port('127.20.0.11') };
    consumer = await networkOf(server.consumer, 'vpc-c');
    serviceId = await newService({
      portId: provider.portA,
      ports: [{ client_port: 8080, server_port: a.port, protocol: 'TCP' }],
    });
    const ep = await newEndpoint(serviceId, consumer, IP, {
      enable_dns: true,
      enable_whitelist: true,
      whitelist: ['127.30.0.7'],
    });
    endpointId = String(ep.id);
    dnsName = (ep.dns_names as string[])[0] ?? '';
  });
  after(async () => {
    await server?.close();
    await Promise.all([a?.close(), b?.close(), proxied?.close()]);
  });

  test('whitelist changes apply to new and open connections', async () => {
    assert.ok(await until(() => echoes(IP, 8080, '127.30.0.7', 'A:hi'), Boolean, 'the listener'));
    assert.equal(await echoes(IP, 8080, '127.30.0.8', 'A:hi'), false, '.8 is not whitelisted');

    const open = await connectTcp(IP, 8080, '127.30.0.7');
    const cut = closeOutcome(open, 5000);
    await endpoint({ whitelist: ['127.30.0.8'] });
    assert.ok((await cut).code !== undefined, 'an open connection from a source no longer admitted is cut');
    assert.ok(await until(() => echoes(IP, 8080, '127.30.0.8', 'A:hi'), Boolean, '.8 admitted'));
    // One worker may have taken the change before the other (the kernel picks which worker
    // accepts): once a controller pass has applied it, every worker has.
    assert.ok(server.running.dataplane, 'this server runs the data plane');
    await server.running.dataplane.controller.notify({ kind: 'endpoint', id: endpointId });
    assert.equal(await echoes(IP, 8080, '127.30.0.7', 'A:hi'), false, '.7 is refused now');

    await endpoint({ enable_whitelist: false });
    assert.ok(await until(() => echoes(IP, 8080, '127.30.0.7', 'A:hi'), Boolean, 'whitelist off'));
    assert.match(
      await metrics(),
      new RegExp(`refused_total\\{endpoint_id="${endpointId}",reason="whitelist"\\} [1-9]`),
    );
  });

  test('the per-endpoint connection limit refuses the excess and counts it', async () => {
    const held = [await connectTcp(IP, 8080, '127.30.0.7'), await connectTcp(IP, 8080, '127.30.0.7')];
    try {
      await until(
        async () => server.running.dataplane?.counters?.get(endpointId)?.activeConnections ?? 0,
        (n) => n === 2,
        'two open connections',
      );
      const third = await attempt(IP, 8080, '127.30.0.7');
      assert.ok(third.code !== undefined && third.received === 0, JSON.stringify(third));
      assert.match(
        await metrics(),
        new RegExp(`refused_total\\{endpoint_id="${endpointId}",reason="limit"\\} [1-9]`),
      );
    } finally {
      for (const s of held) s.destroy();
    }
    // Slots come back once both sides of each flow have closed.
    await until(
      async () => server.running.dataplane?.counters?.get(endpointId)?.activeConnections,
      (n) => n === 0,
      'the held connections to close',
    );
  });

  test('an idle connection is closed after the idle timeout', async () => {
    const s = await connectTcp(IP, 8080, '127.30.0.7');
    const started = Date.now();
    const ended = await closeOutcome(s, 10_000);
    assert.equal(ended.received, 0);
    assert.ok(Date.now() - started >= 3000, 'not before the timeout');
  });

  test('changing the service ports and backend moves the listener', async () => {
    await service({
      port_id: provider.portB,
      ports: [{ client_port: 9090, server_port: b.port, protocol: 'TCP' }],
    });
    assert.ok(await until(() => echoes(IP, 9090, '127.30.0.7', 'B:hi'), Boolean, 'the new mapping'));
    assert.equal((await attempt(IP, 8080, '127.30.0.7')).code, 'ECONNREFUSED', 'the old port is closed');
  });

  test('proxy_vni sends the marker id and the consumer VPC network id', async () => {
    const svc = await newService({
      portId: provider.portA,
      tcpProxy: 'proxy_vni',
      ports: [{ client_port: 8080, server_port: proxied.port, protocol: 'TCP' }],
    });
    const ep = await newEndpoint(svc, consumer, '127.30.0.71');
    const res = await until(
      () =>
        rawRequest({ method: 'GET', url: 'http://127.30.0.71:8080/', localAddress: '127.30.0.9' }).catch(
          () => ({
            status: 0,
            localPort: 0,
          }),
        ),
      (r) => r.status === 200,
      'the proxied backend',
    );
    const header = proxied.headers.at(-1);
    assert.ok(header?.family === 'INET');
    assert.deepEqual(header.source, { address: '127.30.0.9', port: res.localPort });
    const tlv = (type: number) => header.tlvs.find((t) => t.type === type)?.value.readUInt32BE(0);
    assert.equal(tlv(0xe0), ep.marker_id);
    assert.equal(tlv(0xe1), vpcVni(consumer.vpcId));
  });

  test('a listener that cannot bind is reported and retried until it binds', async () => {
    // Something else holds the endpoint's address and port before the endpoint is accepted.
    const squatter = createServer((sock) => sock.end('squatter'));
    await new Promise<void>((resolve) => squatter.listen(9090, '127.30.0.80', resolve));
    try {
      await newEndpoint(serviceId, consumer, '127.30.0.80');
      await until(
        metrics,
        (text) => /^vpcep_dataplane_listener_failures 1$/m.test(text),
        'the failure on /metrics',
      );
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
    assert.ok(
      await until(() => echoes('127.30.0.80', 9090, '127.30.0.7', 'B:hi'), Boolean, 'the retry to bind'),
    );
    // The first worker accepts before every worker has taken the socket and the controller
    // has heard so; the failure is cleared then.
    await until(
      metrics,
      (text) => /^vpcep_dataplane_listener_failures 0$/m.test(text),
      'the failure cleared on /metrics',
    );
  });

  test('an endpoint outside the bindable range stays control-plane only', async () => {
    const other = await networkOf(server.consumer, 'vpc-c2');
    const ep = await newEndpoint(serviceId, other, '127.31.0.72');
    assert.equal(ep.ip, '127.31.0.72');
    assert.equal((await attempt('127.31.0.72', 9090, '127.31.0.9')).code, 'ECONNREFUSED');
    assert.match(await metrics(), /vpcep_dataplane_unbound_endpoints\{reason="not_bindable"\} 1/);
  });

  test('deleting an endpoint stops its listener, its DNS name and its series', async () => {
    const dns = server.running.dataplane?.dns?.address;
    assert.ok(dns);
    const resolver = new Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([`${dns.host}:${dns.port}`]);
    assert.deepEqual(await resolver.resolve4(dnsName), [IP]);

    await server.consumer.sdk({ method: 'DELETE', url: `${ENDPOINTS}/${endpointId}` });
    await waitGone(server.consumer, endpointId);
    await until(
      () => attempt(IP, 9090, '127.30.0.7'),
      (r) => r.code === 'ECONNREFUSED',
      'the listener to stop',
    );
    await assert.rejects(
      resolver.resolve4(dnsName),
      (err: NodeJS.ErrnoException) => err.code === 'ENOTFOUND',
    );
    await until(metrics, (text) => !text.includes(`endpoint_id="${endpointId}"`), 'the series to go');
  });
});
