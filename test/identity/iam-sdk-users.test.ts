import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  KeystoneAddUserToGroupRequest,
  KeystoneCheckUserInGroupRequest,
  KeystoneDeleteGroupRequest,
  KeystoneListGroupsForUserRequest,
  KeystoneListGroupsRequest,
  KeystoneListUsersForGroupByAdminRequest,
  KeystoneListUsersRequest,
  KeystoneRemoveUserFromGroupRequest,
  KeystoneShowGroupRequest,
  KeystoneShowUserRequest,
  KeystoneUpdateGroupOption,
  KeystoneUpdateGroupRequest,
  KeystoneUpdateGroupRequestBody,
  KeystoneUpdateUserByAdminRequest,
  KeystoneUpdateUserByAdminRequestBody,
  KeystoneUpdatePasswordOption,
  KeystoneUpdateUserOption,
  KeystoneUpdateUserPasswordRequest,
  KeystoneUpdateUserPasswordRequestBody,
  ShowUserRequest,
  UpdateUserInformationOption,
  UpdateUserInformationRequest,
  UpdateUserInformationRequestBody,
  UpdateUserOption,
  UpdateUserRequest,
  UpdateUserRequestBody,
  type IamClient,
} from '@huaweicloud/huaweicloud-sdk-iam/v3/public-api.js';
import { testDialects } from '../support/db.ts';
import type { TestServer } from '../support/server.ts';
import {
  answer,
  createGroup,
  iamClient,
  devBed,
  outcome,
  pick,
  userToken,
  type DevBed,
  type Member,
} from './iam.support.ts';

// The official IAM client on the user, group and membership operations
// beyond the scenario of iam-sdk.test.ts: users shown and changed through both
// APIs and by themselves, groups and memberships listed, shown, changed and
// deleted. Each answer's fields are checked as the client hands them over, and
// each change where it matters: in what the user may then do. Policies and
// keys: iam-sdk-policies-keys.test.ts; grants: iam-sdk-grants.test.ts.

