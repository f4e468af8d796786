import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { IamClient } from '@huaweicloud/huaweicloud-sdk-iam/v3/public-api.js';
import { testDialects } from '../support/db.ts';
import type { TestServer } from '../support/server.ts';
import { endpointTestBed, createService, type Network } from '../vpcep/endpoints.support.ts';
import {
  addToGroup,
  createGroup,
  createKey,
  createPolicy,
  createUser,
  grantOnProject,
  iamClient,
  iamProjectClient,
  outcome,
  signedCaller,
  systemRoleId,
  updatePolicy,
  userToken,
  withToken,
  type Keys,
} from './iam.support.ts';

// The scenario end to end with the official IAM client: the account's
// own user builds a read-only CI user; the CI user lists endpoints and is
// refused creating one, by AK/SK and by token; a Deny added later refuses the
// list too; the VPCEndpoint Administrator role lets it create.

const ENDPOINTS = '/v1/{project_id}/vpc-endpoints';
const READ_ONLY = [{ Effect: 'Allow' as const, Action: ['vpcep:endpoints:list', 'vpcep:endpoints:get'] }];

for (const dialect of testDialects()) {
  describe(`IAM users and policies through the official IAM client (${dialect})`, () => {
    let server: TestServer;
    let netP: Network;
    let serviceId: string;
    let owner: IamClient;
    let ownerForProject: IamClient;
    let ci: { id: string; keys: Keys; group: string; policy: string };
    const password = 'Ci-reader-1';

    before(async () => {
      const bed = await endpointTestBed(dialect);
      server = bed.server;
      netP = bed.netP;
      serviceId = (await createService(server, netP)).id;
      const p = server.provider;
      owner = iamClient(server.url, p, p.domainId);
      ownerForProject = iamProjectClient(server.url, p, p.projectId);
    });
    after(async () => server?.close());

    const endpointBody = () => ({
      endpoint_service_id: serviceId,
      vpc_id: netP.vpcId,
      subnet_id: netP.subnetId,
    });

    test('the account user creates a user, a group, a policy allowing two actions, the grant and a key', async () => {
      const p = server.provider;
      const id = await createUser(owner, p.domainId, 'ci-reader', password);
      const group = await createGroup(owner, 'ci-readers');
      await addToGroup(owner, group, id);
      const policy = await createPolicy(owner, 'endpoints-read', READ_ONLY);
      await grantOnProject(ownerForProject, group, policy);
      const keys = await createKey(owner, id);
      assert.match(keys.ak, /^[A-Z0-9]{20}$/);
      ci = { id, keys, group, policy };
    });

    test('by AK/SK the user lists endpoints (200) and is refused creating one (403 EndPoint.0004)', async () => {
      const call = signedCaller(server.url, ci.keys, server.provider.projectId);
      assert.deepEqual(await outcome(call({ method: 'GET', url: ENDPOINTS })), { status: 200 });
      assert.deepEqual(await outcome(call({ method: 'POST', url: ENDPOINTS, data: endpointBody() })), {
        status: 403,
        code: 'EndPoint.0004',
      });
      // Anything else of VPCEP is refused too: the policy names two actions only.
      assert.equal(
        (await outcome(call({ method: 'GET', url: '/v1/{project_id}/vpc-endpoint-services' }))).status,
        403,
      );
    });

    test('by token the same: list 200, create 403', async () => {
      const t = await userToken(server.url, server.provider, 'ci-reader', password);
      assert.equal(t.status, 201);
      const path = `/v1/${server.provider.projectId}/vpc-endpoints`;
      assert.equal((await withToken(server.url, t.token!, 'GET', path)).status, 200);
      const refused = await withToken(server.url, t.token!, 'POST', path, endpointBody());
      assert.equal(refused.status, 403);
      assert.equal(refused.json?.error_code, 'EndPoint.0004');
      // The token lists what its scope grants: the custom policy only.
      const roles = (t.body as { token: { roles: { name: string }[] } }).token.roles.map((r) => r.name);
      assert.deepEqual(roles, [`custom_${server.provider.domainId}_1`]);
    });

    test('a Deny statement added later refuses the list too, at once', async () => {
      await updatePolicy(owner, ci.policy, 'endpoints-read', [
        ...READ_ONLY,
        { Effect: 'Deny', Action: ['vpcep:endpoints:list'] },
      ]);
      const call = signedCaller(server.url, ci.keys, server.provider.projectId);
      assert.deepEqual(await outcome(call({ method: 'GET', url: ENDPOINTS })), {
        status: 403,
        code: 'EndPoint.0004',
      });
      const t = await userToken(server.url, server.provider, 'ci-reader', password);
      assert.equal(
        (await withToken(server.url, t.token!, 'GET', `/v1/${server.provider.projectId}/vpc-endpoints`))
          .status,
        403,
      );
    });

    test('granting VPCEndpoint Administrator lets the user create; the Deny still refuses the list', async () => {
      const admin = await systemRoleId(owner, 'VPCEndpoint Administrator');
      await grantOnProject(ownerForProject, ci.group, admin);
      const call = signedCaller(server.url, ci.keys, server.provider.projectId);
      const created = await call({ method: 'POST', url: ENDPOINTS, data: endpointBody() });
      assert.equal(created.httpStatusCode, 200);
      assert.equal(created.status, 'creating');
      assert.equal(
        (await outcome(call({ method: 'GET', url: `${ENDPOINTS}/${String(created.id)}` }))).status,
        200,
      );
      assert.deepEqual(await outcome(call({ method: 'GET', url: ENDPOINTS })), {
        status: 403,
        code: 'EndPoint.0004',
      });
    });

    test('a user in no group is refused every VPCEP and VPC call but still obtains a token', async () => {
      const p = server.provider;
      const id = await createUser(owner, p.domainId, 'nobody', 'Nobody-pass1');
      const keys = await createKey(owner, id);
      const t = await userToken(server.url, p, 'nobody', 'Nobody-pass1');
      assert.equal(t.status, 201);
      assert.deepEqual((t.body as { token: { roles: unknown[] } }).token.roles, []);

      const doc = (await withToken(server.url, t.token!, 'GET', '/openapi.json')).json as {
        paths: Record<string, Record<string, unknown>>;
      };
      const call = signedCaller(server.url, keys, p.projectId);
      let walked = 0;
      for (const [path, methods] of Object.entries(doc.paths)) {
        if (!path.includes('{project_id}') || path.startsWith('/v3')) continue;
        for (const method of Object.keys(methods)) {
          // Ids that exist nowhere: the refusal must come before any look-up.
          const concrete = path
            .replaceAll('{project_id}', p.projectId)
            .replace(/\{[a-z_]+\}/g, '00000000-0000-0000-0000-000000000000');
          const body = method === 'get' || method === 'delete' ? undefined : {};
          const byToken = await withToken(server.url, t.token!, method.toUpperCase(), concrete, body);
          assert.equal(byToken.status, 403, `${method} ${path} by token`);
          assert.equal(byToken.json?.error_code, 'EndPoint.0004');
          const signed = await outcome(
            call({
              method: method.toUpperCase() as 'GET',
              url: path.replace(/\{(?!project_id)[a-z_]+\}/g, '00000000-0000-0000-0000-000000000000'),
              ...(body ? { data: body } : {}),
            }),
          );
          assert.deepEqual(signed, { status: 403, code: 'EndPoint.0004' }, `${method} ${path} by AK/SK`);
          walked++;
        }
      }
      assert.ok(walked >= 45, `every VPCEP and VPC operation was tried (${walked})`);
      // It still sees itself, as IAM's self-service allows.
      const self = await withToken(server.url, t.token!, 'GET', `/v3.0/OS-USER/users/${id}`);
      assert.equal(self.status, 200);
      assert.equal((self.json?.user as { is_domain_owner: boolean }).is_domain_owner, false);
    });
  });
}
