// The main walkthrough with the built `vpcep` binary (bin/vpcep.js over dist/),
// two accounts each using the SDK's environment variables: network, service
// with approval, whitelist, endpoint, accept, traffic through the endpoint,
// delete, every asynchronous step with --wait and every answer read as JSON.
// One suite per store, each in a file of its own (walkthrough.test.ts,
// walkthrough-postgres.test.ts): a file must end within the runner's timeout.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { cli, sdkEnv } from '../support/cli.ts';
import type { TestDialect } from '../support/db.ts';
import { rawRequest } from '../support/http.ts';
import { reachable } from '../support/reachable.ts';
import { startTestServer, type TestAccount, type TestServer } from '../support/server.ts';

type Json = Record<string, unknown>;

const BACKEND_IP = '127.20.0.10';
const ENDPOINT_IP = '127.30.0.5';
const CLIENT_IP = '127.30.0.7';

export function describeWalkthrough(dialect: TestDialect): void {
  describe(`vpcep client commands, the walkthrough (${dialect})`, () => {
    let server: TestServer;
    let backend: Server;
    let backendPort: number;
    before(async () => {
      server = await startTestServer({ dialect });
      backend = createServer((_, res) => res.end('hello from the backend'));
      await new Promise<void>((r) => backend.listen(0, BACKEND_IP, r));
      backendPort = (backend.address() as AddressInfo).port;
    });
    after(async () => {
      backend.closeAllConnections();
      await new Promise<void>((r) => backend.close(() => r()));
      await server.close();
    });

    const run = async (account: TestAccount, args: string[]) => {
      const r = await cli([...args, '-o', 'json'], { built: true, env: sdkEnv(server.url, account) });
      assert.equal(r.code, 0, `vpcep ${args.join(' ')}\n${r.stderr}`);
      return r.stdout === '' ? undefined : (JSON.parse(r.stdout) as unknown);
    };
    const one = async (account: TestAccount, args: string[]) => (await run(account, args)) as Json;

    test('network → service → whitelist → endpoint → accept → traffic → delete', async () => {
      const p = server.provider;
      const c = server.consumer;
      // A client port few other processes use, so that parallel test runs do not collide.
      const clientPort = 20_000 + Math.floor(Math.random() * 40_000);

      const pvpc = await one(p, ['vpcs', 'create', '--name', 'vpc-p', '--cidr', '127.20.0.0/16']);
      const psub = await one(p, [
        'subnets',
        'create',
        '--vpc-id',
        String(pvpc.id),
        '--name',
        'sn-p',
        '--cidr',
        '127.20.0.0/24',
      ]);
      const port = await one(p, [
        'ports',
        'create',
        '--subnet-id',
        String(psub.id),
        '--ip',
        BACKEND_IP,
        '--device-owner',
        'compute:az1',
      ]);
      const cvpc = await one(c, ['vpcs', 'create', '--name', 'vpc-c', '--cidr', '127.30.0.0/16']);
      const csub = await one(c, [
        'subnets',
        'create',
        '--vpc-id',
        String(cvpc.id),
        '--name',
        'sn-c',
        '--cidr',
        '127.30.0.0/24',
      ]);

      const service = await one(p, [
        'services',
        'create',
        '--port-id',
        String(port.id),
        '--vpc-id',
        String(pvpc.id),
        '--port',
        `${clientPort}:${backendPort}/TCP`,
        '--name',
        'walk',
        '--approval',
        '--wait',
      ]);
      assert.equal(service.status, 'available');
      assert.equal(service.approval_enabled, true);
      assert.deepEqual(service.ports, [
        { client_port: clientPort, server_port: backendPort, protocol: 'TCP' },
      ]);

      const domain = `iam:domain::${c.domainId}`;
      assert.deepEqual(await run(p, ['permissions', 'add', String(service.id), domain]), {
        permissions: [domain],
      });

      const created = await cli(
        [
          'endpoints',
          'create',
          '--service',
          String(service.id),
          '--vpc-id',
          String(cvpc.id),
          '--subnet-id',
          String(csub.id),
          '--ip',
          ENDPOINT_IP,
          '--dns',
          '--whitelist',
          '127.30.0.0/24',
          '--wait',
          '-o',
          'json',
        ],
        { built: true, env: sdkEnv(server.url, c) },
      );
      assert.equal(created.code, 0, created.stderr);
      const endpoint = JSON.parse(created.stdout) as Json;
      assert.equal(endpoint.status, 'pendingAcceptance');
      assert.match(created.stderr, /waits for the provider to accept it/);
      assert.deepEqual(endpoint.whitelist, ['127.30.0.0/24']);

      const pending = (await run(p, [
        'connections',
        'list',
        String(service.id),
        '--status',
        'pendingAcceptance',
      ])) as Json[];
      assert.deepEqual(
        pending.map((x) => x.id),
        [endpoint.id],
      );
      const accepted = (await run(p, [
        'connections',
        'accept',
        String(service.id),
        String(endpoint.id),
      ])) as Json[];
      assert.equal(accepted[0]?.status, 'accepted');
      const ready = await one(c, ['endpoints', 'wait', String(endpoint.id), '--until', 'accepted']);
      assert.equal(ready.ip, ENDPOINT_IP);

      // Traffic from an address of the consumer subnet reaches the backend through the endpoint.
      await reachable(ENDPOINT_IP, clientPort, CLIENT_IP);
      const res = await rawRequest({
        method: 'GET',
        url: `http://${ENDPOINT_IP}:${clientPort}/`,
        localAddress: CLIENT_IP,
      });
      assert.equal(res.status, 200);
      assert.equal(res.text, 'hello from the backend');

      // The table a person sees lists the same endpoint.
      const table = await cli(['endpoints', 'list', '-o', 'table'], {
        built: true,
        env: sdkEnv(server.url, c),
      });
      assert.equal(table.code, 0, table.stderr);
      assert.match(table.stdout, /^ID\s+SERVICE\s+STATUS\s+IP\s+VPC\s+DNS$/m);
      assert.match(
        table.stdout,
        new RegExp(
          `^${String(endpoint.id)}\\s+\\S+walk\\S+\\s+accepted\\s+${ENDPOINT_IP.replaceAll('.', '\\.')}`,
          'm',
        ),
      );

      // Teardown, each asynchronous delete waited for.
      assert.equal(await run(c, ['endpoints', 'delete', String(endpoint.id), '--wait']), undefined);
      const gone = await cli(['endpoints', 'get', String(endpoint.id)], {
        built: true,
        env: sdkEnv(server.url, c),
      });
      assert.equal(gone.code, 1);
      assert.match(gone.stderr, /EndPoint\.2006/);
      await run(p, ['services', 'delete', String(service.id), '--wait']);
      await run(p, ['ports', 'delete', String(port.id)]);
      await run(p, ['subnets', 'delete', String(psub.id)]); // its VPC looked up by the command
      await run(p, ['vpcs', 'delete', String(pvpc.id)]);
      assert.deepEqual(await run(p, ['vpcs', 'list']), []);
    });
  });
}
