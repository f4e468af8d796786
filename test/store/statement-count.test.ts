// The store's statement count (vpcep_store_statements_total) is what proves
// that a cached request runs no statement, so it must miss none: a Kysely
// query, a prepared read (on SQLite, on the read-only connection, with its
// version probe), each
// statement of a transaction, and the job worker's pool all count, once each.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openStore, type Store } from '../../src/store/open.ts';
import { prepared } from '../../src/store/prepared.ts';
import { freshDatabase, testDialects, type TestDatabase } from '../support/db.ts';

const settingOf = prepared((db, name: string) =>
  db.selectFrom('settings').select(['key', 'value']).where('key', '=', name),
);

for (const dialect of testDialects()) {
  describe(`the store counts every statement it runs (${dialect})`, () => {
    let database: TestDatabase;
    let store: Store;
    const cost = async (run: () => Promise<unknown>) => {
      const before = store.statementsRun();
      await run();
      return store.statementsRun() - before;
    };

    before(async () => {
      database = await freshDatabase(dialect);
      store = await openStore(database.url);
    });
    after(async () => {
      await store?.close();
      await database.drop();
    });

    test('a query, a prepared read and a job-pool query count one each', async () => {
      assert.equal(await cost(() => store.db.selectFrom('settings').selectAll().execute()), 1);
      // On SQLite the read-only connection first asks whether anything was
      // committed (PRAGMA data_version, a statement too), then reads; asked
      // again with nothing committed, it answers from memory after the probe.
      assert.equal(await cost(() => settingOf(store.db, 'a')), dialect === 'sqlite' ? 2 : 1);
      assert.equal(await cost(() => settingOf(store.db, 'a')), 1);
      assert.equal(await cost(() => store.jobsDb.selectFrom('settings').selectAll().execute()), 1);
      assert.equal(await cost(async () => undefined), 0);
    });

    test('a transaction counts its begin, its statements and its commit', async () => {
      const inserted = await cost(() =>
        store.db.transaction().execute(async (trx) => {
          await trx.insertInto('settings').values({ key: 'counted', value: 'x' }).execute();
          return settingOf(trx, 'counted');
        }),
      );
      assert.equal(inserted, 4);
    });
  });
}
