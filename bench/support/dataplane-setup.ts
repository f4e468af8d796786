// How bench/dataplane.ts sets vpcep up: the configuration file, then services
// and endpoints through the signed API exactly as the data-plane tests do
// (test/dataplane/restart.test.ts, e2e.test.ts), and figure (e): the time from
// the API answering a connection accept to the endpoint's listener accepting.
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultConfig } from '../../src/config/defaults.ts';
import { testAccount, testConfig, type TestServer } from '../../test/support/server.ts';
import {
  createEndpoint,
  networkOf,
  NETWORKS,
  settled,
  waitFor,
  whitelistDomain,
  type Network,
} from '../../test/vpcep/endpoints.support.ts';
import type { ClientAddresses } from './dataplane-load.ts';

const SERVICES = '/v1/{project_id}/vpc-endpoint-services';

export interface ServerSettings {
  /** Per-endpoint flow limit, raised for the idle-connection phase. */
  maxConnections: number;
  /** Forwarding processes; absent: the default (one per core). */
  workers?: number;
  /** Endpoints per project, raised for the API storm's list. */
  endpointQuota: number;
}

/**
 * Writes the server's configuration (JSON is YAML) into `dir` and returns its
 * path: the tests' two accounts and networks, a fresh SQLite file, and
 * production defaults wherever the test defaults would distort a measurement.
 */
export function writeConfig(dir: string, settings: ServerSettings): string {
  const defaults = defaultConfig();
  const config = testConfig(`sqlite:${join(dir, 'vpcep.db')}`, {
    accountExtras: NETWORKS,
    overrides: {
      log_level: 'silent',
      // Default idle timeouts and worker count; only the per-endpoint flow limit is raised.
      dataplane: {
        ...defaults.dataplane,
        max_connections_per_endpoint: settings.maxConnections,
        ...(settings.workers === undefined ? {} : { workers: settings.workers }),
      },
      // The tests poll the job table every 20 ms; a production server polls every 200 ms. The
      // faster poll would be CPU the proxy process spends during every measurement.
      jobs: defaults.jobs,
      quotas: { ...defaults.quotas, endpoint: settings.endpointQuota },
    },
  });
  const file = join(dir, 'vpcep.json.yaml');
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

export interface Api {
  /** What the test helpers need of a TestServer: the two accounts, calling `url`. */
  server: TestServer;
  provider: Network;
  consumer: Network;
}

export async function connectApi(url: string): Promise<Api> {
  // The helpers only use `provider`/`consumer` (and `url`); the server runs in another process.
  const server = {
    url,
    provider: testAccount('provider', url),
    consumer: testAccount('consumer', url),
  } as TestServer;
  return {
    server,
    provider: await networkOf(server.provider, 'vpc-p'),
    consumer: await networkOf(server.consumer, 'vpc-c'),
  };
}

/** An interface service on the provider's backend NIC with tcp_proxy 'close' (no PROXY header), consumer whitelisted. */
export async function createTcpService(
  api: Api,
  ports: { client_port: number; server_port: number }[],
  approval: boolean,
): Promise<string> {
  const created = await api.server.provider.sdk({
    method: 'POST',
    url: SERVICES,
    data: {
      port_id: api.provider.backendPortId,
      vpc_id: api.provider.vpcId,
      approval_enabled: approval,
      service_type: 'interface',
      server_type: 'VM',
      // Plain TCP splicing: what haproxy's `mode tcp` does too, so the comparison is like for like.
      tcp_proxy: 'close',
      ports: ports.map((p) => ({ ...p, protocol: 'TCP' })),
    },
  });
  const id = String(created.id);
  await waitFor(
    () => api.server.provider.sdk({ method: 'GET', url: `${SERVICES}/${id}` }),
    (s) => s.status === 'available',
    30_000,
  );
  await whitelistDomain(api.server, id, api.server.consumer.domainId);
  return id;
}

/**
 * `count` endpoints of `serviceId` (an approval service: they stay pending, so
 * nothing listens for them) in the consumer's second subnet, addresses chosen
 * by the API: rows for the API storm to list.
 */
export async function createListedEndpoints(api: Api, serviceId: string, count: number): Promise<void> {
  const second = await networkOf(api.server.consumer, 'vpc-c2');
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      await createEndpoint(api.server.consumer, {
        endpoint_service_id: serviceId,
        vpc_id: second.vpcId,
        subnet_id: second.subnetId,
      });
    }
  };
  await Promise.all(Array.from({ length: 8 }, () => worker()));
}

