// Failures of the client commands, each with its message and exit status:
// API errors (1) carry the code, message and request id; a bad command line,
// profile or input file (2) sends nothing; a waited-for endpoint that is
// rejected (3) or not accepted in time (4). Plus `vpcep api`. The CLI does
// not touch the store, so one store suffices here; test/client covers both.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { VpcepClient, waitForEndpoint, waitForService } from '../../src/client/index.ts';
import { signedTransport } from '../../src/client/signed-transport.ts';
import { cli, sdkEnv } from '../support/cli.ts';
import { startTestServer, type TestAccount, type TestServer } from '../support/server.ts';

function clientOf(server: TestServer, a: TestAccount): VpcepClient {
  return new VpcepClient(signedTransport({ endpoint: server.url, ...a }), a.projectId);
}

describe('vpcep client commands: errors and exit statuses', () => {
  let server: TestServer;
  let home: string;
  before(async () => {
    server = await startTestServer();
    home = mkdtempSync(join(tmpdir(), 'vpcep-cli-home-'));
  });
  after(async () => {
    rmSync(home, { recursive: true, force: true });
    await server.close();
  });

  const as = (account: TestAccount, args: string[], extra: NodeJS.ProcessEnv = {}, input?: string) =>
    cli(args, {
      built: true,
      env: { ...sdkEnv(server.url, account), VPCEP_HOME: home, ...extra },
      ...(input !== undefined ? { input } : {}),
    });

  test('an API error exits 1 with the code, the message and the request id; nothing on stdout', async () => {
    const r = await as(server.provider, ['vpcs', 'get', 'no-such-vpc']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(
      r.stderr,
      /^vpcep: VPC\.0005: The VPC no-such-vpc does not exist\. \(HTTP 404, request [0-9a-f]+\)\n$/,
    );

    const other = await as(server.consumer, ['services', 'delete', 'x'.repeat(100)]);
    assert.equal(other.code, 1);
    assert.match(other.stderr, /EndPoint\.0005/);

    const wrongKey = await as(server.provider, ['quotas', 'list'], { HUAWEICLOUD_SDK_SK: 'y'.repeat(40) });
    assert.equal(wrongKey.code, 1);
    assert.match(wrongKey.stderr, /EndPoint\.0003.*HTTP 401/);
    assert.doesNotMatch(wrongKey.stderr, /y{40}/, 'the secret is never echoed');
  });

  test('a bad command line exits 2 and sends nothing', async () => {
    // Parsers are tested one by one in input-output.test.ts; here, that each path exits 2.
    const cases: [string[], RegExp][] = [
      [['vpcs', 'frobnicate'], /unknown command/],
      [['vpcs', 'create'], /--cidr/],
      [['vpcs', 'get', '..'], /invalid id/],
      [['vpcs', 'list', '-o', 'xml'], /invalid output format/],
      [['services', 'create', '--port-id', 'p', '--vpc-id', 'v', '--port', '1:2:3'], /invalid --port/],
      [['api', 'GET', '//evil.example/x'], /invalid path/],
      // At the top level too, before any command is known.
      [[], /Usage: vpcep/],
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['--bogus', 'vpcs', 'list'], /unknown option '--bogus'/],
      [['--profile'], /argument missing/],
      [['-o', 'json', 'serve'], /option '--output' does not apply to 'vpcep serve'/],
      [['--endpoint', 'http://127.0.0.1:9', 'completion', 'bash'], /'--endpoint' does not apply/],
      [['serve', '--bogus'], /unknown option '--bogus'/],
    ];
    // Every case runs against a port nothing listens on: a request sent by mistake would fail differently.
    for (const [args, message] of cases) {
      const r = await as(server.provider, args, { VPCEP_ENDPOINT: 'http://127.0.0.1:9' });
      assert.equal(r.code, 2, `vpcep ${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
    }
  });

  test('without credentials the command says how to get them; control characters in them are refused', async () => {
    const none = await cli(['vpcs', 'list'], { built: true, env: { VPCEP_HOME: home } });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no credentials.*--profile.*HUAWEICLOUD_SDK_AK.*vpcep env/s);
    const broken = await as(server.provider, ['vpcs', 'list'], { HUAWEICLOUD_SDK_AK: 'AK\r\nX-Injected: 1' });
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /access key is missing or holds spaces or control characters/);
  });

  test('an unreachable endpoint exits 1 naming it', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const r = await as(server.provider, ['vpcs', 'list', '--endpoint', `http://127.0.0.1:${port}`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`cannot reach http://127\\.0\\.0\\.1:${port}: ECONNREFUSED`));
  });

  test('--wait exits 3 when the endpoint is rejected and 4 when time runs out', async () => {
    // The setup goes through the client module (in process); the waits through the binary.
    const p = clientOf(server, server.provider);
    const c = clientOf(server, server.consumer);
    const vpc = await p.vpcs.create({ cidr: '127.23.0.0/16' });
    const sub = await p.subnets.create({ vpc_id: vpc.id, name: 's', cidr: '127.23.0.0/24' });
    const port = await p.ports.create({ network_id: sub.id, fixed_ips: [{ ip_address: '127.23.0.10' }] });
    const svc = await p.services.create({
      port_id: port.id,
      vpc_id: vpc.id,
      server_type: 'VM',
      approval_enabled: true,
      ports: [{ client_port: 80, server_port: 80, protocol: 'TCP' }],
    });
    await waitForService(p.services, svc.id, 'available', { intervalMs: 20 });
    await p.permissions.add(svc.id, [`iam:domain::${server.consumer.domainId}`]);
    const cvpc = await c.vpcs.create({ cidr: '127.33.0.0/16' });
    const csub = await c.subnets.create({ vpc_id: cvpc.id, name: 's', cidr: '127.33.0.0/24' });
    const ep = await c.endpoints.create({ endpoint_service_id: svc.id, vpc_id: cvpc.id, subnet_id: csub.id });
    await waitForEndpoint(c.endpoints, ep.id, 'settled', { intervalMs: 20 });

    const late = await as(server.consumer, [
      'endpoints',
      'wait',
      ep.id,
      '--until',
      'accepted',
      '--wait-timeout',
      '1',
    ]);
    assert.equal(late.code, 4, late.stderr);
    assert.match(late.stderr, /is still pendingAcceptance after \d+ s/);

    const rejected = await as(server.provider, [
      'connections',
      'reject',
      svc.id,
      ep.id,
      'no-such-endpoint',
      '-o',
      'json',
    ]);
    assert.equal(rejected.code, 1, 'one of the two failed');
    assert.equal(
      (JSON.parse(rejected.stdout) as { status: string }[])[0]?.status,
      'rejected',
      'the other was done',
    );
    assert.match(rejected.stderr, /EndPoint\.\d{4}/);
    const refused = await as(server.consumer, ['endpoints', 'wait', ep.id, '--until', 'accepted']);
    assert.equal(refused.code, 3);
    assert.match(refused.stderr, /is rejected: it will not be accepted/);
  });

  test('vpcep api: any signed call; the body printed; an error exits 1 with its code', async () => {
    const p = server.provider;
    const quotas = await as(p, ['api', 'GET', '/v1/{project_id}/quotas?type=endpoint']);
    assert.equal(quotas.code, 0, quotas.stderr);
    assert.deepEqual(JSON.parse(quotas.stdout), {
      quotas: { resources: [{ type: 'endpoint', used: 0, quota: 50 }] },
    });

    const file = join(home, 'vpc.json');
    writeFileSync(file, JSON.stringify({ vpc: { name: 'from-file', cidr: '127.24.0.0/16' } }));
    const created = await as(p, ['api', 'POST', '/v1/{project_id}/vpcs', '-d', `@${file}`]);
    assert.equal(created.code, 0, created.stderr);
    const id = (JSON.parse(created.stdout) as { vpc: { id: string; name: string } }).vpc.id;
    const fromStdin = await as(
      p,
      ['api', 'PUT', `/v1/{project_id}/vpcs/${id}`, '-d', '@-'],
      {},
      '{"vpc":{"name":"renamed"}}',
    );
    assert.equal((JSON.parse(fromStdin.stdout) as { vpc: { name: string } }).vpc.name, 'renamed');
    const removed = await as(p, ['api', 'DELETE', `/v1/{project_id}/vpcs/${id}`]);
    assert.equal(removed.code, 0);
    assert.equal(removed.stdout, '', 'a 204 prints nothing');

    const broken = await as(p, ['api', 'POST', '/v1/{project_id}/vpcs', '-d', '{"vpc": ']);
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /EndPoint\.0002.*HTTP 400/);
    const metrics = await as(p, ['api', 'GET', '/metrics']);
    assert.equal(metrics.code, 0);
    assert.match(metrics.stdout, /^# HELP /m, 'a text answer keeps its lines');
  });

  test('profiles: configure writes 0600 with the secret from stdin; a readable file is refused', async () => {
    const p = server.provider;
    const configure = await cli(
      ['configure', '--profile', 'prov', '--endpoint', server.url, '--ak', p.ak, '--project-id', p.projectId],
      { built: true, env: { VPCEP_HOME: home }, input: `${p.sk}\n` },
    );
    assert.equal(configure.code, 0, configure.stderr);
    const file = join(home, 'profiles', 'prov.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const used = await cli(['quotas', 'list', '--profile', 'prov', '-o', 'json'], {
      built: true,
      env: { VPCEP_HOME: home },
    });
    assert.equal(used.code, 0, used.stderr);

    // The environment loses to an explicit profile.
    const both = await as(server.consumer, ['api', 'GET', '/v3/auth/domains', '--profile', 'prov']);
    assert.match(both.stdout, /"name": "provider"/);
    // The client options may come before the command; given after it too, the command's win.
    const before = await as(server.consumer, [
      '--profile',
      'prov',
      '-o',
      'yaml',
      'api',
      'GET',
      '/v3/auth/domains',
      '-o',
      'json',
    ]);
    assert.equal(before.code, 0, before.stderr);
    assert.equal((JSON.parse(before.stdout) as { domains: { name: string }[] }).domains[0]?.name, 'provider');
    // A default of the command (configure's profile `default`) gives way to a value given before it.
    const second = await cli(
      [
        '--profile',
        'second',
        'configure',
        '--endpoint',
        server.url,
        '--ak',
        p.ak,
        '--project-id',
        p.projectId,
      ],
      { built: true, env: { VPCEP_HOME: home }, input: `${p.sk}\n` },
    );
    assert.equal(second.code, 0, second.stderr);
    assert.equal(statSync(join(home, 'profiles', 'second.json')).mode & 0o777, 0o600);

    chmodSync(file, 0o644);
    const loose = await cli(['vpcs', 'list', '--profile', 'prov'], {
      built: true,
      env: { VPCEP_HOME: home },
    });
    assert.equal(loose.code, 2);
    assert.match(loose.stderr, /readable by others.*chmod 600/);
    const missing = await cli(['vpcs', 'list', '--profile', 'nope'], {
      built: true,
      env: { VPCEP_HOME: home },
    });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /vpcep configure --profile nope/);
  });

  test('completion scripts come out for bash and zsh', async () => {
    const bash = await cli(['completion', 'bash'], { built: true });
    assert.equal(bash.code, 0);
    assert.match(bash.stdout, /^complete -F _vpcep vpcep$/m);
    const zsh = await cli(['completion', 'zsh'], { built: true });
    assert.match(zsh.stdout, /bashcompinit/);
  });
});