for (const dialect of testDialects()) {
  describe(`IAM users, groups and memberships through the official IAM client (${dialect})`, () => {
    let server: TestServer;
    let owner: IamClient;
    let dev: Member;
    let lists: DevBed['lists'];

    before(async () => {
      ({ server, owner, dev, lists } = await devBed(dialect));
    });
    after(async () => server?.close());

    test('users: show and update through both APIs; a disabled user is refused until enabled', async () => {
      const p = server.provider;
      const shown = await answer(owner.showUser(new ShowUserRequest().withUserId(dev.id)), 200);
      assert.deepEqual(
        pick(shown.user, ['id', 'name', 'domain_id', 'enabled', 'is_domain_owner', 'email', 'description']),
        {
          id: dev.id,
          name: 'dev',
          domain_id: p.domainId,
          enabled: true,
          is_domain_owner: false,
          email: '',
          description: '',
        },
      );
      assert.match(String(rec(shown.user).create_time), /^\d{4}-\d{2}-\d{2}T/);
      const keystone = await answer(
        owner.keystoneShowUser(new KeystoneShowUserRequest().withUserId(dev.id)),
        200,
      );
      assert.deepEqual(pick(keystone.user, ['id', 'name', 'domain_id', 'enabled']), {
        id: dev.id,
        name: 'dev',
        domain_id: p.domainId,
        enabled: true,
      });
      assert.equal(rec(rec(keystone.user).links).self, `${server.url}/v3/users/${dev.id}`);

      const option = new UpdateUserOption().withDescription('builds things').withEmail('dev@example.com');
      const updated = await answer(
        owner.updateUser(
          new UpdateUserRequest().withUserId(dev.id).withBody(new UpdateUserRequestBody().withUser(option)),
        ),
        200,
      );
      assert.deepEqual(pick(updated.user, ['id', 'name', 'description', 'email', 'enabled']), {
        id: dev.id,
        name: 'dev',
        description: 'builds things',
        email: 'dev@example.com',
        enabled: true,
      });

      const disable = new KeystoneUpdateUserOption().withEnabled(false);
      const disabled = await answer(
        owner.keystoneUpdateUserByAdmin(
          new KeystoneUpdateUserByAdminRequest()
            .withUserId(dev.id)
            .withBody(new KeystoneUpdateUserByAdminRequestBody().withUser(disable)),
        ),
        200,
      );
      assert.deepEqual(pick(disabled.user, ['id', 'enabled', 'description']), {
        id: dev.id,
        enabled: false,
        description: 'builds things',
      });
      assert.deepEqual(await lists(dev.keys), { status: 401, code: 'EndPoint.0003' });
      const shownDisabled = await answer(owner.showUser(new ShowUserRequest().withUserId(dev.id)), 200);
      assert.equal(rec(shownDisabled.user).enabled, false);

      const enable = new UpdateUserOption().withEnabled(true);
      await answer(
        owner.updateUser(
          new UpdateUserRequest().withUserId(dev.id).withBody(new UpdateUserRequestBody().withUser(enable)),
        ),
        200,
      );
      assert.deepEqual(await lists(dev.keys), { status: 200 });
      // Its own record is the user's to read; the list of users is not.
      const self = iamClient(server.url, dev.keys, p.domainId);
      const own = await answer(self.keystoneShowUser(new KeystoneShowUserRequest().withUserId(dev.id)), 200);
      assert.equal(rec(own.user).id, dev.id);
      assert.deepEqual(await outcome(self.keystoneListUsers(new KeystoneListUsersRequest())), {
        status: 403,
        code: 'IAM.0003',
      });
    });

    test('self-service: the user changes its own email and password through the client', async () => {
      const p = server.provider;
      const self = iamClient(server.url, dev.keys, p.domainId);
      const info = new UpdateUserInformationOption().withEmail('dev@ci.example.com');
      await answer(
        self.updateUserInformation(
          new UpdateUserInformationRequest()
            .withUserId(dev.id)
            .withBody(new UpdateUserInformationRequestBody().withUser(info)),
        ),
        204,
      );
      const shown = await answer(owner.showUser(new ShowUserRequest().withUserId(dev.id)), 200);
      assert.equal(rec(shown.user).email, 'dev@ci.example.com');

      const change = (original: string, next: string) =>
        self.keystoneUpdateUserPassword(
          new KeystoneUpdateUserPasswordRequest()
            .withUserId(dev.id)
            .withBody(
              new KeystoneUpdateUserPasswordRequestBody().withUser(
                new KeystoneUpdatePasswordOption().withOriginalPassword(original).withPassword(next),
              ),
            ),
        );
      assert.deepEqual(await outcome(change('Not-the-password1', 'Dev-user-pass2')), {
        status: 400,
        code: '1103',
      });
      await answer(change('Dev-user-pass1', 'Dev-user-pass2'), 204);
      assert.equal((await userToken(server.url, p, 'dev', 'Dev-user-pass1')).status, 401);
      assert.equal((await userToken(server.url, p, 'dev', 'Dev-user-pass2')).status, 201);
    });

    test('groups: list, show, update, delete; a deleted group is gone', async () => {
      const p = server.provider;
      const all = await answer(owner.keystoneListGroups(new KeystoneListGroupsRequest()), 200);
      assert.deepEqual(names(all.groups), ['admin', 'devs']);
      const byName = await answer(
        owner.keystoneListGroups(new KeystoneListGroupsRequest().withName('devs')),
        200,
      );
      assert.deepEqual(
        (byName.groups as Record<string, unknown>[]).map((g) => pick(g, ['id', 'name', 'domain_id'])),
        [{ id: dev.group, name: 'devs', domain_id: p.domainId }],
      );
      const shown = await answer(
        owner.keystoneShowGroup(new KeystoneShowGroupRequest().withGroupId(dev.group)),
        200,
      );
      assert.deepEqual(pick(shown.group, ['id', 'name', 'description', 'domain_id']), {
        id: dev.group,
        name: 'devs',
        description: '',
        domain_id: p.domainId,
      });
      assert.equal(typeof rec(shown.group).create_time, 'number');

      const change = new KeystoneUpdateGroupOption().withName('developers').withDescription('build and ship');
      const updated = await answer(
        owner.keystoneUpdateGroup(
          new KeystoneUpdateGroupRequest()
            .withGroupId(dev.group)
            .withBody(new KeystoneUpdateGroupRequestBody().withGroup(change)),
        ),
        200,
      );
      assert.deepEqual(pick(updated.group, ['id', 'name', 'description']), {
        id: dev.group,
        name: 'developers',
        description: 'build and ship',
      });
      const again = await answer(
        owner.keystoneShowGroup(new KeystoneShowGroupRequest().withGroupId(dev.group)),
        200,
      );
      assert.equal(rec(again.group).name, 'developers');
      const ofUser = await answer(
        owner.keystoneListGroupsForUser(new KeystoneListGroupsForUserRequest().withUserId(dev.id)),
        200,
      );
      assert.deepEqual(names(ofUser.groups), ['developers']);

      const temp = await createGroup(owner, 'short-lived');
      await answer(owner.keystoneDeleteGroup(new KeystoneDeleteGroupRequest().withGroupId(temp)), 204);
      assert.deepEqual(
        await outcome(owner.keystoneShowGroup(new KeystoneShowGroupRequest().withGroupId(temp))),
        {
          status: 404,
          code: 'IAM.0004',
        },
      );
      const left = await answer(owner.keystoneListGroups(new KeystoneListGroupsRequest()), 200);
      assert.deepEqual(names(left.groups), ['admin', 'developers']);
    });

    test('memberships: check, list, remove; a removed member loses the group rights', async () => {
      const member = new KeystoneCheckUserInGroupRequest().withGroupId(dev.group).withUserId(dev.id);
      await answer(owner.keystoneCheckUserInGroup(member), 204);
      const members = await answer(
        owner.keystoneListUsersForGroupByAdmin(
          new KeystoneListUsersForGroupByAdminRequest().withGroupId(dev.group),
        ),
        200,
      );
      assert.deepEqual(
        (members.users as Record<string, unknown>[]).map((u) => pick(u, ['id', 'name', 'enabled'])),
        [{ id: dev.id, name: 'dev', enabled: true }],
      );

      await answer(
        owner.keystoneRemoveUserFromGroup(
          new KeystoneRemoveUserFromGroupRequest().withGroupId(dev.group).withUserId(dev.id),
        ),
        204,
      );
      assert.deepEqual(await outcome(owner.keystoneCheckUserInGroup(member)), {
        status: 404,
        code: undefined,
      });
      const none = await answer(
        owner.keystoneListUsersForGroupByAdmin(
          new KeystoneListUsersForGroupByAdminRequest().withGroupId(dev.group),
        ),
        200,
      );
      assert.deepEqual(none.users, []);
      assert.deepEqual(await lists(dev.keys), { status: 403, code: 'EndPoint.0004' });

      await owner.keystoneAddUserToGroup(
        new KeystoneAddUserToGroupRequest().withGroupId(dev.group).withUserId(dev.id),
      );
      await answer(owner.keystoneCheckUserInGroup(member), 204);
      assert.deepEqual(await lists(dev.keys), { status: 200 });
    });
  });
}

const rec = (v: unknown) => v as Record<string, unknown>;
const names = (v: unknown) => (v as { name: string }[]).map((g) => g.name).sort();
