// The test-bed example of docs/configuration.md, started as written by the
// built binary on both stores: /readyz turns 200 once the declared service is
// whitelisting the consumer and the declared endpoint is accepted; a restart
// duplicates nothing. A bad declaration exits 2, naming it, with what it
// echoes escaped for the terminal.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parse as parseYaml, stringify } from 'yaml';
import { cli, ensureBuilt, ROOT, runCli } from '../support/cli.ts';
import { freshDatabase, testDialects } from '../support/db.ts';
import { rawRequest } from '../support/http.ts';
import { sdkClient } from '../support/sdk.ts';
import { waitUntil } from '../support/wait.ts';

const MARKER = '<!-- test/cli/testbed-example.test.ts starts a server with this block -->';

function documentedExample(): string {
  const doc = readFileSync(join(ROOT, 'docs/configuration.md'), 'utf8');
  const block = /```yaml\n([\s\S]*?)```/.exec(doc.slice(doc.indexOf(MARKER)));
  assert.ok(doc.includes(MARKER) && block?.[1], 'docs/configuration.md holds the example');
  return block[1];
}

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function writeConfig(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'vpcep-testbed-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'testbed.yaml'), text);
  return dir;
}

type Body = Record<string, unknown>;
const LISTENING = /vpcep listening on (http:\/\/\S+)/;

/** Serves the file until `use` is done; the server is stopped (and must stop cleanly). */
async function serving(dir: string, database: string, use: (url: string) => Promise<void>): Promise<void> {
  const p = runCli(
    ['serve', '--config', 'testbed.yaml', '--listen', '127.0.0.1:0', '--database', database],
    dir,
    {},
    { built: true },
  );
  try {
    const url = await waitUntil(
      () => LISTENING.exec(p.output())?.[1],
      (u) => u !== undefined,
      'the server to listen',
      30_000,
      50,
    );
    await waitUntil(
      () => rawRequest({ method: 'GET', url: `${url}/readyz` }),
      (r) => r.status === 200,
      'the test bed to be ready',
      30_000,
    );
    await use(url!);
    p.child.kill('SIGTERM');
    assert.equal(await p.closed, 0, p.errors());
  } finally {
    if (p.child.exitCode === null) p.child.kill('SIGKILL');
  }
}

interface Keys {
  ak: string;
  sk: string;
}

function keysOf(config: Body, account: string): Keys {
  const accounts = config.accounts as { name: string; users: { access_keys: Keys[] }[] }[];
  const key = accounts.find((a) => a.name === account)?.users[0]?.access_keys[0];
  assert.ok(key);
  return key;
}

/** The SDK signed with an account's keys, on its one project. */
async function client(url: string, keys: Keys) {
  const unscoped = sdkClient(url, { ...keys, projectId: '' });
  const projects = (await unscoped({ method: 'GET', url: '/v3/auth/projects' })).projects as { id: string }[];
  return sdkClient(url, { ...keys, projectId: projects[0]!.id });
}

describe('the documented test bed', () => {
  ensureBuilt();

  for (const dialect of testDialects()) {
    test(`starts as written, ready once connected, and not duplicated by a restart (${dialect})`, async () => {
      const text = documentedExample();
      const config = parseYaml(text) as Body;
      const dir = writeConfig(text);
      const database = await freshDatabase(dialect);
      try {
        let endpointId = '';
        await serving(dir, database.url, async (url) => {
          const provider = await client(url, keysOf(config, 'provider'));
          const consumer = await client(url, keysOf(config, 'consumer'));
          const services = (await provider({ method: 'GET', url: '/v1/{project_id}/vpc-endpoint-services' }))
            .endpoint_services as Body[];
          assert.equal(services.length, 1);
          const permissions = (
            await provider({
              method: 'GET',
              url: `/v1/{project_id}/vpc-endpoint-services/${String(services[0]!.id)}/permissions`,
            })
          ).permissions as Body[];
          assert.equal(permissions.length, 1);
          assert.match(String(permissions[0]!.permission), /^iam:domain::[0-9a-f]{32}$/);
          const endpoints = (await consumer({ method: 'GET', url: '/v1/{project_id}/vpc-endpoints' }))
            .endpoints as Body[];
          assert.deepEqual(
            endpoints.map((e) => [e.status, e.ip, e.endpoint_service_id, e.enable_whitelist]),
            [['accepted', '127.30.0.2', services[0]!.id, true]],
          );
          endpointId = String(endpoints[0]!.id);
        });
        await serving(dir, database.url, async (url) => {
          const consumer = await client(url, keysOf(config, 'consumer'));
          const endpoints = (await consumer({ method: 'GET', url: '/v1/{project_id}/vpc-endpoints' }))
            .endpoints as Body[];
          assert.deepEqual(
            endpoints.map((e) => e.id),
            [endpointId],
          );
        });
      } finally {
        await database.drop();
      }
    });
  }

  test('a bad declaration exits 2 naming it, with control characters escaped', async () => {
    const config = parseYaml(documentedExample()) as {
      accounts: { services?: Body[]; endpoints?: Body[] }[];
    };
    const service = config.accounts[0]!.services![0]!;
    service.service_name = 'web\u001b[2J';
    config.accounts[1]!.endpoints![0]!.endpoint_service_name = 'provider/web\u001b[2J';
    const dir = writeConfig(stringify(config));
    const run = await cli(['serve', '--config', 'testbed.yaml', '--listen', '127.0.0.1:0'], {
      cwd: dir,
      built: true,
    });
    assert.equal(run.code, 2, run.stderr);
    assert.match(
      run.stderr,
      /^vpcep: test bed: accounts\[0\]\.services\[0\] \(service 'web\\x1b\[2J' of account 'provider'\): EndPoint\.\d{4}: /m,
    );
    // eslint-disable-next-line no-control-regex -- the point: no raw escape reaches the terminal
    assert.doesNotMatch(run.stderr, /\u001b/);
    assert.doesNotMatch(run.stdout, /listening/);
  });
});
