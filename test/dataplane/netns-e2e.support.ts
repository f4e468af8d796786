// The namespaces-mode end-to-end scenario, run once per store by
// namespaces.test.ts (SQLite) and namespaces-postgres.test.ts: two files, so each
// stays within the test runner's per-file budget. Root only; VPCEP_REQUIRE_NETNS=1
// makes a missing prerequisite a failure, as in CI.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { defaultConfig } from '../../src/config/defaults.ts';
import type { Kernel } from '../../src/dataplane/netns/kernel.ts';
import { NetnsNames } from '../../src/dataplane/netns/names.ts';
import { removeAll } from '../../src/dataplane/netns/cleanup.ts';
import { namespacesKernel } from '../../src/dataplane/netns/requirements.ts';
import { containsAddress, mustParseCidr, parseIpv4 } from '../../src/vpc/cidr.ts';
import { runCli } from '../support/cli.ts';
import { freshDatabase, type TestDialect } from '../support/db.ts';
import { testAccount, testConfig } from '../support/server.ts';
import { waitUntil } from '../support/wait.ts';
import { SAME_CIDRS, sameCidrBed } from './netns.support.ts';
import { createEndpoint, createService, settled, whitelistDomain } from '../vpcep/endpoints.support.ts';

const TSX = import.meta.resolve('tsx');
const FIXTURES = resolve(import.meta.dirname, 'fixtures');
const VPCEP_RANGE = mustParseCidr('198.19.128.0/17');
const ENDPOINT_IP = '10.0.0.50';

