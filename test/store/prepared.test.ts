// prepared(): a query compiled once must still answer each call with that
// call's own arguments, inside and outside transactions, on both dialects, and
// a builder that would bake an argument into the SQL is refused at once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql, type SqlBool } from 'kysely';
import { prepared } from '../../src/store/prepared.ts';
import { openStore, type Store } from '../../src/store/open.ts';
import { freshDatabase, testDialects, type TestDatabase } from '../support/db.ts';

const settingOf = prepared((db, name: string) =>
  db.selectFrom('settings').select(['key', 'value']).where('key', '=', name),
);

for (const dialect of testDialects()) {
  describe(`prepared queries (${dialect})`, () => {
    let database: TestDatabase;
    let store: Store;

    before(async () => {
      database = await freshDatabase(dialect);
      store = await openStore(database.url);
      await store.db
        .insertInto('settings')
        .values([
          { key: 'a', value: 'first' },
          { key: 'b', value: "it's 'quoted' ; odd" },
        ])
        .execute();
    });
    after(async () => {
      await store.close();
      await database.drop();
    });

    test('each call binds its own arguments', async () => {
      assert.deepEqual(await settingOf(store.db, 'a'), [{ key: 'a', value: 'first' }]);
      assert.deepEqual(await settingOf(store.db, 'b'), [{ key: 'b', value: "it's 'quoted' ; odd" }]);
      // What looks like SQL stays a value.
      assert.deepEqual(await settingOf(store.db, "a' OR '1'='1"), []);
      const inside = await store.db.transaction().execute((trx) => settingOf(trx, 'a'));
      assert.deepEqual(inside, [{ key: 'a', value: 'first' }]);
    });

    test('a builder that does not pass an argument through as a parameter is refused', async () => {
      const baked = prepared((db, name: string) =>
        db
          .selectFrom('settings')
          .select('value')
          .where(sql.raw<SqlBool>(`key = '${name.length}'`)),
      );
      await assert.rejects(baked(store.db, 'a'), /argument 0 must be bound exactly once/);
      const changed = prepared((db, name: string) =>
        db.selectFrom('settings').select('value').where('key', '=', `${name}%`),
      );
      await assert.rejects(changed(store.db, 'a'), /argument 0 must be bound exactly once/);
    });
  });
}
