import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Migrator } from 'kysely';
import {
  KeystoneDeleteUserRequest,
  KeystoneListUsersRequest,
} from '@huaweicloud/huaweicloud-sdk-iam/v3/public-api.js';
import { hashPassword } from '../../src/auth/password.ts';
import { loadConfig } from '../../src/config/load.ts';
import { startServer } from '../../src/main.ts';
import { migrationProvider } from '../../src/store/migrations/index.ts';
import { openStore } from '../../src/store/open.ts';
import { freshDatabase, testDialects } from '../support/db.ts';
import { sdkClient } from '../support/sdk.ts';
import { iamClient, outcome, userToken, withToken } from './iam.support.ts';

// A store written before IAM users existed (migrations up to 0003, rows as that
// schema held them) opened by this version: every user keeps every right it had,
// the earliest user of each account becomes its own user, and nothing is lost.

const A = {
  id: 'a0000000000000000000000000000001',
  name: 'acme',
  project: 'b0000000000000000000000000000001',
};
const B = {
  id: 'a0000000000000000000000000000002',
  name: 'other',
  project: 'b0000000000000000000000000000002',
};
const USERS = [
  {
    id: 'c0000000000000000000000000000001',
    domain: A.id,
    name: 'first',
    ak: 'FIRSTAK0123456789ABC',
    at: 1000,
  },
  {
    id: 'c0000000000000000000000000000002',
    domain: A.id,
    name: 'second',
    ak: 'SECONDAK0123456789AB',
    at: 2000,
  },
  { id: 'c0000000000000000000000000000003', domain: B.id, name: 'solo', ak: 'SOLOAK0123456789ABCD', at: 500 },
];
const SK = 'OLDSTORESK0123456789abcdefghijklmnopqrst';
const PASSWORD = 'old-store-password';

async function writeOldStore(url: string): Promise<void> {
  const store = await openStore(url, { migrate: false });
  try {
    const migrator = new Migrator({ db: store.db, provider: migrationProvider(store.dialect) });
    const { error } = await migrator.migrateTo('0003_vpcep');
    assert.equal(error, undefined);
    const hash = await hashPassword(PASSWORD);
    for (const d of [A, B]) {
      await store.db.insertInto('domains').values({ id: d.id, name: d.name, created_at: 1 }).execute();
      await store.db
        .insertInto('projects')
        .values({ id: d.project, domain_id: d.id, name: 'tr-west-1', created_at: 1 })
        .execute();
    }
    for (const u of USERS) {
      // Only the columns 0003's schema has: the new ones must come from the migration.
      await store.db
        .insertInto('users')
        .values({
          id: u.id,
          domain_id: u.domain,
          name: u.name,
          password_hash: hash,
          created_at: u.at,
        })
        .execute();
      await store.db
        .insertInto('access_keys')
        .values({ ak: u.ak, sk: SK, user_id: u.id, created_at: u.at })
        .execute();
    }
  } finally {
    await store.close();
  }
}

for (const dialect of testDialects()) {
  describe(`upgrading a store written before IAM users (${dialect})`, () => {
    test('every user keeps its rights; the earliest user of each account is its own user', async () => {
      const db = await freshDatabase(dialect);
      try {
        await writeOldStore(db.url);
        const config = loadConfig({
          env: {},
          overrides: {
            listen: '127.0.0.1:0',
            database: db.url,
            log_level: 'silent',
            demo_account: false,
            roles: ['api'],
            accounts: [],
          },
        });
        const running = await startServer(config);
        try {
          const url = running.url;
          for (const u of USERS) {
            const project = u.domain === A.id ? A.project : B.project;
            const call = sdkClient(url, { ak: u.ak, sk: SK, projectId: project });
            // Everything the user could do before: VPCEP and VPC reads and writes.
            const vpc = await call({
              method: 'POST',
              url: '/v1/{project_id}/vpcs',
              data: { vpc: { name: `vpc-${u.name}`, cidr: '10.0.0.0/16' } },
            });
            assert.equal(vpc.httpStatusCode, 200, u.name);
            for (const path of [
              '/v1/{project_id}/vpc-endpoints',
              '/v1/{project_id}/vpc-endpoint-services',
              '/v1/{project_id}/quotas',
            ]) {
              assert.equal(
                (await outcome(call({ method: 'GET', url: path }))).status,
                200,
                `${u.name} ${path}`,
              );
            }
            // And the new IAM management, as every user of the account's admin group.
            const iam = iamClient(url, { ak: u.ak, sk: SK }, u.domain);
            const listed = (await iam.keystoneListUsers(new KeystoneListUsersRequest())) as unknown as {
              users: { id: string }[];
            };
            assert.ok(listed.users.some((x) => x.id === u.id));
            const t = await userToken(
              url,
              { domainName: u.domain === A.id ? A.name : B.name, projectId: project },
              u.name,
              PASSWORD,
            );
            assert.equal(t.status, 201, `${u.name} signs in`);
            const self = await withToken(url, t.token!, 'GET', `/v3.0/OS-USER/users/${u.id}`);
            const owner = u.name !== 'second';
            assert.equal((self.json?.user as { is_domain_owner: boolean }).is_domain_owner, owner, u.name);
            const groups = await withToken(url, t.token!, 'GET', `/v3/users/${u.id}/groups`);
            assert.deepEqual(
              (groups.json?.groups as { name: string }[]).map((g) => g.name),
              ['admin'],
            );
          }
          // The own user cannot be deleted; the other one can, by the own user.
          const firstIam = iamClient(url, { ak: USERS[0]!.ak, sk: SK }, A.id);
          const refused = await outcome(
            firstIam.keystoneDeleteUser(new KeystoneDeleteUserRequest().withUserId(USERS[0]!.id)),
          );
          assert.deepEqual(refused, { status: 400, code: '1107' });
          const second = await outcome(
            firstIam.keystoneDeleteUser(new KeystoneDeleteUserRequest().withUserId(USERS[1]!.id)),
          );
          assert.deepEqual(second, { status: 204 });
          // Its key stops working at once.
          const gone = sdkClient(url, { ak: USERS[1]!.ak, sk: SK, projectId: A.project });
          assert.deepEqual(await outcome(gone({ method: 'GET', url: '/v1/{project_id}/vpcs' })), {
            status: 401,
            code: 'EndPoint.0003',
          });
        } finally {
          await running.close();
        }
      } finally {
        await db.drop();
      }
    });
  });
}