/** An endpoint of `serviceId` at `ip` in the consumer subnet, once it has left `creating`. */
export async function createEndpointAt(
  api: Api,
  serviceId: string,
  ip: string,
): Promise<{ id: string; status: string }> {
  const created = await createEndpoint(api.server.consumer, {
    endpoint_service_id: serviceId,
    vpc_id: api.consumer.vpcId,
    subnet_id: api.consumer.subnetId,
    port_ip: ip,
  });
  const ep = await settled(api.server.consumer, String(created.id));
  return { id: String(ep.id), status: String(ep.status) };
}

/**
 * One connection attempt: 'ok' once connected (or, with `echo`, once a byte
 * sent came back), else the error code; the socket is closed either way.
 */
function probe(host: string, port: number, localAddress: string, echo: boolean, ms = 1000): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, localAddress });
    const done = (outcome: string): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => done('ETIMEDOUT'), ms);
    s.once('connect', () => (echo ? s.write('?') : done('ok')));
    s.once('data', () => done('ok'));
    s.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });
}

/** Resolves once host:port echoes a byte back (the path forwards end to end); throws after `ms`. */
export async function waitForwarding(
  host: string,
  port: number,
  localAddress: string,
  ms = 20_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  let last = '';
  while (Date.now() < deadline) {
    last = await probe(host, port, localAddress, true);
    if (last === 'ok') return;
    await sleep(50);
  }
  throw new Error(`${host}:${port} does not forward after ${ms / 1000} s (last: ${last})`);
}

export interface AcceptSample {
  ip: string;
  /** Duration of the receive call itself. */
  apiMs: number;
  /** From the API's answer to the first successful connect. */
  listenMs: number;
  /** Connection attempts until then (the first is made right after the answer). */
  attempts: number;
}

/**
 * Figure (e): for each address, an endpoint of the approval service waits in
 * pendingAcceptance (checked: nothing listens yet); the provider accepts it,
 * and from the moment the API answers we connect every millisecond until the
 * listener takes the connection. Attempts on loopback are refused at once, so
 * polling this fast costs little and resolves to about a millisecond.
 */
export async function acceptToListen(
  api: Api,
  serviceId: string,
  ips: readonly string[],
  port: number,
  clients: ClientAddresses,
): Promise<AcceptSample[]> {
  const samples: AcceptSample[] = [];
  for (const ip of ips) {
    const ep = await createEndpointAt(api, serviceId, ip);
    if (ep.status !== 'pendingAcceptance')
      throw new Error(`endpoint at ${ip} is ${ep.status}, not pendingAcceptance`);
    const early = await probe(ip, port, clients.next(), false);
    if (early !== 'ECONNREFUSED')
      throw new Error(`${ip}:${port} before the accept: ${early}, expected ECONNREFUSED`);
    const t0 = performance.now();
    await api.server.provider.sdk({
      method: 'POST',
      url: `${SERVICES}/${serviceId}/connections/action`,
      data: { action: 'receive', endpoints: [ep.id] },
    });
    const answered = performance.now();
    let attempts = 0;
    for (;;) {
      attempts += 1;
      const r = await probe(ip, port, clients.next(), false);
      if (r === 'ok') break;
      if (performance.now() - answered > 10_000)
        throw new Error(`${ip}:${port} not listening 10 s after the accept (${r})`);
      await sleep(1);
    }
    samples.push({ ip, apiMs: answered - t0, listenMs: performance.now() - answered, attempts });
  }
  return samples;
}