function prerequisite(): string | undefined {
  try {
    namespacesKernel();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

export const missing = prerequisite();
export const required = process.env.VPCEP_REQUIRE_NETNS === '1';

interface Probe {
  ok: boolean;
  code?: string;
  address?: string;
  line?: { peer: string; proxySource: { address: string; port: number } | null; marker: number | null };
}

function inVpcepRange(ip: string): boolean {
  const n = parseIpv4(ip.replace(/^::ffff:/, ''));
  return n !== undefined && containsAddress(VPCEP_RANGE, n);
}

/** Whether namespaces-mode tests skip here (and why), or must run. */
export const skipUnlessNetns: string | false = !required && missing !== undefined ? missing : false;

/**
 * Provider and consumer VPCs with the same CIDR and port address; the backend and the
 * client run as instances with `vpcep exec`; the endpoint is the only way between them.
 */
export async function sameCidrScenario(dialect: TestDialect, t: TestContext): Promise<void> {
  const names = new NetnsNames(`vt${process.pid % 100_000}${dialect === 'sqlite' ? 's' : 'p'}`);
  const kernel: Kernel = namespacesKernel();
  const ours = () =>
    kernel
      .namespaces()
      .filter((ns) => names.owns(ns))
      .sort();
  const resolverDirs = () =>
    (existsSync('/etc/netns') ? readdirSync('/etc/netns') : []).filter((d) => names.owns(d));
  const db = await freshDatabase(dialect);
  const dir = mkdtempSync(join(tmpdir(), 'vpcep-netns-'));
  const configFile = join(dir, 'vpcep.json.yaml');
  writeFileSync(
    configFile,
    JSON.stringify(
      testConfig(db.url, {
        accountExtras: SAME_CIDRS,
        overrides: {
          dataplane: {
            ...defaultConfig().dataplane,
            network: 'namespaces',
            namespace_prefix: names.prefix,
            workers: 1,
            resync_ms: 500,
          },
        },
      }),
    ),
  );
  const children: ReturnType<typeof runCli>[] = [];
  const serve = () => {
    const run = runCli(['serve', '--config', configFile]);
    children.push(run);
    return run;
  };
  const ready = async (run: ReturnType<typeof runCli>) => {
    const out = await waitUntil(
      () => (run.child.exitCode !== null ? 'exited: ' + run.errors() : run.output()),
      (o) => /listening on http:\/\/\S+/.test(o) || o.startsWith('exited'),
      'the server to start',
      60_000,
      50,
    );
    assert.match(out, /listening on/, out);
    return /listening on (http:\/\/\S+)/.exec(out)?.[1] ?? '';
  };
  const exec = (portId: string, fixture: string, args: string[] = []) => {
    // The client is plain JavaScript: no loader to start each of the several times it runs.
    const loader = fixture.endsWith('.ts') ? ['--import', TSX] : [];
    const run = runCli([
      'exec',
      ...['--port', portId, '--config', configFile, '--'],
      ...[process.execPath, ...loader, join(FIXTURES, fixture), ...args],
    ]);
    children.push(run);
    return run;
  };
  const probe = async (portId: string, probes: object[]): Promise<Probe[]> => {
    const run = exec(portId, 'netns-client.mjs', [JSON.stringify(probes)]);
    const code = await run.exited;
    assert.equal(code, 0, run.errors());
    return run
      .output()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Probe);
  };
  try {
    let server = serve();
    const url = await ready(server);
    const { bed, netP, netC } = await sameCidrBed(url);
    const backendPort = netP.backendPortId ?? '';
    const clientPort = netC.backendPortId ?? '';
    const ports = (await bed.consumer.sdk({ method: 'GET', url: '/v1/{project_id}/ports' })).ports as {
      id: string;
      fixed_ips: { ip_address: string }[];
    }[];
    const outsiderPort = ports.find((p) => p.fixed_ips[0]?.ip_address === '10.0.0.11')?.id ?? '';
    assert.ok(backendPort && clientPort && outsiderPort);
    // One namespace per VPC, per instance port, and the data plane's.
    const expected = [
      names.dataplane,
      names.vpc(netP.vpcId),
      names.vpc(netC.vpcId),
      names.port(backendPort),
      names.port(clientPort),
      names.port(outsiderPort),
    ].sort();
    await waitUntil(ours, (ns) => ns.join() === expected.join(), 'the namespaces', 20_000, 50);
    // Backends are dialled from named source ports, whose TIME_WAIT predecessors must be reusable.
    assert.equal(
      (await kernel.exec(names.dataplane, ['cat', '/proc/sys/net/ipv4/tcp_tw_reuse'])).trim(),
      '1',
    );

    const backend = exec(backendPort, 'netns-backend.ts');
    await waitUntil(backend.output, (o) => o.includes('backend listening'), 'the backend', 30_000, 50);

    const svc = await createService(bed, netP, {
      ports: [{ client_port: 8080, server_port: 80, protocol: 'TCP' }],
      tcpProxy: 'proxy_open',
    });
    await whitelistDomain(bed, svc.id, bed.consumer.domainId);
    const created = await createEndpoint(bed.consumer, {
      endpoint_service_id: svc.id,
      vpc_id: netC.vpcId,
      subnet_id: netC.subnetId,
      port_ip: ENDPOINT_IP,
      enable_dns: true,
      enable_whitelist: true,
      whitelist: ['10.0.0.10'],
    });
    const ep = await settled(bed.consumer, String(created.id));
    assert.equal(ep.status, 'accepted');
    const name = (ep.dns_names as string[])[0] ?? '';
    const target = `${ENDPOINT_IP}:8080`;

    // The client: its own 10.0.0.10 (the backend's address too) answers nothing, the host and
    // the provider's transit address are out of reach, the endpoint carries it to the backend.
    const [through, own, host, resolved] = await probe(clientPort, [
      { tcp: target, until: 20_000 },
      { tcp: '10.0.0.10:80' },
      { tcp: `${netC.gatewayIp}:22` },
      { resolve: name },
    ]);
    assert.equal(own?.ok, false);
    assert.equal(own?.code, 'ECONNREFUSED');
    assert.equal(host?.ok, false);
    const line = through?.line;
    assert.ok(line, JSON.stringify(through));
    assert.ok(inVpcepRange(line.peer), `the backend sees ${line.peer}`);
    assert.equal(line.proxySource?.address, '10.0.0.10');
    assert.equal(line.marker, Number(ep.marker_id));
    assert.deepEqual(resolved, { ok: true, address: ENDPOINT_IP });
    t.diagnostic(`backend peer ${line.peer}, PROXY source ${JSON.stringify(line.proxySource)}`);

    // A source outside the endpoint's whitelist is refused.
    const [outsider] = await probe(outsiderPort, [{ tcp: target }]);
    assert.equal(outsider?.ok, false);
    assert.equal(outsider?.line, undefined);

    // kill -9 and a restart: forwarding comes back (the backend kept running in its
    // namespace), and a stale namespace of ours is removed.
    server.child.kill('SIGKILL');
    await server.exited;
    const stale = `${names.prefix}-v-0000000000`;
    await kernel.addNamespace(stale);
    mkdirSync(join('/etc/netns', stale), { recursive: true });
    server = serve();
    const url2 = await ready(server);
    const provider = testAccount('provider', url2);
    const [again] = await probe(clientPort, [{ tcp: target, until: 30_000 }]);
    assert.equal(again?.line?.proxySource?.address, '10.0.0.10', JSON.stringify(again));
    await waitUntil(ours, (ns) => ns.join() === expected.join(), 'no stale namespace', 20_000, 50);
    assert.ok(!resolverDirs().includes(stale));
    assert.equal(backend.child.exitCode, null, 'the backend instance survived the restart');

    // Reject cuts an open connection.
    const held = exec(clientPort, 'netns-client.mjs', [JSON.stringify([{ hold: target }])]);
    await waitUntil(held.output, (o) => o.includes('"ok":true'), 'a held connection', 30_000, 50);
    await provider.sdk({
      method: 'POST',
      url: `/v1/{project_id}/vpc-endpoint-services/${svc.id}/connections/action`,
      data: { action: 'reject', endpoints: [String(created.id)] },
    });
    await waitUntil(
      () => held.child.exitCode,
      (c) => c !== null,
      'the held connection to be cut',
      15_000,
    );
    const cut = JSON.parse(held.output().trim().split('\n').at(-1) ?? '{}') as Probe;
    assert.equal(cut.ok, false);
    assert.notEqual(cut.code, 'TIMEOUT');
    const [afterReject] = await probe(clientPort, [{ tcp: target }]);
    assert.equal(afterReject?.ok, false);

    // A clean stop leaves nothing behind.
    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0);
    assert.deepEqual(ours(), []);
    assert.deepEqual(resolverDirs(), []);
  } finally {
    for (const c of children) c.child.kill('SIGKILL');
    for (const c of children) await c.exited;
    await removeAll(kernel, names);
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}
