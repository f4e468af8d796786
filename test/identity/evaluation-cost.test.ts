import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Clock } from '../../src/context/clock.ts';
import { testDialects } from '../support/db.ts';
import { rawRequest } from '../support/http.ts';
import { passwordToken, startTestServer, type TestServer } from '../support/server.ts';
import { memberWithPolicy, outcome, signedCaller, userToken, withToken } from './iam.support.ts';

// "Evaluation is cached and costs no database query per request", measured
// from outside with the operator's counter of store statements
// (vpcep_store_statements_total on /metrics): once a caller's key, user,
// project and permissions are cached, a refused request runs no statement at
// all, and an allowed read by an IAM user with a custom policy runs exactly
// the statements the same read by the account's own user runs.
//
// The node runs the API only (no job worker, no data plane) with a counter
// check far beyond the test, so nothing in the background runs statements; the
// server's clock stands still while a test measures, so the look-up caches'
// 5 s lifetime cannot end inside a window on a slow machine.

const N = 20;
const LIST = '/v1/{project_id}/vpc-endpoints';
const SERVICES = '/v1/{project_id}/vpc-endpoint-services';

for (const dialect of testDialects()) {
  describe(`IAM evaluation runs no statement per request once cached (${dialect})`, () => {
    let server: TestServer;
    let frozenAt: number | undefined;
    const clock: Clock = { now: () => frozenAt ?? Date.now() };
    let reader: ReturnType<typeof signedCaller>;
    let owner: ReturnType<typeof signedCaller>;
    let readerToken: string;
    let ownerToken: string;

    const statements = async (): Promise<number> => {
      const res = await rawRequest({ method: 'GET', url: `${server.url}/metrics` });
      const m = /^vpcep_store_statements_total (\d+)$/m.exec(res.text);
      assert.ok(m, 'the counter is on /metrics');
      return Number(m[1]);
    };
    /** The statements `run` costs the store. */
    const cost = async (run: () => Promise<void>): Promise<number> => {
      const before = await statements();
      await run();
      return (await statements()) - before;
    };
    const times = async (run: () => Promise<void>) => {
      for (let i = 0; i < N; i++) await run();
    };

    before(async () => {
      server = await startTestServer({
        dialect,
        clock,
        overrides: {
          roles: ['api'],
          iam: { max_users: 50, max_groups: 20, max_policies: 200, max_access_keys: 2, sync_ms: 600_000 },
        },
      });
      const p = server.provider;
      const member = await memberWithPolicy(server.url, p, 'ci-reader', 'Ci-reader-1', [
        'vpcep:endpoints:list',
        'vpcep:endpoints:get',
      ]);
      reader = signedCaller(server.url, member.keys, p.projectId);
      owner = signedCaller(server.url, p, p.projectId);
      readerToken = (await userToken(server.url, p, 'ci-reader', 'Ci-reader-1')).token!;
      ownerToken = await passwordToken(server.url, p);
    });
    after(async () => server?.close());

    test('the counter stands still while the node is idle and moves with the store', async () => {
      frozenAt = undefined;
      assert.equal(await cost(async () => undefined), 0, 'nothing runs in the background');
      // An IAM change is real work for the store: the counter sees it.
      const made = await cost(async () => {
        const res = await withToken(server.url, ownerToken, 'POST', '/v3/groups', {
          group: { name: 'other' },
        });
        assert.equal(res.status, 201);
      });
      assert.ok(made > 0, `creating a group ran ${made} statements`);
    });

    test(`${N} refused requests by an IAM user run no statement, by AK/SK and by token`, async () => {
      frozenAt = Date.now();
      const path = `/v1/${server.provider.projectId}/vpc-endpoint-services`;
      const refuseAll = async () => {
        assert.deepEqual(await outcome(reader({ method: 'GET', url: SERVICES })), {
          status: 403,
          code: 'EndPoint.0004',
        });
        assert.deepEqual(await outcome(reader({ method: 'POST', url: LIST, data: {} })), {
          status: 403,
          code: 'EndPoint.0004',
        });
        const byToken = await withToken(server.url, readerToken, 'GET', path);
        assert.equal(byToken.status, 403);
        assert.equal(byToken.json?.error_code, 'EndPoint.0004');
      };
      await refuseAll(); // the warm-up: key, user, project and permissions are loaded here
      assert.equal(await cost(() => times(refuseAll)), 0);
    });

    test(`${N} allowed reads by the IAM user cost what ${N} by the account user cost`, async () => {
      frozenAt = Date.now();
      const path = `/v1/${server.provider.projectId}/vpc-endpoints`;
      const listSigned = (call: typeof reader) => async () => {
        assert.equal((await outcome(call({ method: 'GET', url: LIST }))).status, 200);
      };
      const listByToken = (token: string) => async () => {
        assert.equal((await withToken(server.url, token, 'GET', path)).status, 200);
      };
      for (const [label, byOwner, byReader] of [
        ['AK/SK', listSigned(owner), listSigned(reader)],
        ['token', listByToken(ownerToken), listByToken(readerToken)],
      ] as const) {
        await byOwner();
        await byReader();
        const ownerCost = await cost(() => times(byOwner));
        const readerCost = await cost(() => times(byReader));
        assert.ok(ownerCost > 0, `${label}: the list itself reads the store (${ownerCost})`);
        assert.equal(ownerCost % N, 0, `${label}: every list costs the same (${ownerCost} for ${N})`);
        assert.equal(readerCost, ownerCost, `${label}: no identity or policy query on top of the read`);
      }
    });
  });
}
