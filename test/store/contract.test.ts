import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { IdentityRepository } from '../../src/identity/repository.ts';
import { seedAccounts } from '../../src/identity/seed.ts';
import { isUniqueViolation, migrate, openStore, type Store } from '../../src/store/open.ts';
import { releaseQuota, takeQuotaUnit, usageOf } from '../../src/vpcep/shared/usage.ts';
import { freshDatabase, testDialects, type TestDatabase } from '../support/db.ts';

// One contract, every store: the repositories must behave the same on SQLite
// and on PostgreSQL (types of returned values included).

const clock = { now: () => 1_700_000_000_000 };

for (const dialect of testDialects()) {
  describe(`store contract (${dialect})`, () => {
    let database: TestDatabase;
    let store: Store;
    let repo: IdentityRepository;
    before(async () => {
      database = await freshDatabase(dialect);
      store = await openStore(database.url);
      repo = new IdentityRepository(store.db);
      await seedAccounts(
        store.db,
        [
          {
            name: 'acme',
            id: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
            projects: [
              { id: 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', name: 'tr-west-1' },
              { id: 'cccccccccccccccccccccccccccccccc', name: 'eu-de' },
            ],
            users: [
              { name: 'ops', access_keys: [{ ak: 'ACMEAK00000000000000', sk: 'ACMESK000000000000000000' }] },
            ],
          },
        ],
        'tr-west-1',
        clock,
      );
    });
    after(async () => {
      await store.close();
      await database.drop();
    });

    test('migrations are idempotent', async () => {
      await migrate(store.db, store.dialect);
      assert.equal(await repo.countDomains(), 1);
    });

    test('look-ups return the same shapes and types', async () => {
      const domain = await repo.findDomainByName('acme');
      assert.deepEqual(domain, {
        id: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
        name: 'acme',
        created_at: clock.now(),
      });
      assert.equal(typeof domain?.created_at, 'number');
      const key = await repo.findAccessKey('ACMEAK00000000000000');
      assert.equal(key?.domainName, 'acme');
      assert.equal(key?.userName, 'ops');
      assert.equal(key?.sk, 'ACMESK000000000000000000');
      assert.equal(await repo.findAccessKey('NOPE'), undefined);
      const projects = await repo.listProjects('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');
      assert.deepEqual(projects.map((p) => p.name).sort(), ['eu-de', 'tr-west-1']);
      const named = await repo.listProjects('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'eu-de');
      assert.deepEqual(
        named.map((p) => p.id),
        ['cccccccccccccccccccccccccccccccc'],
      );
      const user = await repo.findUser('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'ops');
      assert.equal(user?.password_hash, null);
    });

    test('seeding again changes nothing and updates keys in place', async () => {
      await seedAccounts(
        store.db,
        [
          {
            name: 'acme',
            users: [
              { name: 'ops', access_keys: [{ ak: 'ACMEAK00000000000000', sk: 'NEWSK0000000000000000000' }] },
            ],
          },
        ],
        'tr-west-1',
        clock,
      );
      assert.equal(await repo.countDomains(), 1);
      assert.equal((await repo.findAccessKey('ACMEAK00000000000000'))?.sk, 'NEWSK0000000000000000000');
    });

    test('settings: the first writer wins', async () => {
      assert.equal(await repo.ensureSetting('k', 'one'), 'one');
      assert.equal(await repo.ensureSetting('k', 'two'), 'one');
    });

    test('unique violations are recognised on both drivers', async () => {
      let caught: unknown;
      try {
        await store.db.insertInto('domains').values({ id: 'x', name: 'acme', created_at: 1 }).execute();
      } catch (err) {
        caught = err;
      }
      assert.ok(isUniqueViolation(caught), String(caught));
      assert.equal(isUniqueViolation(new Error('other')), false);
    });

    test('quota units cannot be over-taken, even concurrently', async () => {
      const project = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
      const attempts = await Promise.allSettled(
        Array.from({ length: 8 }, () =>
          store.db.transaction().execute(async (trx) => {
            if (!(await takeQuotaUnit(trx, project, 'endpoint', 5))) throw new Error('no unit left');
          }),
        ),
      );
      assert.equal(attempts.filter((a) => a.status === 'fulfilled').length, 5);
      assert.equal(await usageOf(store.db, project, 'endpoint'), 5);
      await releaseQuota(store.db, project, 'endpoint');
      assert.equal(await usageOf(store.db, project, 'endpoint'), 4);
      const used = await usageOf(store.db, project, 'endpoint');
      assert.equal(typeof used, 'number');
    });

    test('transactions roll back as a whole', async () => {
      await assert.rejects(
        store.db.transaction().execute(async (trx) => {
          await trx.insertInto('settings').values({ key: 'rolled', value: 'x' }).execute();
          throw new Error('abort');
        }),
      );
      assert.equal(await repo.getSetting('rolled'), undefined);
    });
  });
}
