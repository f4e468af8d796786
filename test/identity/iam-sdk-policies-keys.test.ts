import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  DeleteCustomPolicyRequest,
  DeletePermanentAccessKeyRequest,
  KeystoneShowPermissionRequest,
  ListCustomPoliciesRequest,
  ListPermanentAccessKeysRequest,
  ShowCustomPolicyRequest,
  ShowPermanentAccessKeyRequest,
  UpdateCredentialOption,
  UpdatePermanentAccessKeyRequest,
  UpdatePermanentAccessKeyRequestBody,
  type IamClient,
} from '@huaweicloud/huaweicloud-sdk-iam/v3/public-api.js';
import { testDialects } from '../support/db.ts';
import type { TestServer } from '../support/server.ts';
import {
  answer,
  createKey,
  createPolicy,
  iamClient,
  devBed,
  outcome,
  pick,
  type DevBed,
  type Member,
} from './iam.support.ts';

// The official IAM client on custom policies and access keys: listed, shown,
// changed and deleted, each answer's fields checked as the client hands them
// over, and each change where it matters: in what the key's user may then do.

for (const dialect of testDialects()) {
  describe(`IAM custom policies and access keys through the official IAM client (${dialect})`, () => {
    let server: TestServer;
    let owner: IamClient;
    let dev: Member;
    let lists: DevBed['lists'];

    before(async () => {
      ({ server, owner, dev, lists } = await devBed(dialect));
    });
    after(async () => server?.close());

    test('custom policies: list, show, delete; a granted policy cannot be deleted', async () => {
      const p = server.provider;
      const spare = await createPolicy(
        owner,
        'spare',
        [{ Effect: 'Deny', Action: ['vpcep:*:delete'] }],
        'AX',
      );
      const listed = await answer(owner.listCustomPolicies(new ListCustomPoliciesRequest()), 200);
      assert.equal(listed.total_number, 2);
      const roles = listed.roles as Record<string, unknown>[];
      assert.deepEqual(
        roles.map((r) => pick(r, ['id', 'display_name', 'type', 'catalog', 'domain_id'])),
        [
          {
            id: dev.policy,
            display_name: 'dev-policy',
            type: 'XA',
            catalog: 'CUSTOMED',
            domain_id: p.domainId,
          },
          { id: spare, display_name: 'spare', type: 'AX', catalog: 'CUSTOMED', domain_id: p.domainId },
        ],
      );
      const page = await answer(
        owner.listCustomPolicies(new ListCustomPoliciesRequest().withPage(2).withPerPage(1)),
        200,
      );
      assert.deepEqual(
        (page.roles as Record<string, unknown>[]).map((r) => r.id),
        [spare],
      );
      assert.equal(page.total_number, 2);

      const shown = await answer(
        owner.showCustomPolicy(new ShowCustomPolicyRequest().withRoleId(dev.policy)),
        200,
      );
      const role = rec(shown.role);
      assert.deepEqual(pick(role, ['id', 'display_name', 'type', 'description', 'references']), {
        id: dev.policy,
        display_name: 'dev-policy',
        type: 'XA',
        description: 'dev-policy (test)',
        references: 1,
      });
      assert.deepEqual(role.policy, {
        Version: '1.1',
        Statement: [{ Effect: 'Allow', Action: ['vpcep:endpoints:list'] }],
      });
      assert.match(String(role.name), /^custom_[0-9a-f]{32}_\d+$/);
      const keystone = await answer(
        owner.keystoneShowPermission(new KeystoneShowPermissionRequest().withRoleId(spare)),
        200,
      );
      assert.deepEqual(pick(keystone.role, ['id', 'display_name', 'type']), {
        id: spare,
        display_name: 'spare',
        type: 'AX',
      });

      assert.deepEqual(
        await outcome(owner.deleteCustomPolicy(new DeleteCustomPolicyRequest().withRoleId(dev.policy))),
        {
          status: 409,
          code: 'IAM.0005',
        },
      );
      assert.deepEqual(await lists(dev.keys), { status: 200 });
      await answer(owner.deleteCustomPolicy(new DeleteCustomPolicyRequest().withRoleId(spare)), 200);
      assert.deepEqual(
        await outcome(owner.showCustomPolicy(new ShowCustomPolicyRequest().withRoleId(spare))),
        {
          status: 404,
          code: 'IAM.0004',
        },
      );
      const after = await answer(owner.listCustomPolicies(new ListCustomPoliciesRequest()), 200);
      assert.deepEqual(
        (after.roles as Record<string, unknown>[]).map((r) => r.id),
        [dev.policy],
      );
    });

    test('access keys: list, show, update, delete; an inactive or deleted key is refused', async () => {
      const second = await createKey(owner, dev.id);
      const listed = await answer(
        owner.listPermanentAccessKeys(new ListPermanentAccessKeysRequest().withUserId(dev.id)),
        200,
      );
      const keys = listed.credentials as Record<string, unknown>[];
      assert.deepEqual(
        keys
          .map((k) => pick(k, ['user_id', 'access', 'status']))
          .sort((a, b) => String(a.access).localeCompare(String(b.access))),
        [dev.keys.ak, second.ak].sort().map((access) => ({ user_id: dev.id, access, status: 'active' })),
      );
      assert.ok(
        keys.every((k) => !('secret' in k)),
        'a list never shows a secret',
      );
      // The user lists its own keys without naming itself.
      const self = iamClient(server.url, dev.keys, server.provider.domainId);
      const own = await answer(self.listPermanentAccessKeys(new ListPermanentAccessKeysRequest()), 200);
      assert.equal((own.credentials as unknown[]).length, 2);

      const shown = await answer(
        owner.showPermanentAccessKey(new ShowPermanentAccessKeyRequest().withAccessKey(second.ak)),
        200,
      );
      const cred = rec(shown.credential);
      assert.deepEqual(pick(cred, ['user_id', 'access', 'status', 'description']), {
        user_id: dev.id,
        access: second.ak,
        status: 'active',
        description: '',
      });
      assert.match(String(cred.create_time), /^\d{4}-\d{2}-\d{2}T/);
      assert.ok(!('secret' in cred));

      const inactive = new UpdateCredentialOption().withStatus('inactive').withDescription('rotated out');
      const updated = await answer(
        owner.updatePermanentAccessKey(
          new UpdatePermanentAccessKeyRequest()
            .withAccessKey(second.ak)
            .withBody(new UpdatePermanentAccessKeyRequestBody().withCredential(inactive)),
        ),
        200,
      );
      assert.deepEqual(pick(updated.credential, ['access', 'status', 'description']), {
        access: second.ak,
        status: 'inactive',
        description: 'rotated out',
      });
      assert.deepEqual(await lists(second), { status: 401, code: 'EndPoint.0003' });
      assert.deepEqual(await lists(dev.keys), { status: 200 }, 'the other key still works');

      await answer(
        owner.deletePermanentAccessKey(new DeletePermanentAccessKeyRequest().withAccessKey(second.ak)),
        204,
      );
      assert.deepEqual(
        await outcome(
          owner.showPermanentAccessKey(new ShowPermanentAccessKeyRequest().withAccessKey(second.ak)),
        ),
        { status: 404, code: 'IAM.0004' },
      );
      assert.deepEqual(await lists(second), { status: 401, code: 'EndPoint.0003' });
      const left = await answer(
        owner.listPermanentAccessKeys(new ListPermanentAccessKeysRequest().withUserId(dev.id)),
        200,
      );
      assert.deepEqual(
        (left.credentials as Record<string, unknown>[]).map((k) => k.access),
        [dev.keys.ak],
      );
    });
  });
}

const rec = (v: unknown) => v as Record<string, unknown>;
