// Crash recovery and split roles: the data plane rebuilds its listeners from
// the store alone, whether after `kill -9` or on a node that runs no API.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { attempt } from '../support/loopback.ts';
import { startServer } from '../../src/main.ts';
import { freshDatabase, testDialects } from '../support/db.ts';
import { runCli } from '../support/cli.ts';
import { rawRequest } from '../support/http.ts';
import { startProxiedHttpBackend, type ProxiedHttpBackend } from '../support/proxied-http.ts';
import { startTestServer, testAccount, testConfig } from '../support/server.ts';
import { reachable } from '../support/reachable.ts';
import { waitUntil } from '../support/wait.ts';
import {
  createEndpoint,
  createService,
  networkOf,
  NETWORKS,
  settled,
  whitelistDomain,
} from '../vpcep/endpoints.support.ts';
import type { TestServer } from '../support/server.ts';

const BACKEND_IP = '127.20.0.10';
const CLIENT = '127.30.0.7';

/** A GET to the endpoint's port 8080 from an address of the consumer subnet. */
const getFrom = (ip: string) =>
  rawRequest({ method: 'GET', url: `http://${ip}:8080/`, localAddress: CLIENT });

function serve(configFile: string) {
  const run = runCli(['serve', '--config', configFile]);
  // Both lines ready() waits for are printed on stdout.
  const out = run.output;
  return {
    ...run,
    async ready(): Promise<{ url: string; dns: { host: string; port: number } }> {
      await waitUntil(
        async () => /listening on (http:\/\/\S+)/.test(out()) && /DNS for zone \S+ on \S+:\d+/.test(out()),
        (ok) => ok,
        'the server to start',
        30_000,
        50,
      );
      const dns = /DNS for zone \S+ on (\S+):(\d+)/.exec(out());
      return {
        url: /listening on (http:\/\/\S+)/.exec(out())?.[1] ?? '',
        dns: { host: dns?.[1] ?? '', port: Number(dns?.[2]) },
      };
    },
  };
}

/** Creates service + accepted endpoint at `ip` through `server`'s API and returns the endpoint. */
async function acceptedEndpoint(server: TestServer, ip: string) {
  const provider = await networkOf(server.provider, 'vpc-p');
  const consumer = await networkOf(server.consumer, 'vpc-c');
  const svc = await createService(server, provider, {
    ports: [{ client_port: 8080, server_port: 80, protocol: 'TCP' }],
  });
  await whitelistDomain(server, svc.id, server.consumer.domainId);
  const created = await createEndpoint(server.consumer, {
    endpoint_service_id: svc.id,
    vpc_id: consumer.vpcId,
    subnet_id: consumer.subnetId,
    port_ip: ip,
    enable_dns: true,
  });
  const ep = await settled(server.consumer, String(created.id));
  assert.equal(ep.status, 'accepted');
  return ep;
}

describe('data plane recovery', () => {
  let backend: ProxiedHttpBackend;
  before(async () => {
    backend = await startProxiedHttpBackend(BACKEND_IP, 80, 'still here');
  });
  after(async () => {
    await backend?.close();
  });

  test('after kill -9 and a restart, the accepted endpoint forwards again', async () => {
    const db = await freshDatabase('sqlite');
    const dir = mkdtempSync(join(tmpdir(), 'vpcep-restart-'));
    const configFile = join(dir, 'vpcep.json.yaml');
    // JSON is YAML: the file holds exactly the configuration a test server runs on.
    writeFileSync(configFile, JSON.stringify(testConfig(db.url, { accountExtras: NETWORKS })));
    const first = serve(configFile);
    let second: ReturnType<typeof serve> | undefined;
    try {
      const { url } = await first.ready();
      const ip = '127.30.0.60';
      const server = {
        url,
        provider: testAccount('provider', url),
        consumer: testAccount('consumer', url),
      } as TestServer;
      const ep = await acceptedEndpoint(server, ip);
      await reachable(ip, 8080, CLIENT);
      assert.equal((await getFrom(ip)).text, 'still here');

      first.child.kill('SIGKILL');
      await first.exited;
      // The forwarding processes notice the kill when the main process's end of their IPC
      // channel closes, a moment after the kernel reports it dead: they stop soon, not at once.
      await waitUntil(
        () => attempt(ip, 8080, CLIENT),
        (r) => r.code === 'ECONNREFUSED',
        'nothing to listen once killed',
        10_000,
        20,
      );

      second = serve(configFile);
      const { dns } = await second.ready();
      // No API call after the restart: the listeners come back from the store alone.
      await reachable(ip, 8080, CLIENT);
      assert.equal((await getFrom(ip)).text, 'still here');
      const resolver = new Resolver({ timeout: 2000, tries: 1 });
      resolver.setServers([`${dns.host}:${dns.port}`]);
      assert.deepEqual(await resolver.resolve4((ep.dns_names as string[])[0] ?? ''), [ip]);
    } finally {
      first.child.kill('SIGKILL');
      second?.child.kill('SIGKILL');
      await first.exited;
      await second?.exited;
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const dialect of testDialects()) {
    test(`a node with only dataplane,dns follows an API node's changes (${dialect})`, async () => {
      let api: TestServer | undefined;
      const nodes: { close(): Promise<void> }[] = [];
      try {
        api = await startTestServer({
          dialect,
          accountExtras: NETWORKS,
          overrides: { roles: ['api', 'jobs'] },
        });
        assert.equal(api.running.dataplane, undefined, 'the API node runs no data plane');
        const dataNode = await startServer({
          ...api.config,
          roles: ['dataplane', 'dns'],
          // On PostgreSQL, changes arrive by LISTEN/NOTIFY: with an hour between full re-reads,
          // only the notifications can make this test pass. SQLite has no such channel.
          dataplane: { ...api.config.dataplane, resync_ms: dialect === 'postgres' ? 3_600_000 : 200 },
        });
        nodes.push(dataNode);
        const metricsOnly = await fetch(`${dataNode.url}/metrics`);
        assert.equal(metricsOnly.status, 200);
        assert.match(await metricsOnly.text(), /vpcep_dataplane_listeners 0/);
        assert.equal((await fetch(`${dataNode.url}/`)).status, 404, 'a data-plane node serves no API');

        const ip = '127.30.0.61';
        const ep = await acceptedEndpoint(api, ip);
        await reachable(ip, 8080, CLIENT);
        assert.equal((await getFrom(ip)).text, 'still here');
        const dns = dataNode.dataplane?.dns?.address;
        assert.ok(dns);
        const resolver = new Resolver({ timeout: 2000, tries: 1 });
        resolver.setServers([`${dns.host}:${dns.port}`]);
        assert.deepEqual(await resolver.resolve4((ep.dns_names as string[])[0] ?? ''), [ip]);

        // Deleting through the API node stops the listener on the data node.
        await api.consumer.sdk({ method: 'DELETE', url: `/v1/{project_id}/vpc-endpoints/${String(ep.id)}` });
        await waitUntil(
          () => attempt(ip, 8080, CLIENT),
          (r) => r.code === 'ECONNREFUSED',
          'the listener to stop',
          15_000,
          50,
        );
      } finally {
        for (const n of nodes) await n.close();
        await api?.close();
      }
    });
  }
});
