import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  DeleteDomainGroupInheritedRoleRequest,
  KeystoneAssociateGroupWithDomainPermissionRequest,
  KeystoneCheckDomainPermissionForGroupRequest,
  KeystoneCheckProjectPermissionForGroupRequest,
  KeystoneCheckroleForGroupRequest,
  KeystoneListAllProjectPermissionsForGroupRequest,
  KeystoneListDomainPermissionsForGroupRequest,
  KeystoneListProjectPermissionsForGroupRequest,
  KeystoneListUsersRequest,
  KeystoneRemoveDomainPermissionFromGroupRequest,
  KeystoneRemoveProjectPermissionFromGroupRequest,
  UpdateDomainGroupInheritRoleRequest,
  type IamClient,
} from '@huaweicloud/huaweicloud-sdk-iam/v3/public-api.js';
import { testDialects } from '../support/db.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import {
  addToGroup,
  answer,
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
  type Keys,
} from './iam.support.ts';

// Grants through the official IAM client, in each of IAM's three forms (on a
// project, on the account, on all projects of the account): grant, check, list
// and revoke, each answer's fields checked, and each grant and revocation
// checked in what the group's member may then do.

const ENDPOINTS = '/v1/{project_id}/vpc-endpoints';
const SERVICES = '/v1/{project_id}/vpc-endpoint-services';
const REFUSED = { status: 403, code: 'EndPoint.0004' };

