// The SQLite read-only connection keeps the answers of its prepared reads
// (store/direct-reads.ts) until any connection commits a change. Every way a
// change can reach the file must be seen by the very next read: the store's
// own write connection, a second store on the same file (another node's
// handle), another process. Kept answers are shared, so they are frozen.
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { prepared } from '../../src/store/prepared.ts';
import { openStore, type Store } from '../../src/store/open.ts';
import { freshDatabase, type TestDatabase } from '../support/db.ts';

const settingOf = prepared((db, name: string) =>
  db.selectFrom('settings').select(['key', 'value']).where('key', '=', name),
);

describe('answers kept by the SQLite read connection', () => {
  let database: TestDatabase;
  let store: Store;

  before(async () => {
    database = await freshDatabase('sqlite');
    store = await openStore(database.url);
    await store.db.insertInto('settings').values({ key: 'k', value: 'one' }).execute();
  });
  after(async () => {
    await store.close();
    await database.drop();
  });

  test('a repeated read is answered from memory until a commit, then reads again', async () => {
    assert.deepEqual(await settingOf(store.db, 'k'), [{ key: 'k', value: 'one' }]);
    // The store's statement counter (vpcep_store_statements_total).
    const before = store.statementsRun();
    assert.deepEqual(await settingOf(store.db, 'k'), [{ key: 'k', value: 'one' }]);
    // One statement: the version probe; the read itself did not run.
    assert.equal(store.statementsRun() - before, 1);

    await store.db.updateTable('settings').set({ value: 'two' }).where('key', '=', 'k').execute();
    assert.deepEqual(await settingOf(store.db, 'k'), [{ key: 'k', value: 'two' }]);
    // Answers of other arguments are dropped too: a commit may change any row.
    assert.deepEqual(await settingOf(store.db, 'missing'), []);
    await store.db.insertInto('settings').values({ key: 'missing', value: 'now here' }).execute();
    assert.deepEqual(await settingOf(store.db, 'missing'), [{ key: 'missing', value: 'now here' }]);
  });

  test('an uncommitted change is not seen, its commit is', async () => {
    assert.deepEqual(await settingOf(store.db, 'k'), [{ key: 'k', value: 'two' }]);
    await store.db.transaction().execute(async (trx) => {
      await trx.updateTable('settings').set({ value: 'three' }).where('key', '=', 'k').execute();
      assert.deepEqual(await settingOf(store.db, 'k'), [{ key: 'k', value: 'two' }]);
    });
    assert.deepEqual(await settingOf(store.db, 'k'), [{ key: 'k', value: 'three' }]);
  });

  test("a second store's commit on the same file is seen by the next read", async () => {
    const other = await openStore(database.url);
    try {
      assert.deepEqual(await settingOf(store.db, 'k'), [{ key: 'k', value: 'three' }]);
      await other.db
        .updateTable('settings')
        .set({ value: 'from the other store' })
        .where('key', '=', 'k')
        .execute();
      assert.deepEqual(await settingOf(store.db, 'k'), [{ key: 'k', value: 'from the other store' }]);
    } finally {
      await other.close();
    }
  });

  test("another process's commit is seen by the next read", async () => {
    assert.deepEqual(await settingOf(store.db, 'k'), [{ key: 'k', value: 'from the other store' }]);
    const file = database.url.slice('sqlite:'.length);
    const script = `
      const Database = require('better-sqlite3');
      const db = new Database(process.argv[1]);
      db.pragma('busy_timeout = 5000');
      db.prepare("UPDATE settings SET value = 'from another process' WHERE key = 'k'").run();
      db.close();`;
    execFileSync(process.execPath, ['-e', script, file], { stdio: 'pipe' });
    assert.deepEqual(await settingOf(store.db, 'k'), [{ key: 'k', value: 'from another process' }]);
  });

  test('a kept answer cannot be changed by a caller', async () => {
    const rows = await settingOf(store.db, 'k');
    const again = await settingOf(store.db, 'k');
    assert.equal(rows, again, 'the second read is the kept answer');
    const row = rows[0] as { value: string };
    assert.throws(() => {
      row.value = 'changed in memory';
    }, TypeError);
    assert.throws(() => (rows as unknown[]).push({}), TypeError);
    assert.deepEqual(await settingOf(store.db, 'k'), [{ key: 'k', value: 'from another process' }]);
  });

  test('made-up arguments cannot grow the kept answers without bound, and answers stay right', async () => {
    for (let i = 0; i < 10_000; i++) assert.deepEqual(await settingOf(store.db, `made-up-${i}`), []);
    // Arguments that would collide if they were joined by a separator stay apart.
    await store.db.insertInto('settings').values({ key: 'a","b', value: 'quoted' }).execute();
    assert.deepEqual(await settingOf(store.db, 'a","b'), [{ key: 'a","b', value: 'quoted' }]);
    assert.deepEqual(await settingOf(store.db, 'k'), [{ key: 'k', value: 'from another process' }]);
  });

  test('an answer holding a lot of text is read again each time, not kept', async () => {
    const long = 'x'.repeat(100_000);
    await store.db.insertInto('settings').values({ key: 'long', value: long }).execute();
    const first = await settingOf(store.db, 'long');
    const second = await settingOf(store.db, 'long');
    assert.deepEqual(second, [{ key: 'long', value: long }]);
    assert.notEqual(first, second, 'each read ran the statement');
    // A short answer read between them is still kept.
    assert.equal(await settingOf(store.db, 'k'), await settingOf(store.db, 'k'));
  });
});
