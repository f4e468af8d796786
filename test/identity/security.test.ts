import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testDialects } from '../support/db.ts';
import { passwordToken, startTestServer, type TestServer } from '../support/server.ts';
import { outcome, signedCaller, userToken, withToken } from './iam.support.ts';

// The IAM API under attack: another account's ids, a user without rights
// reaching for more, disabled users and keys, deleted users, limits and hostile
// names. Every refusal keeps the catalog's error shape.

type Res = Awaited<ReturnType<typeof withToken>>;
const code = (r: Res) => r.json?.error_code;
const rec = (v: unknown) => v as Record<string, unknown>;

for (const dialect of testDialects()) {
  describe(`IAM security (${dialect})`, () => {
    let server: TestServer;
    let owner: string;
    let other: string;
    const M = { name: 'mallory', password: 'Mallory-pass1' };
    let mallory: { id: string; token: string; ak: string; sk: string };
    let providerPolicy: string;
    let providerGroup: string;
    const as = (token: string) => (method: string, path: string, body?: unknown) =>
      withToken(server.url, token, method, path, body);
    const firstId = async (token: string, path: string, key: string) => {
      const items = (await as(token)('GET', path)).json?.[key] as { id: string }[];
      assert.ok(items[0], path);
      return items[0].id;
    };

    before(async () => {
      server = await startTestServer({
        dialect,
        overrides: {
          iam: { max_users: 6, max_groups: 4, max_policies: 200, max_access_keys: 2, sync_ms: 2000 },
        },
      });
      owner = await passwordToken(server.url, server.provider);
      other = await passwordToken(server.url, server.consumer);
      const o = as(owner);
      const created = await o('POST', '/v3/users', { user: { name: M.name, password: M.password } });
      assert.equal(created.status, 201);
      const id = String(rec(created.json?.user).id);
      const key = await o('POST', '/v3.0/OS-CREDENTIAL/credentials', { credential: { user_id: id } });
      assert.equal(key.status, 201);
      const t = await userToken(server.url, server.provider, M.name, M.password);
      const cred = rec(key.json?.credential);
      mallory = { id, token: t.token!, ak: String(cred.access), sk: String(cred.secret) };
      providerGroup = String(rec((await o('POST', '/v3/groups', { group: { name: 'ops' } })).json?.group).id);
      const policy = await o('POST', '/v3.0/OS-ROLE/roles', {
        role: {
          display_name: 'p',
          type: 'XA',
          description: '',
          policy: { Version: '1.1', Statement: [{ Effect: 'Allow', Action: ['vpcep:*:*'] }] },
        },
      });
      assert.equal(policy.status, 201, JSON.stringify(policy.json));
      providerPolicy = String(rec(policy.json?.role).id);
    });
    after(async () => server?.close());

    test("another account's users, groups, policies, grants and keys answer 404, like missing ones", async () => {
      const c = as(other);
      const p = server.provider;
      const expect404 = async (method: string, path: string, body?: unknown) => {
        const r = await c(method, path, body);
        assert.equal(r.status, 404, `${method} ${path}: ${JSON.stringify(r.json)}`);
        assert.equal(code(r), 'IAM.0004');
      };
      await expect404('GET', `/v3/users/${mallory.id}`);
      await expect404('GET', `/v3.0/OS-USER/users/${mallory.id}`);
      await expect404('PATCH', `/v3/users/${mallory.id}`, { user: { enabled: false } });
      await expect404('DELETE', `/v3/users/${mallory.id}`);
      await expect404('GET', `/v3/groups/${providerGroup}`);
      await expect404('DELETE', `/v3/groups/${providerGroup}`);
      await expect404('GET', `/v3.0/OS-ROLE/roles/${providerPolicy}`);
      await expect404('GET', `/v3/roles/${providerPolicy}`);
      await expect404('DELETE', `/v3.0/OS-ROLE/roles/${providerPolicy}`);
      await expect404('GET', `/v3.0/OS-CREDENTIAL/credentials/${mallory.ak}`);
      await expect404('DELETE', `/v3.0/OS-CREDENTIAL/credentials/${mallory.ak}`);
      await expect404('POST', '/v3.0/OS-CREDENTIAL/credentials', { credential: { user_id: mallory.id } });
      // Its own group cannot be given the other account's policy, user, project or account.
      const group = String(rec((await c('POST', '/v3/groups', { group: { name: 'mine' } })).json?.group).id);
      const cProject = server.consumer.projectId;
      await expect404('PUT', `/v3/projects/${cProject}/groups/${group}/roles/${providerPolicy}`);
      await expect404(
        'PUT',
        `/v3/OS-INHERIT/domains/${server.consumer.domainId}/groups/${group}/roles/${providerPolicy}/inherited_to_projects`,
      );
      await expect404('PUT', `/v3/groups/${group}/users/${mallory.id}`);
      await expect404(
        'PUT',
        `/v3/projects/${p.projectId}/groups/${group}/roles/6b1b0f3c5a0e4e0b9d8f1a2c3e4f5a04`,
      );
      await expect404(
        'PUT',
        `/v3/domains/${p.domainId}/groups/${group}/roles/6b1b0f3c5a0e4e0b9d8f1a2c3e4f5a03`,
      );
      // The SDK's unfilled project placeholder is no project either.
      await expect404(
        'PUT',
        `/v3/projects/%7Bproject_id%7D/groups/${group}/roles/6b1b0f3c5a0e4e0b9d8f1a2c3e4f5a04`,
      );
      // Lists filtered by the other account's id list nothing.
      assert.deepEqual((await c('GET', `/v3/users?domain_id=${p.domainId}`)).json?.users, []);
      assert.deepEqual((await c('GET', `/v3/groups?domain_id=${p.domainId}`)).json?.groups, []);
      assert.deepEqual((await c('GET', `/v3/roles?domain_id=${p.domainId}`)).json?.roles, []);
      assert.ok(!JSON.stringify((await c('GET', '/v3/users')).json).includes(mallory.id));
    });

    test('a user without rights reads itself and manages its own keys, nothing more', async () => {
      const m = as(mallory.token);
      assert.equal((await m('GET', `/v3/users/${mallory.id}`)).status, 200);
      assert.equal((await m('GET', `/v3/users/${mallory.id}/groups`)).status, 200);
      const own = await m('GET', '/v3.0/OS-CREDENTIAL/credentials');
      assert.equal(own.status, 200);
      const listed = own.json?.credentials as Record<string, unknown>[];
      assert.deepEqual(
        listed.map((k) => k.access),
        [mallory.ak],
      );
      assert.ok(!JSON.stringify(own.json).includes(mallory.sk), 'the secret is shown only at creation');
      assert.ok(
        !JSON.stringify((await m('GET', `/v3.0/OS-CREDENTIAL/credentials/${mallory.ak}`)).json).includes(
          mallory.sk,
        ),
      );
      const second = await m('POST', '/v3.0/OS-CREDENTIAL/credentials', {
        credential: { user_id: mallory.id, description: 'ci' },
      });
      assert.equal(second.status, 201);
      const third = await m('POST', '/v3.0/OS-CREDENTIAL/credentials', {
        credential: { user_id: mallory.id },
      });
      assert.equal(third.status, 400, 'two keys a user, as on the cloud');
      assert.equal(code(third), 'IAM.0007');
      const ak2 = String(rec(second.json?.credential).access);
      assert.equal((await m('DELETE', `/v3.0/OS-CREDENTIAL/credentials/${ak2}`)).status, 204);

      const ownerId = await firstId(owner, '/v3/users?name=admin', 'users');
      const denied = async (method: string, path: string, body?: unknown) => {
        const r = await m(method, path, body);
        assert.equal(r.status, 403, `${method} ${path}: ${JSON.stringify(r.json)}`);
        assert.equal(code(r), 'IAM.0003');
        assert.equal(typeof r.json?.request_id, 'string');
      };
      await denied('GET', '/v3/users');
      await denied('GET', `/v3/users/${ownerId}`);
      await denied('GET', `/v3.0/OS-CREDENTIAL/credentials?user_id=${ownerId}`);
      await denied('GET', `/v3.0/OS-CREDENTIAL/credentials/${server.provider.ak}`);
      await denied('DELETE', `/v3.0/OS-CREDENTIAL/credentials/${server.provider.ak}`);
      await denied('GET', '/v3.0/OS-CREDENTIAL/credentials/NOSUCHKEY0123456789X');
      await denied('POST', '/v3.0/OS-CREDENTIAL/credentials', { credential: { user_id: ownerId } });
      // No way up: not into a group, not a policy, not a grant, not its own record.
      const admin = await firstId(owner, '/v3/groups?name=admin', 'groups');
      await denied('PUT', `/v3/groups/${admin}/users/${mallory.id}`);
      await denied('PUT', `/v3/groups/${providerGroup}/users/${mallory.id}`);
      await denied('POST', '/v3.0/OS-ROLE/roles', {
        role: { display_name: 'x', type: 'XA', description: '', policy: {} },
      });
      await denied(
        'PUT',
        `/v3/projects/${server.provider.projectId}/groups/${providerGroup}/roles/${providerPolicy}`,
      );
      await denied('PATCH', `/v3/users/${mallory.id}`, { user: { enabled: true } });
      await denied('PUT', `/v3.0/OS-USER/users/${mallory.id}`, { user: { name: 'admin2' } });
      await denied('POST', '/v3/users', { user: { name: 'sock-puppet', password: 'Puppet-pass1' } });
      // Another user's password or info is not self-service.
      const r = await m('POST', `/v3/users/${ownerId}/password`, {
        user: { original_password: 'x', password: 'Changed-pass1' },
      });
      assert.equal(r.status, 403);
      assert.equal(code(r), 'IAM.0002');
    });

    test('a disabled user and an inactive key are refused (401); enabling again restores them', async () => {
      const o = as(owner);
      const call = signedCaller(server.url, mallory, server.provider.projectId);
      const own = () => outcome(call({ method: 'GET', url: `/v3.0/OS-USER/users/${mallory.id}` }));
      assert.equal((await own()).status, 200);
      assert.equal((await o('PATCH', `/v3/users/${mallory.id}`, { user: { enabled: false } })).status, 200);
      assert.deepEqual(await own(), { status: 401, code: 'EndPoint.0003' });
      assert.equal((await as(mallory.token)('GET', `/v3/users/${mallory.id}`)).status, 401);
      assert.equal((await userToken(server.url, server.provider, M.name, M.password)).status, 401);
      assert.equal((await o('PATCH', `/v3/users/${mallory.id}`, { user: { enabled: true } })).status, 200);
      assert.equal((await own()).status, 200);

      assert.equal(
        (
          await o('PUT', `/v3.0/OS-CREDENTIAL/credentials/${mallory.ak}`, {
            credential: { status: 'inactive' },
          })
        ).status,
        200,
      );
      assert.deepEqual(await own(), { status: 401, code: 'EndPoint.0003' });
      assert.equal(
        (
          await o('PUT', `/v3.0/OS-CREDENTIAL/credentials/${mallory.ak}`, {
            credential: { status: 'active' },
          })
        ).status,
        200,
      );
      assert.equal((await own()).status, 200);
    });

    test('grants apply where IAM says: project and all-projects grants to VPCEP, account grants to IAM only', async () => {
      const o = as(owner);
      const p = server.provider;
      const call = signedCaller(server.url, mallory, p.projectId);
      const list = () => outcome(call({ method: 'GET', url: '/v1/{project_id}/vpc-endpoints' }));
      assert.equal((await o('PUT', `/v3/groups/${providerGroup}/users/${mallory.id}`)).status, 204);
      const TENANT_ADMIN = '6b1b0f3c5a0e4e0b9d8f1a2c3e4f5a01';
      const VPCEP_ADMIN = '6b1b0f3c5a0e4e0b9d8f1a2c3e4f5a04';
      const SECU_ADMIN = '6b1b0f3c5a0e4e0b9d8f1a2c3e4f5a03';
      const domainGrant = `/v3/domains/${p.domainId}/groups/${providerGroup}/roles/${TENANT_ADMIN}`;
      assert.equal((await o('PUT', domainGrant)).status, 204);
      assert.equal((await list()).status, 403, 'an account grant does not reach project services');
      assert.equal((await o('HEAD', domainGrant)).status, 204);
      assert.equal((await o('DELETE', domainGrant)).status, 204);
      assert.equal((await o('HEAD', domainGrant)).status, 404);
      const inherited = `/v3/OS-INHERIT/domains/${p.domainId}/groups/${providerGroup}/roles/${VPCEP_ADMIN}/inherited_to_projects`;
      assert.equal((await o('PUT', inherited)).status, 204);
      assert.equal((await list()).status, 200, 'an all-projects grant does');
      assert.equal((await o('DELETE', inherited)).status, 204);
      assert.equal((await list()).status, 403, 'and its revocation takes effect at once');
      // Types: project-level policies are not granted on the account, account-level ones not on projects.
      const xaOnDomain = await o(
        'PUT',
        `/v3/domains/${p.domainId}/groups/${providerGroup}/roles/${VPCEP_ADMIN}`,
      );
      assert.equal(code(xaOnDomain), 'IAM.0007');
      const axOnProject = await o(
        'PUT',
        `/v3/projects/${p.projectId}/groups/${providerGroup}/roles/${SECU_ADMIN}`,
      );
      assert.equal(code(axOnProject), 'IAM.0007');
      // Security Administrator on the account lets it manage IAM, not VPCEP.
      assert.equal(
        (await o('PUT', `/v3/domains/${p.domainId}/groups/${providerGroup}/roles/${SECU_ADMIN}`)).status,
        204,
      );
      assert.equal((await as(mallory.token)('GET', '/v3/users')).status, 200);
      assert.equal((await list()).status, 403);
      assert.equal(
        (await o('DELETE', `/v3/domains/${p.domainId}/groups/${providerGroup}/roles/${SECU_ADMIN}`)).status,
        204,
      );
      assert.equal((await as(mallory.token)('GET', '/v3/users')).status, 403);
      // A granted policy cannot be deleted until its grants are revoked.
      assert.equal(
        (await o('PUT', `/v3/projects/${p.projectId}/groups/${providerGroup}/roles/${providerPolicy}`))
          .status,
        204,
      );
      assert.equal(code(await o('DELETE', `/v3.0/OS-ROLE/roles/${providerPolicy}`)), 'IAM.0005');
      assert.equal(
        (await o('DELETE', `/v3/projects/${p.projectId}/groups/${providerGroup}/roles/${providerPolicy}`))
          .status,
        204,
      );
      assert.equal((await o('DELETE', `/v3/groups/${providerGroup}/users/${mallory.id}`)).status, 204);
    });

    test('the own user and the admin group stay; limits and hostile names are refused with IAM codes', async () => {
      const o = as(owner);
      const me = await firstId(owner, '/v3/users?name=admin', 'users');
      assert.equal(code(await o('DELETE', `/v3/users/${me}`)), '1107');
      assert.equal(code(await o('PATCH', `/v3/users/${me}`, { user: { enabled: false } })), 'IAM.0002');
      const admin = await firstId(owner, '/v3/groups?name=admin', 'groups');
      assert.equal(code(await o('DELETE', `/v3/groups/${admin}`)), 'IAM.0002');
      assert.equal(code(await o('DELETE', `/v3/groups/${admin}/users/${me}`)), 'IAM.0002');

      for (const name of ['9lives', ' lead', '<script>', 'a'.repeat(65), '', 'tab\there', 'ünïcode']) {
        const r = await o('POST', '/v3/users', { user: { name, password: 'Good-pass1' } });
        assert.equal(r.status, 400, `${JSON.stringify(name)}: ${JSON.stringify(r.json)}`);
      }
      for (const body of [{ user: { name: 'nul\u0000' } }, { user: { name: 'x'.repeat(100_000) } }]) {
        assert.equal((await o('POST', '/v3/users', body)).status, 400);
      }
      assert.equal(
        code(await o('POST', '/v3/users', { user: { name: 'weak', password: 'aaaaaaaa' } })),
        '1118',
      );
      assert.equal(
        code(await o('POST', '/v3/users', { user: { name: M.name, password: 'Good-pass1' } })),
        '1109',
      );
      assert.equal(code(await o('POST', '/v3/groups', { group: { name: ' padded' } })), 'IAM.0007');
      const longPolicy = {
        Version: '1.1',
        Statement: [
          {
            Effect: 'Allow',
            Action: Array.from({ length: 60 }, (_, i) => `ecs:servers${i}:${'x'.repeat(90)}`),
          },
        ],
      };
      const big = await o('POST', '/v3.0/OS-ROLE/roles', {
        role: { display_name: 'big', type: 'XA', description: '', policy: longPolicy },
      });
      assert.equal(code(big), 'IAM.1021');
      // Counts: the test server allows 6 users and 4 groups an account.
      let last: Res | undefined;
      for (let i = 0; i < 6; i++) last = await o('POST', '/v3/users', { user: { name: `filler${i}` } });
      assert.equal(code(last!), '1115');
      for (let i = 0; i < 4; i++) last = await o('POST', '/v3/groups', { group: { name: `g${i}` } });
      assert.equal(code(last!), 'IAM.0007');
    });

    test('deleting a user removes its keys and its tokens stop working', async () => {
      const o = as(owner);
      const call = signedCaller(server.url, mallory, server.provider.projectId);
      assert.equal((await o('DELETE', `/v3/users/${mallory.id}`)).status, 204);
      assert.deepEqual(await outcome(call({ method: 'GET', url: `/v3.0/OS-USER/users/${mallory.id}` })), {
        status: 401,
        code: 'EndPoint.0003',
      });
      assert.equal((await as(mallory.token)('GET', `/v3/users/${mallory.id}`)).status, 401);
      assert.equal(code(await o('GET', `/v3.0/OS-CREDENTIAL/credentials/${mallory.ak}`)), 'IAM.0004');
      const rows = await server.running.store.db
        .selectFrom('access_keys')
        .select('ak')
        .where('user_id', '=', mallory.id)
        .execute();
      assert.deepEqual(rows, []);
    });

    test('passwords are stored as scrypt hashes', async () => {
      const rows = await server.running.store.db
        .selectFrom('users')
        .select(['name', 'password_hash'])
        .execute();
      for (const r of rows) if (r.password_hash !== null) assert.match(r.password_hash, /^scrypt\$/, r.name);
    });
  });
}
