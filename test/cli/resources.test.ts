// The resource commands the walkthrough does not run, through the built
// binary against one real server: every `update`, services rename/describe,
// permissions update/remove/delete, tags, endpoints set-policy/delete-policy,
// `-o yaml` read back, the default format on a terminal and off it, the
// `--wait` progress line on a terminal, and exit 3 for an endpoint that ends
// `failed`. Setup goes through the client module in this process (fast);
// what is tested goes through the binary. The CLI does not touch the store,
// so one store suffices (test/client covers both).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { VpcepClient, waitForEndpoint, waitForService } from '../../src/client/index.ts';
import { signedTransport } from '../../src/client/signed-transport.ts';
import type { Endpoint, EndpointService } from '../../src/client/types.ts';
import { BIN, cli, ensureBuilt, sdkEnv } from '../support/cli.ts';
import { startTestServer, type TestAccount, type TestServer } from '../support/server.ts';
import { waitUntil } from '../support/wait.ts';

type Json = Record<string, unknown>;

const FAST = { intervalMs: 20 };
const haveScript = spawnSync('script', ['--version']).status === 0;

describe('vpcep resource commands through the built binary', () => {
  let server: TestServer;
  let p: VpcepClient;
  let c: VpcepClient;
  let net: { vpc: string; subnet: string; port: string; cvpc: string; csubnet: string };
  let ips = 10;

  const clientOf = (a: TestAccount) =>
    new VpcepClient(signedTransport({ endpoint: server.url, ...a }), a.projectId);

  before(async () => {
    server = await startTestServer();
    p = clientOf(server.provider);
    c = clientOf(server.consumer);
    const vpc = await p.vpcs.create({ name: 'vpc-p', cidr: '127.41.0.0/16' });
    const subnet = await p.subnets.create({ vpc_id: vpc.id, name: 'sn-p', cidr: '127.41.0.0/24' });
    const port = await p.ports.create({ network_id: subnet.id, fixed_ips: [{ ip_address: '127.41.0.10' }] });
    const cvpc = await c.vpcs.create({ name: 'vpc-c', cidr: '127.51.0.0/16' });
    const csubnet = await c.subnets.create({ vpc_id: cvpc.id, name: 'sn-c', cidr: '127.51.0.0/24' });
    net = { vpc: vpc.id, subnet: subnet.id, port: port.id, cvpc: cvpc.id, csubnet: csubnet.id };
    ensureBuilt();
  });
  after(async () => {
    await server?.close();
  });

  const as = (account: TestAccount, args: string[], input?: string) =>
    cli(args, { built: true, env: sdkEnv(server.url, account), ...(input !== undefined ? { input } : {}) });
  /** Runs the command with `-o json` and answers the parsed output (undefined when there is none). */
  const json = async (account: TestAccount, args: string[], input?: string): Promise<unknown> => {
    const r = await as(account, [...args, '-o', 'json'], input);
    assert.equal(r.code, 0, `vpcep ${args.join(' ')}\n${r.stderr}`);
    return r.stdout === '' ? undefined : (JSON.parse(r.stdout) as unknown);
  };
  const one = async (account: TestAccount, args: string[], input?: string) =>
    (await json(account, args, input)) as Json;

  /** An available service on the backend port, with ports of its own (services on one port may not share them). */
  let clientPort = 20_000 + Math.floor(Math.random() * 40_000);
  async function service(approval: boolean): Promise<EndpointService> {
    const created = await p.services.create({
      port_id: net.port,
      vpc_id: net.vpc,
      server_type: 'VM',
      service_type: 'interface',
      approval_enabled: approval,
      ports: [{ client_port: clientPort, server_port: clientPort++, protocol: 'TCP' }],
    });
    const ready = await waitForService(p.services, created.id, 'available', FAST);
    assert.ok(ready);
    await p.permissions.add(created.id, [`iam:domain::${server.consumer.domainId}`]);
    return ready;
  }
  /** The consumer's endpoint to `svc`, settled (accepted, or waiting for the provider). */
  async function endpoint(svc: EndpointService): Promise<Endpoint> {
    const created = await c.endpoints.create({
      endpoint_service_id: svc.id,
      vpc_id: net.cvpc,
      subnet_id: net.csubnet,
      port_ip: `127.51.0.${ips++}`,
    });
    const settled = await waitForEndpoint(c.endpoints, created.id, 'settled', FAST);
    assert.ok(settled);
    return settled;
  }

  test('every update command changes what it names', async () => {
    const svc = await service(true);
    const ep = await endpoint(svc);
    const pv = server.provider;
    const [vpc, subnet, updated, whitelisted] = await Promise.all([
      one(pv, ['vpcs', 'update', net.vpc, '--name', 'vpc-renamed', '--description', 'the provider']),
      one(pv, ['subnets', 'update', net.subnet, '--name', 'sn-renamed', '--no-dhcp']),
      one(pv, [
        'services',
        'update',
        svc.id,
        '--no-approval',
        '--port',
        `${clientPort++}:8081/udp`,
        '--description',
        'changed',
      ]),
      one(server.consumer, ['endpoints', 'update', ep.id, '--whitelist', '127.51.0.0/24', '127.51.0.99']),
    ]);
    assert.deepEqual([vpc.name, vpc.description, vpc.cidr], ['vpc-renamed', 'the provider', '127.41.0.0/16']);
    // The VPC API answers a subnet update with its id and status only, as the cloud does.
    assert.deepEqual(subnet, { id: net.subnet, status: 'ACTIVE' });
    const readBack = await p.subnets.get(net.subnet);
    assert.deepEqual([readBack.name, readBack.dhcp_enable], ['sn-renamed', false]);
    assert.equal(updated.approval_enabled, false);
    assert.equal(updated.description, 'changed');
    assert.deepEqual(
      (updated.ports as Json[]).map((m) => [m.server_port, m.protocol]),
      [[8081, 'UDP']],
    );
    assert.deepEqual(whitelisted.whitelist, ['127.51.0.0/24', '127.51.0.99']);
    assert.equal(whitelisted.enable_whitelist, true);

    // The server read back agrees with what the commands printed.
    assert.equal((await p.services.get(svc.id)).description, 'changed');
    assert.equal((await p.vpcs.get(net.vpc)).name, 'vpc-renamed');

    const [off, nothing, bad] = await Promise.all([
      one(server.consumer, ['endpoints', 'update', ep.id, '--disable-whitelist']),
      as(server.consumer, ['endpoints', 'update', ep.id]),
      as(pv, ['vpcs', 'update', net.vpc, '--cidr', '127.41.0.0/24x']),
    ]);
    assert.equal(off.enable_whitelist, false);
    assert.deepEqual(off.whitelist, ['127.51.0.0/24', '127.51.0.99'], 'the list is kept');
    assert.equal(nothing.code, 2, 'nothing to change is a usage error');
    assert.equal(bad.code, 1, bad.stderr);
    assert.match(bad.stderr, /^vpcep: VPC\.\d{4}: .*\(HTTP 400, request [0-9a-f]+\)\n$/);
  });

  test('services rename and describe; -o yaml reads back as the same data', async () => {
    const svc = await service(false);
    const [renamed, list, neither] = await Promise.all([
      one(server.provider, ['services', 'rename', svc.id, 'web']),
      as(server.provider, ['vpcs', 'list', '-o', 'yaml']),
      as(server.consumer, ['services', 'describe']),
    ]);
    const fullName = `tr-west-1.web.${svc.id}`;
    assert.deepEqual(renamed, { endpoint_service_name: fullName });
    assert.equal(neither.code, 2, 'neither --id nor --name');

    // Any tenant may describe a service it knows the name of.
    const [r, asJson] = await Promise.all([
      as(server.consumer, ['services', 'describe', '--name', fullName, '-o', 'yaml']),
      one(server.consumer, ['services', 'describe', '--id', svc.id]),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const described = parseYaml(r.stdout) as Json;
    assert.equal(described.id, svc.id);
    assert.equal(described.service_name, fullName);
    assert.deepEqual(described, asJson, 'YAML and JSON carry the same answer');

    assert.equal(list.code, 0, list.stderr);
    const vpcs = parseYaml(list.stdout) as Json[];
    assert.ok(Array.isArray(vpcs));
    assert.deepEqual(
      vpcs.map((v) => v.id),
      [net.vpc],
    );
  });

  test('permissions add, update, remove and delete', async () => {
    const svc = await service(true);
    const [a, b] = [
      'iam:domain::0123456789abcdef0123456789abcdef',
      'iam:domain::fedcba9876543210fedcba9876543210',
    ];
    const pv = server.provider;
    assert.deepEqual(await one(pv, ['permissions', 'add', svc.id, a, b]), { permissions: [a, b] });
    const records = () => json(pv, ['permissions', 'list', svc.id]) as Promise<Json[]>;
    const byText = new Map((await records()).map((r) => [r.permission, String(r.id)]));
    assert.equal(byText.size, 3, 'the consumer, a and b');

    const [noted, deleted, badType] = await Promise.all([
      one(pv, ['permissions', 'update', svc.id, byText.get(a)!, '--description', 'team a']),
      json(pv, ['permissions', 'delete', svc.id, byText.get(b)!]) as Promise<Json[]>,
      as(pv, ['permissions', 'remove', svc.id, a, '--type', 'domain']),
    ]);
    assert.equal(noted.description, 'team a');
    assert.deepEqual(
      deleted.map((r) => r.permission),
      [b],
    );
    assert.deepEqual(await one(pv, ['permissions', 'remove', svc.id, a]), { permissions: [a] });
    assert.deepEqual(
      (await records()).map((r) => r.permission),
      [`iam:domain::${server.consumer.domainId}`],
    );
    assert.equal(badType.code, 2);
    assert.match(badType.stderr, /invalid --type 'domain': domainId or orgPath/);
  });

  test('tags add, list, filter and remove', async () => {
    const svc = await service(false);
    const ep = await endpoint(svc);
    const pv = server.provider;
    const [added, addedToEndpoint] = await Promise.all([
      as(pv, ['tags', 'add', 'services', svc.id, 'env=prod', 'team=a']),
      as(server.consumer, ['tags', 'add', 'endpoints', ep.id, 'tier=web']),
    ]);
    assert.equal(added.code, 0, added.stderr);
    assert.equal(added.stdout, '');
    assert.equal(addedToEndpoint.code, 0, addedToEndpoint.stderr);

    const [listed, found, counted] = await Promise.all([
      json(pv, ['tags', 'list', 'services']),
      json(pv, ['tags', 'filter', 'services', '--tag', 'env=prod']),
      one(server.consumer, ['tags', 'filter', 'endpoints', '--tag', 'tier=web', '--count']),
    ]);
    const keys = listed as { key: string; values: string[] }[];
    assert.deepEqual(
      keys.sort((x, y) => x.key.localeCompare(y.key)),
      [
        { key: 'env', values: ['prod'] },
        { key: 'team', values: ['a'] },
      ],
    );
    assert.deepEqual(
      (found as Json[]).map((r) => r.resource_id),
      [svc.id],
    );
    assert.deepEqual(counted, { total_count: 1 });

    // Text a tenant chose goes to the API, which judges it with its own codes; nothing is added.
    const [removed, hostile, noKey] = await Promise.all([
      as(pv, ['tags', 'remove', 'services', svc.id, 'team']),
      as(pv, ['tags', 'add', 'services', svc.id, `${'k'.repeat(200)}=v`]),
      as(pv, ['tags', 'add', 'services', svc.id, '=v']),
    ]);
    assert.equal(removed.code, 0, 'a key alone');
    assert.equal(hostile.code, 1, hostile.stderr);
    assert.match(hostile.stderr, /EndPoint\.\d{4}.*HTTP 400/);
    assert.equal(noKey.code, 2);
    assert.deepEqual(await json(pv, ['tags', 'list', 'services']), [{ key: 'env', values: ['prod'] }]);
  });

  test('endpoints set-policy (inline or from stdin) and delete-policy', async () => {
    const ep = await endpoint(await service(false));
    const cs = server.consumer;
    const statement = [{ Effect: 'Allow', Action: ['*'], Resource: ['*'] }];
    // The two refusals change nothing, so they run beside the first call.
    const [set, broken, refused] = await Promise.all([
      one(cs, ['endpoints', 'set-policy', ep.id, '--statement', JSON.stringify(statement)]),
      as(cs, ['endpoints', 'set-policy', ep.id, '--statement', '[{']),
      as(cs, ['endpoints', 'set-policy', ep.id, '--statement', '[{"Effect":"Maybe"}]']),
    ]);
    assert.deepEqual(set.policy_statement, statement);
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /--statement is not valid JSON/);
    assert.equal(refused.code, 1, 'the API judges the policy');
    assert.match(refused.stderr, /EndPoint\.\d{4}.*HTTP 400/);
    const document = { Version: '5.0', Statement: [{ Effect: 'Deny', Action: ['obs:*'] }] };
    const fromStdin = await one(
      cs,
      ['endpoints', 'set-policy', ep.id, '--document', '@-'],
      JSON.stringify(document),
    );
    assert.deepEqual(fromStdin.policy_document, document);
    const cleared = await one(cs, ['endpoints', 'delete-policy', ep.id]);
    assert.deepEqual(cleared.policy_statement, []);
    assert.equal(cleared.policy_document, undefined);
  });

  test('the default output: a table on a terminal, JSON through a pipe', { skip: !haveScript }, async () => {
    const piped = await as(server.provider, ['quotas', 'list', '--type', 'services']);
    assert.equal(piped.code, 0, piped.stderr);
    const quotas = JSON.parse(piped.stdout) as Json[];
    assert.equal(quotas[0]?.type, 'endpoint_service');

    const run = onTerminal(server.provider, ['quotas', 'list', '--type', 'services']);
    const tty = await run.done.finally(run.stop);
    assert.equal(tty.code, 0, tty.text);
    const lines = tty.text.replaceAll('\r', '').trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^TYPE +USED +QUOTA$/);
    assert.match(lines[1] ?? '', new RegExp(`^endpoint_service +${String(quotas[0]?.used)} +20$`));
    assert.ok(!tty.text.includes('{'), 'no JSON on a terminal');
  });

  test(
    '--wait on a terminal shows a progress line and clears it before the answer',
    { skip: !haveScript },
    async () => {
      const svc = await service(true);
      const ep = await endpoint(svc);
      assert.equal(ep.status, 'pendingAcceptance');
      const waiting = onTerminal(server.consumer, [
        'endpoints',
        'wait',
        ep.id,
        '--until',
        'accepted',
        '-o',
        'json',
      ]);
      let done: { code: number | null; text: string };
      try {
        // The provider decides once the waiter has shown that it waits.
        await waitUntil(
          waiting.output,
          (t) => /: pendingAcceptance \(\d+ s\)/.test(t),
          'the progress line',
          20_000,
          50,
        );
        await p.connections.accept(svc.id, ep.id);
        done = await waiting.done;
      } finally {
        waiting.stop();
      }
      assert.equal(done.code, 0, done.text);
      const label = `endpoint ${ep.id}`;
      assert.ok(done.text.includes(`\r\x1b[K${label}: pendingAcceptance (`), JSON.stringify(done.text));
      // The last progress line is erased before the answer is printed.
      const answer = done.text.lastIndexOf('{');
      assert.ok(done.text.slice(0, answer).endsWith('\r\x1b[K'), JSON.stringify(done.text));
      assert.equal((JSON.parse(done.text.slice(answer).replaceAll('\r', '')) as Json).status, 'accepted');

      // Off a terminal, no progress line at all.
      const quiet = await as(server.consumer, ['endpoints', 'wait', ep.id, '--until', 'accepted']);
      assert.equal(quiet.code, 0);
      assert.equal(quiet.stderr, '');
    },
  );

  test('a waited-for endpoint that ends failed exits 3 with the reason', async () => {
    const svc = await service(true);
    const ep = await endpoint(svc);
    assert.equal(ep.status, 'pendingAcceptance');
    // Deleting the service fails the endpoints it leaves behind (those not yet accepted).
    const deleted = await as(server.provider, ['services', 'delete', svc.id, '--wait']);
    assert.equal(deleted.code, 0, deleted.stderr);
    const r = await as(server.consumer, ['endpoints', 'wait', ep.id, '--until', 'accepted']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `^vpcep: endpoint ${ep.id} is failed \\(EndPoint\\.2004: The endpoint service has been deleted\\.\\): it will not be accepted\\n$`,
      ),
    );
    assert.equal(r.stdout, '');
  });

  /**
   * Runs a command on a pseudo-terminal (script(1)); stdout and stderr both reach it, so `text`
   * holds both as a terminal would show them. `output` reads what came so far; `stop` ends the
   * command (its own process group) if it still runs, for a test that failed before it ended.
   */
  function onTerminal(account: TestAccount, args: string[]) {
    const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(' ');
    const child = spawn('script', ['-qefc', `exec ${quoted}`, '/dev/null'], {
      env: { ...process.env, ...sdkEnv(server.url, account), VPCEP_HOME: '', NO_COLOR: '1' },
      detached: true,
      // stdin stays open: script(1) ends when its input does.
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    const stop = () => {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    };
    const timer = setTimeout(stop, 60_000);
    const done = new Promise<{ code: number | null; text: string }>((resolve) =>
      child.on('close', (code) => {
        clearTimeout(timer);
        child.stdin.destroy();
        resolve({ code, text });
      }),
    );
    return { done, output: () => text, stop };
  }
});