for (const dialect of testDialects()) {
  describe(`grants through the official IAM client (${dialect})`, () => {
    let server: TestServer;
    let owner: IamClient;
    let ownerInProject: IamClient;
    let ops: { id: string; keys: Keys; group: string };
    let domainId: string;
    const call = (method: 'GET' | 'POST', url: string) =>
      outcome(
        signedCaller(
          server.url,
          ops.keys,
          server.provider.projectId,
        )({
          method,
          url,
          ...(method === 'POST' ? { data: {} } : {}),
        }),
      );
    /** The roles of a grant list as [id, display_name, type], in order. */
    const held = (res: Record<string, unknown>) =>
      (res.roles as Record<string, unknown>[]).map((r) => [r.id, r.display_name, r.type]);

    before(async () => {
      server = await startTestServer({ dialect });
      const p = server.provider;
      domainId = p.domainId;
      owner = iamClient(server.url, p, p.domainId);
      ownerInProject = iamProjectClient(server.url, p, p.projectId);
      const id = await createUser(owner, p.domainId, 'ops', 'Ops-user-pass1');
      const group = await createGroup(owner, 'ops');
      await addToGroup(owner, group, id);
      ops = { id, keys: await createKey(owner, id), group };
    });
    after(async () => server?.close());

    test('on a project: grant, check, list, revoke; the revoked policy stops at once', async () => {
      const policy = await createPolicy(owner, 'endpoints-list', [
        { Effect: 'Allow', Action: ['vpcep:endpoints:list'] },
      ]);
      const check = new KeystoneCheckProjectPermissionForGroupRequest()
        .withGroupId(ops.group)
        .withRoleId(policy);
      const list = new KeystoneListProjectPermissionsForGroupRequest().withGroupId(ops.group);
      assert.deepEqual(await outcome(ownerInProject.keystoneCheckProjectPermissionForGroup(check)), {
        status: 404,
        code: undefined,
      });
      assert.deepEqual(await call('GET', ENDPOINTS), REFUSED);

      await grantOnProject(ownerInProject, ops.group, policy);
      await answer(ownerInProject.keystoneCheckProjectPermissionForGroup(check), 204);
      const listed = await answer(ownerInProject.keystoneListProjectPermissionsForGroup(list), 200);
      assert.deepEqual(held(listed), [[policy, 'endpoints-list', 'XA']]);
      const role = (listed.roles as Record<string, unknown>[])[0]!;
      assert.equal(role.catalog, 'CUSTOMED');
      assert.deepEqual(role.policy, {
        Version: '1.1',
        Statement: [{ Effect: 'Allow', Action: ['vpcep:endpoints:list'] }],
      });
      assert.deepEqual(await call('GET', ENDPOINTS), { status: 200 });

      await answer(
        ownerInProject.keystoneRemoveProjectPermissionFromGroup(
          new KeystoneRemoveProjectPermissionFromGroupRequest().withGroupId(ops.group).withRoleId(policy),
        ),
        204,
      );
      assert.deepEqual(await outcome(ownerInProject.keystoneCheckProjectPermissionForGroup(check)), {
        status: 404,
        code: undefined,
      });
      assert.deepEqual(
        held(await answer(ownerInProject.keystoneListProjectPermissionsForGroup(list), 200)),
        [],
      );
      assert.deepEqual(await call('GET', ENDPOINTS), REFUSED);
    });

    test('on the account: grant, check, list, revoke; Security Administrator opens IAM, not VPCEP', async () => {
      const secAdmin = await systemRoleId(owner, 'Security Administrator');
      const asOps = iamClient(server.url, ops.keys, domainId);
      const listUsers = () => outcome(asOps.keystoneListUsers(new KeystoneListUsersRequest()));
      const check = new KeystoneCheckDomainPermissionForGroupRequest()
        .withDomainId(domainId)
        .withGroupId(ops.group)
        .withRoleId(secAdmin);
      const list = new KeystoneListDomainPermissionsForGroupRequest()
        .withDomainId(domainId)
        .withGroupId(ops.group);
      assert.deepEqual(await listUsers(), { status: 403, code: 'IAM.0003' });

      await answer(
        owner.keystoneAssociateGroupWithDomainPermission(
          new KeystoneAssociateGroupWithDomainPermissionRequest()
            .withDomainId(domainId)
            .withGroupId(ops.group)
            .withRoleId(secAdmin),
        ),
        204,
      );
      await answer(owner.keystoneCheckDomainPermissionForGroup(check), 204);
      const listed = await answer(owner.keystoneListDomainPermissionsForGroup(list), 200);
      assert.deepEqual(held(listed), [[secAdmin, 'Security Administrator', 'AX']]);
      assert.equal((listed.roles as Record<string, unknown>[])[0]!.name, 'secu_admin');
      assert.deepEqual(await listUsers(), { status: 200 });
      const users = await answer(asOps.keystoneListUsers(new KeystoneListUsersRequest()), 200);
      assert.ok((users.users as { name: string }[]).some((u) => u.name === 'ops'));
      // An account grant reaches global services (IAM) only.
      assert.deepEqual(await call('GET', ENDPOINTS), REFUSED);
      // A project-level role is no account grant.
      const vpcepAdmin = await systemRoleId(owner, 'VPCEndpoint Administrator');
      assert.deepEqual(
        await outcome(
          owner.keystoneAssociateGroupWithDomainPermission(
            new KeystoneAssociateGroupWithDomainPermissionRequest()
              .withDomainId(domainId)
              .withGroupId(ops.group)
              .withRoleId(vpcepAdmin),
          ),
        ),
        { status: 400, code: 'IAM.0007' },
      );

      await answer(
        owner.keystoneRemoveDomainPermissionFromGroup(
          new KeystoneRemoveDomainPermissionFromGroupRequest()
            .withDomainId(domainId)
            .withGroupId(ops.group)
            .withRoleId(secAdmin),
        ),
        204,
      );
      assert.deepEqual(await outcome(owner.keystoneCheckDomainPermissionForGroup(check)), {
        status: 404,
        code: undefined,
      });
      assert.deepEqual(held(await answer(owner.keystoneListDomainPermissionsForGroup(list), 200)), []);
      assert.deepEqual(await listUsers(), { status: 403, code: 'IAM.0003' });
    });

    test('on all projects: grant, check, list, revoke; the read-only role reads and is refused writes', async () => {
      const readOnly = await systemRoleId(owner, 'VPCEndpoint ReadOnlyAccess');
      const check = new KeystoneCheckroleForGroupRequest()
        .withDomainId(domainId)
        .withGroupId(ops.group)
        .withRoleId(readOnly);
      const list = new KeystoneListAllProjectPermissionsForGroupRequest()
        .withDomainId(domainId)
        .withGroupId(ops.group);
      assert.deepEqual(await call('GET', SERVICES), REFUSED);

      await answer(
        owner.updateDomainGroupInheritRole(
          new UpdateDomainGroupInheritRoleRequest()
            .withDomainId(domainId)
            .withGroupId(ops.group)
            .withRoleId(readOnly),
        ),
        204,
      );
      await answer(owner.keystoneCheckroleForGroup(check), 204);
      const listed = await answer(owner.keystoneListAllProjectPermissionsForGroup(list), 200);
      assert.deepEqual(held(listed), [[readOnly, 'VPCEndpoint ReadOnlyAccess', 'XA']]);
      assert.deepEqual(await call('GET', SERVICES), { status: 200 });
      assert.deepEqual(await call('GET', ENDPOINTS), { status: 200 });
      assert.deepEqual(await call('POST', ENDPOINTS), REFUSED);

      await answer(
        owner.deleteDomainGroupInheritedRole(
          new DeleteDomainGroupInheritedRoleRequest()
            .withDomainId(domainId)
            .withGroupId(ops.group)
            .withRoleId(readOnly),
        ),
        204,
      );
      assert.deepEqual(await outcome(owner.keystoneCheckroleForGroup(check)), {
        status: 404,
        code: undefined,
      });
      assert.deepEqual(held(await answer(owner.keystoneListAllProjectPermissionsForGroup(list), 200)), []);
      assert.deepEqual(await call('GET', SERVICES), REFUSED);
    });
  });
}
