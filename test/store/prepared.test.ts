// prepared(): a query compiled once must still answer each call with that
// call's own arguments, inside and outside transactions, on both dialects, and
// a builder that would bake an argument into the SQL is refused at once. A read
// on the store's handle never waits for, nor sees, another caller's open transaction.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql, type KyselyPlugin, type SqlBool } from 'kysely';
import { prepared, preparedStatement } from '../../src/store/prepared.ts';
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

    test("a read on the store's handle neither waits for an open transaction nor sees its writes", async () => {
      // On SQLite the handle's reads run on a read-only connection of their own
      // (store/direct-reads.ts); through the single write connection this read
      // would queue behind the transaction, which here waits for it: a deadlock.
      const bounded = <T>(p: Promise<T>) =>
        Promise.race([
          p,
          new Promise<never>((_, reject) => {
            setTimeout(() => reject(new Error('the read waited for the open transaction')), 5000).unref();
          }),
        ]);
      await store.db.transaction().execute(async (trx) => {
        await trx.insertInto('settings').values({ key: 'open', value: 'uncommitted' }).execute();
        assert.deepEqual(await bounded(settingOf(store.db, 'open')), []);
        assert.deepEqual(await bounded(settingOf(store.db, 'a')), [{ key: 'a', value: 'first' }]);
        // The transaction's own reads see its own writes.
        assert.deepEqual(await settingOf(trx, 'open'), [{ key: 'open', value: 'uncommitted' }]);
      });
      // Once committed, the next read sees it at once.
      assert.deepEqual(await settingOf(store.db, 'open'), [{ key: 'open', value: 'uncommitted' }]);
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

    test('a compiled-once statement belongs to its transaction: its writes go with a rollback, and a handle kept after the end is refused', async () => {
      // On SQLite these run straight on the transaction's hold of the write
      // connection (batched-commits.ts syncRunnerOf), not through Kysely's executor.
      const put = preparedStatement((db, key: string, value: string) =>
        db.insertInto('settings').values({ key, value }),
      );
      const read = preparedStatement((db, key: string) =>
        db.selectFrom('settings').select('value').where('key', '=', key),
      );
      await assert.rejects(
        store.db.transaction().execute(async (trx) => {
          await put(trx, 'rolled', 'back');
          assert.deepEqual(await read(trx, 'rolled'), [{ value: 'back' }]);
          // Mixed with a built statement of the same transaction, in order.
          await trx.updateTable('settings').set({ value: 'changed' }).where('key', '=', 'rolled').execute();
          assert.deepEqual(await read(trx, 'rolled'), [{ value: 'changed' }]);
          throw new Error('undo');
        }),
        /undo/,
      );
      assert.deepEqual(await settingOf(store.db, 'rolled'), []);

      let kept: Parameters<typeof put>[0] | undefined;
      await store.db.transaction().execute(async (trx) => {
        await put(trx, 'kept', 'v');
        kept = trx;
      });
      assert.deepEqual(await settingOf(store.db, 'kept'), [{ key: 'kept', value: 'v' }]);
      // A statement on a transaction that has ended must not land in whichever
      // transaction holds the connection now, nor run on its own.
      await assert.rejects(put(kept!, 'late', 'v'));
      await store.db.transaction().execute(async (trx) => {
        await put(trx, 'next', 'v');
        await assert.rejects(put(kept!, 'late', 'v'));
      });
      assert.deepEqual(await settingOf(store.db, 'late'), []);
      assert.deepEqual(await settingOf(store.db, 'next'), [{ key: 'next', value: 'v' }]);
    });

    test("a handle's plugins see every compiled-once statement, as they see a built one", async () => {
      // The job worker's deadline guard is such a plugin (src/jobs/deadline.ts):
      // a statement it refuses must not reach the database.
      const refusing: KyselyPlugin = {
        transformQuery() {
          throw new Error('refused by the plugin');
        },
        transformResult: async (args) => args.result,
      };
      const setValue = preparedStatement((db, key: string, value: string) =>
        db.updateTable('settings').set({ value }).where('key', '=', key),
      );
      await setValue(store.db, 'a', 'first');
      await store.db.transaction().execute(async (trx) => {
        const guarded = trx.withPlugin(refusing);
        await assert.rejects(setValue(guarded, 'a', 'changed'), /refused by the plugin/);
        await assert.rejects(settingOf(guarded, 'a'), /refused by the plugin/);
      });
      assert.deepEqual(await settingOf(store.db, 'a'), [{ key: 'a', value: 'first' }]);
    });

    // SQLite's reads count their version probe too (test/store/answer-cache.test.ts).
    if (dialect === 'postgres') {
      test('each read is one statement, counted', async () => {
        for (const key of ['a', 'b', 'missing']) {
          const before = store.statementsRun();
          await settingOf(store.db, key);
          assert.equal(store.statementsRun() - before, 1, key);
        }
      });
    }

    // Last: it changes the table. On PostgreSQL the reads are named prepared
    // statements whose plans hold the table's shape (store/named-reads.ts).
    test('a read keeps answering after another node adds a column to its table', async () => {
      const wholeSetting = prepared((db, key: string) =>
        db.selectFrom('settings').selectAll().where('key', '=', key),
      );
      // More reads at once than the pool has connections: each has planned it.
      const reads = () => Promise.all(Array.from({ length: 30 }, () => wholeSetting(store.db, 'a')));
      for (const rows of await reads()) assert.deepEqual(rows, [{ key: 'a', value: 'first' }]);
      const other = await openStore(database.url);
      try {
        await sql`ALTER TABLE settings ADD COLUMN note TEXT`.execute(other.db);
      } finally {
        await other.close();
      }
      for (const rows of await reads()) assert.deepEqual(rows, [{ key: 'a', value: 'first', note: null }]);
    });
  });
}
