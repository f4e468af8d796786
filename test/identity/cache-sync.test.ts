import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer, type Running } from '../../src/main.ts';
import { testDialects } from '../support/db.ts';
import { passwordToken, startTestServer, type TestServer } from '../support/server.ts';
import { waitUntil } from '../support/wait.ts';
import { outcome, signedCaller, withToken } from './iam.support.ts';

// Nodes sharing a store cache permissions without asking the store per request,
// and still drop them when another node changes IAM: through the change feed on
// PostgreSQL (at once, even with a slow counter check), through the change
// counter on a shared SQLite file (within iam.sync_ms).

const VPCEP_ADMIN = '6b1b0f3c5a0e4e0b9d8f1a2c3e4f5a04';

for (const dialect of testDialects()) {
  describe(`a revoked right stops on every node sharing the store (${dialect})`, () => {
    // PostgreSQL: a counter check far beyond the test's patience, so only the notification can be in time.
    const syncMs = dialect === 'postgres' ? 600_000 : 200;
    let a: TestServer;
    let b: Running;

    before(async () => {
      a = await startTestServer({
        dialect,
        overrides: {
          iam: { max_users: 50, max_groups: 20, max_policies: 200, max_access_keys: 2, sync_ms: syncMs },
        },
      });
      b = await startServer({ ...a.config, roles: ['api'] });
    });
    after(async () => {
      await b?.close();
      await a?.close();
    });

    test('a grant and its revocation on one node reach the other', async () => {
      const o = (method: string, path: string, body?: unknown) => withToken(a.url, owner, method, path, body);
      const owner = await passwordToken(a.url, a.provider);
      const p = a.provider;
      const user = String(
        ((await o('POST', '/v3/users', { user: { name: 'roamer' } })).json?.user as { id: string }).id,
      );
      const key = (await o('POST', '/v3.0/OS-CREDENTIAL/credentials', { credential: { user_id: user } })).json
        ?.credential as { access: string; secret: string };
      const group = String(
        ((await o('POST', '/v3/groups', { group: { name: 'roamers' } })).json?.group as { id: string }).id,
      );
      assert.equal((await o('PUT', `/v3/groups/${group}/users/${user}`)).status, 204);
      const onB = signedCaller(b.url, { ak: key.access, sk: key.secret }, p.projectId);
      const list = async () =>
        (await outcome(onB({ method: 'GET', url: '/v1/{project_id}/vpc-endpoints' }))).status;
      // B caches the refusal first.
      assert.equal(await list(), 403);
      const grant = `/v3/projects/${p.projectId}/groups/${group}/roles/${VPCEP_ADMIN}`;
      assert.equal((await o('PUT', grant)).status, 204);
      await waitUntil(list, (s) => s === 200, 'the grant to reach node B');
      assert.equal((await o('DELETE', grant)).status, 204);
      await waitUntil(list, (s) => s === 403, 'the revocation to reach node B');
      // Deleting the user on A stops its key on B too.
      assert.equal((await o('PUT', grant)).status, 204);
      await waitUntil(list, (s) => s === 200, 'the second grant to reach node B');
      assert.equal((await o('DELETE', `/v3/users/${user}`)).status, 204);
      await waitUntil(list, (s) => s === 401, 'the deletion to reach node B');
    });
  });
}
