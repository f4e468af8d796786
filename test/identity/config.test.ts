import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/load.ts';
import { startServer } from '../../src/main.ts';
import { freshDatabase, testDialects } from '../support/db.ts';
import { outcome, signedCaller, userToken, withToken } from './iam.support.ts';

// A test bed with a read-only CI user is one file: the README's example, as is.

const READ_ONLY_CI_YAML = `
accounts:
  - name: acme
    projects: [{ id: 0a1b2c3d4e5f60718293a4b5c6d7e8f9, name: tr-west-1 }]
    users:
      - name: admin                    # the first user is the account's own user
        password: Admin-pass1
        access_keys: [{ ak: ACMEADMINAK000000001, sk: acme-admin-secret-0123456789abcdefghij }]
      - name: ci                       # an IAM user: its rights come from its groups
        password: Ci-reader-pass1
        access_keys: [{ ak: ACMECIAK000000000001, sk: acme-ci-secret-0123456789abcdefghijklm }]
    policies:
      - name: endpoints-read
        type: XA
        description: List and show VPC endpoints
        policy:
          Version: "1.1"
          Statement:
            - Effect: Allow
              Action: ["vpcep:endpoints:list", "vpcep:endpoints:get"]
    groups:
      - name: ci-readers
        users: [ci]
        grants:
          - { role: endpoints-read, project: tr-west-1 }
          - { role: VPC ReadOnlyAccess, scope: all_projects }
`;

const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const CI = { ak: 'ACMECIAK000000000001', sk: 'acme-ci-secret-0123456789abcdefghijklm' };

function configFile(dir: string, text: string): string {
  const file = join(dir, 'vpcep.yaml');
  writeFileSync(file, text);
  return file;
}

for (const dialect of testDialects()) {
  describe(`IAM users, groups, policies and grants declared in the configuration (${dialect})`, () => {
    test('the read-only CI user of the file reads and is refused writes, also after a restart', async () => {
      const db = await freshDatabase(dialect);
      const dir = mkdtempSync(join(tmpdir(), 'vpcep-iam-config-'));
      try {
        const config = loadConfig({
          file: configFile(dir, READ_ONLY_CI_YAML),
          env: {},
          overrides: { listen: '127.0.0.1:0', database: db.url, log_level: 'silent', roles: ['api'] },
        });
        for (let start = 0; start < 2; start++) {
          const running = await startServer(config);
          try {
            const ci = signedCaller(running.url, CI, PROJECT);
            const status = async (method: 'GET' | 'POST', url: string, data?: unknown) =>
              (await outcome(ci({ method, url, ...(data !== undefined ? { data } : {}) }))).status;
            assert.equal(await status('GET', '/v1/{project_id}/vpc-endpoints'), 200);
            assert.equal(await status('POST', '/v1/{project_id}/vpc-endpoints', {}), 403);
            assert.equal(await status('GET', '/v1/{project_id}/vpcs'), 200);
            assert.equal(
              await status('POST', '/v1/{project_id}/vpcs', { vpc: { name: 'x', cidr: '10.0.0.0/16' } }),
              403,
            );
            assert.equal(await status('GET', '/v1/{project_id}/vpc-endpoint-services'), 403);
            const t = await userToken(
              running.url,
              { domainName: 'acme', projectId: PROJECT },
              'ci',
              'Ci-reader-pass1',
            );
            assert.equal(t.status, 201);
            assert.equal((await withToken(running.url, t.token!, 'GET', '/v3/users')).status, 403);
            // The account's own user may do everything, and sees what the file made, once.
            const admin = await userToken(
              running.url,
              { domainName: 'acme', projectId: PROJECT },
              'admin',
              'Admin-pass1',
            );
            const groups = await withToken(running.url, admin.token!, 'GET', '/v3/groups');
            assert.deepEqual((groups.json?.groups as { name: string }[]).map((g) => g.name).sort(), [
              'admin',
              'ci-readers',
            ]);
            const policies = await withToken(running.url, admin.token!, 'GET', '/v3.0/OS-ROLE/roles');
            assert.equal(policies.json?.total_number, 1);
          } finally {
            await running.close();
          }
        }
      } finally {
        await db.drop();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

test("the README's example is this file", () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('### A read-only CI user in the configuration file'));
  const block = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
  assert.equal(block?.trim(), READ_ONLY_CI_YAML.trim());
});

describe('mistakes in the IAM declarations name their key', () => {
  const cases: [what: string, from: string, to: string, message: RegExp][] = [
    ['a member that is not a user', 'users: [ci]', 'users: [cj]', /groups\[0\]\.users\[0\]' names no user/],
    ['an unknown role', 'role: endpoints-read,', 'role: endpoints-rd,', /grants\[0\]' names no system role/],
    ['an unknown project', 'project: tr-west-1 }', 'project: tr-east-9 }', /names no project/],
    [
      'a grant without a scope',
      '{ role: VPC ReadOnlyAccess, scope: all_projects }',
      '{ role: VPC ReadOnlyAccess }',
      /needs a project or a scope/,
    ],
    [
      'an unregistered action',
      'vpcep:endpoints:get"',
      'vpcep:endpoint:get"',
      /policies\[0\]\.policy' is not a valid policy: Action 'vpcep:endpoint:get' has not been registered/,
    ],
    ['an effect IAM does not know', 'Effect: Allow', 'Effect: Permit', /is not a valid policy/],
  ];
  for (const [what, from, to, message] of cases) {
    test(what, () => {
      const dir = mkdtempSync(join(tmpdir(), 'vpcep-iam-config-'));
      try {
        assert.ok(READ_ONLY_CI_YAML.includes(from), from);
        const file = configFile(dir, READ_ONLY_CI_YAML.replace(from, to));
        assert.throws(
          () => loadConfig({ file, env: {} }),
          (err: unknown) => err instanceof ConfigError && message.test(err.message),
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
