// The data plane end to end, over real sockets: a provider's backend on
// 127.20.0.10 behind an endpoint service, a consumer's endpoint in
// 127.30.0.0/24, and traffic, DNS and metrics through the running server.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { after, before, describe, test } from 'node:test';
import { attempt, connectTcp, closeOutcome, startUdpBackend, udpExchange } from '../support/loopback.ts';
import { testDialects } from '../support/db.ts';
import { waitUntil } from '../support/wait.ts';
import { rawRequest } from '../support/http.ts';
import { startProxiedHttpBackend, type ProxiedHttpBackend } from '../support/proxied-http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { reachable } from '../support/reachable.ts';
import {
  createEndpoint,
  getEndpoint,
  networkOf,
  NETWORKS,
  settled,
  createService,
  whitelistDomain,
} from '../vpcep/endpoints.support.ts';
import { SERVICES } from '../vpcep/services.support.ts';

const BACKEND_IP = '127.20.0.10';
const ENDPOINT_IP = '127.30.0.50';
const INSIDE_CLIENT = '127.30.0.7';
const OUTSIDE_CLIENT = '127.31.0.9';
const UDP_PORT = 5300;

for (const dialect of testDialects()) {
  describe(`data plane end to end (${dialect})`, () => {
    let server: TestServer;
    let backend: ProxiedHttpBackend;
    let udp: Awaited<ReturnType<typeof startUdpBackend>>;

    before(async () => {
      server = await startTestServer({ dialect, accountExtras: NETWORKS });
      // Port 80 as the issue's scenario has it (the tests run as root, like CI).
      backend = await startProxiedHttpBackend(BACKEND_IP, 80);
      udp = await startUdpBackend(BACKEND_IP, (p) => Buffer.concat([Buffer.from('echo:'), p]), UDP_PORT);
    });
    after(async () => {
      await server?.close();
      await backend?.close();
      await udp?.close();
    });

    test('an accepted endpoint carries TCP, PROXY v2, whitelist, UDP and DNS; reject cuts it', async (t) => {
      const provider = await networkOf(server.provider, 'vpc-p');
      const consumer = await networkOf(server.consumer, 'vpc-c');
      const { id: serviceId } = await createService(server, provider, {
        approval: true,
        tcpProxy: 'proxy_open',
        ports: [
          { client_port: 8080, server_port: 80, protocol: 'TCP' },
          { client_port: UDP_PORT, server_port: UDP_PORT, protocol: 'UDP' },
        ],
      });
      await whitelistDomain(server, serviceId, server.consumer.domainId);

      const created = await createEndpoint(server.consumer, {
        endpoint_service_id: serviceId,
        vpc_id: consumer.vpcId,
        subnet_id: consumer.subnetId,
        port_ip: ENDPOINT_IP,
        enable_dns: true,
        enable_whitelist: true,
        whitelist: [consumer.subnetCidr],
      });
      const endpointId = String(created.id);
      const pending = await settled(server.consumer, endpointId);
      assert.equal(pending.status, 'pendingAcceptance');

      // Not accepted yet: nothing listens on the endpoint address.
      const early = await attempt(ENDPOINT_IP, 8080, INSIDE_CLIENT);
      assert.equal(early.code, 'ECONNREFUSED');

      const act = (action: string) =>
        server.provider.sdk({
          method: 'POST',
          url: `${SERVICES}/${serviceId}/connections/action`,
          data: { action, endpoints: [endpointId] },
        });
      await act('receive');
      const acceptedAt = Date.now();
      await reachable(ENDPOINT_IP, 8080, INSIDE_CLIENT);
      t.diagnostic(`listener up ${Date.now() - acceptedAt} ms after the accept answered`);

      const shown = await getEndpoint(server.consumer, endpointId);
      assert.equal(shown.status, 'accepted');
      assert.equal(shown.ip, ENDPOINT_IP);

      // HTTP through the endpoint, and the PROXY v2 header the backend read.
      const before = backend.headers.length;
      const res = await rawRequest({
        method: 'GET',
        url: `http://${ENDPOINT_IP}:8080/`,
        localAddress: INSIDE_CLIENT,
      });
      assert.equal(res.status, 200);
      assert.equal(res.text, 'backend says hi');
      const header = backend.headers[backend.headers.length - 1];
      assert.ok(backend.headers.length > before && header, 'the backend saw a PROXY header');
      assert.equal(header.version, 2);
      assert.equal(header.command, 'PROXY');
      assert.ok(header.family === 'INET');
      assert.deepEqual(header.source, { address: INSIDE_CLIENT, port: res.localPort });
      assert.deepEqual(header.destination, { address: ENDPOINT_IP, port: 8080 });
      const marker = header.tlvs.find((tlv) => tlv.type === 0xe0);
      assert.ok(marker, 'TLV 0xE0 is present');
      assert.equal(marker.value.readUInt32BE(0), shown.marker_id);
      assert.equal(
        header.tlvs.find((tlv) => tlv.type === 0xe1),
        undefined,
        'no VNI TLV with proxy_open',
      );

      // A client outside the endpoint whitelist is refused.
      const outside = await attempt(ENDPOINT_IP, 8080, OUTSIDE_CLIENT);
      assert.ok(outside.code !== undefined && outside.received === 0, JSON.stringify(outside));

      // UDP through the UDP mapping.
      const sock = dgram.createSocket('udp4');
      await new Promise<void>((resolve) => sock.bind(0, INSIDE_CLIENT, resolve));
      try {
        // The UDP listener belongs to one worker and may bind a moment after the TCP one
        // answered; a datagram sent before is lost, so ask until one comes back (bounded).
        const reply = await waitUntil(
          () => udpExchange(sock, Buffer.from('ping'), UDP_PORT, ENDPOINT_IP, 1000),
          // udpExchange() answers null when no datagram came back in time.
          (r) => r !== null,
          'a UDP answer through the endpoint',
          15_000,
          0,
        );
        assert.equal(reply?.toString(), 'echo:ping');
      } finally {
        sock.close();
      }

      // The private DNS name resolves to the endpoint address.
      const dnsNames = shown.dns_names as string[];
      assert.equal(dnsNames.length, 1);
      const dns = server.running.dataplane?.dns?.address;
      assert.ok(dns);
      const resolver = new Resolver({ timeout: 2000, tries: 1 });
      resolver.setServers([`${dns.host}:${dns.port}`]);
      assert.deepEqual(await resolver.resolve4(dnsNames[0] ?? ''), [ENDPOINT_IP]);

      // The counters on /metrics, next to the API's own.
      const metrics = await rawRequest({ method: 'GET', url: `${server.url}/metrics` });
      assert.equal(metrics.status, 200);
      const text = metrics.text;
      const series = (name: string, extra = ''): number => {
        const labels = `endpoint_id="${endpointId}"${extra}`;
        const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
        return Number(line?.split(' ').pop());
      };
      assert.ok(series('vpcep_endpoint_connections_total') >= 2, 'accepted connections are counted');
      assert.ok(series('vpcep_endpoint_refused_total', ',reason="whitelist"') >= 1, 'refusals are counted');
      assert.ok(series('vpcep_endpoint_bytes_total', ',direction="backend_to_client"') > 0);
      assert.ok(series('vpcep_endpoint_udp_sessions_total') >= 1);
      assert.match(
        text,
        /vpcep_http_requests_total\{method="POST",route="[^"]+connections\/action",status_code="200"\} \d+/,
      );
      assert.match(text, /vpcep_http_request_duration_seconds_bucket\{/);

      // Reject: the open connection is reset and new ones are refused.
      const open = await connectTcp(ENDPOINT_IP, 8080, INSIDE_CLIENT);
      const openEnded = closeOutcome(open, 5000);
      await act('reject');
      const ended = await openEnded;
      assert.equal(ended.code, 'ECONNRESET');
      const afterReject = await attempt(ENDPOINT_IP, 8080, INSIDE_CLIENT);
      assert.equal(afterReject.code, 'ECONNREFUSED');
      // A rejected endpoint keeps its address (decision #9), so its name still resolves.
      assert.deepEqual(await resolver.resolve4(dnsNames[0] ?? ''), [ENDPOINT_IP]);
    });
  });
}
