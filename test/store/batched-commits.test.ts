// SQLite: transactions that run in one turn of the event loop share one
// COMMIT (src/store/batched-commits.ts). What callers rely on must not move:
// a transaction is answered only once its writes are committed (another
// connection sees them), a failing transaction takes only its own writes with
// it, transactions still run one after another, nothing outside a transaction
// runs inside someone else's, and a failed COMMIT fails every transaction it
// would have committed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { CompiledQuery, sql } from 'kysely';
import { batchedCommitDialects, syncRunnerOf } from '../../src/store/batched-commits.ts';
import { openStore, type Store } from '../../src/store/open.ts';
import { freshDatabase, type TestDatabase } from '../support/db.ts';

describe('SQLite transactions of one turn share a commit', () => {
  let database: TestDatabase;
  let store: Store;
  /** A second connection to the file: it sees committed rows only. */
  let other: SqliteDatabase.Database;

  const committed = (key: string): boolean =>
    other.prepare('SELECT 1 FROM settings WHERE key = ?').get(key) !== undefined;
  const insert = (key: string) =>
    store.db.transaction().execute(async (trx) => {
      await trx.insertInto('settings').values({ key, value: 'v' }).execute();
    });

  before(async () => {
    database = await freshDatabase('sqlite');
    store = await openStore(database.url);
    other = new SqliteDatabase(database.url.slice('sqlite:'.length), { readonly: true });
  });
  after(async () => {
    other?.close();
    await store?.close();
    await database.drop();
  });

  test('each is answered once it is committed, and ten of them cost one BEGIN and one COMMIT', async () => {
    const before = store.statementsRun();
    const seenAtAnswer: boolean[] = [];
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        insert(`shared-${i}`).then(() => seenAtAnswer.push(committed(`shared-${i}`))),
      ),
    );
    assert.deepEqual(seenAtAnswer, Array(10).fill(true));
    // BEGIN, ten inserts, nine SAVEPOINT/RELEASE pairs for the nine that joined, one COMMIT.
    assert.equal(store.statementsRun() - before, 1 + 10 + 9 * 2 + 1);
  });

  test('a transaction that fails takes only its own writes with it', async () => {
    const results = await Promise.allSettled([
      insert('kept-a'),
      store.db.transaction().execute(async (trx) => {
        await trx.insertInto('settings').values({ key: 'undone-b', value: 'v' }).execute();
        throw new Error('b fails');
      }),
      insert('kept-c'),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.equal(committed('kept-a'), true);
    assert.equal(committed('undone-b'), false);
    assert.equal(committed('kept-c'), true);
  });

  test('the first transaction of a batch failing leaves the next one whole', async () => {
    const results = await Promise.allSettled([
      store.db.transaction().execute(async (trx) => {
        await trx.insertInto('settings').values({ key: 'undone-first', value: 'v' }).execute();
        throw new Error('first fails');
      }),
      insert('kept-second'),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'fulfilled'],
    );
    assert.equal(committed('undone-first'), false);
    assert.equal(committed('kept-second'), true);
  });

  test('they still run one at a time: twenty read-then-write increments lose none', async () => {
    await store.db.insertInto('settings').values({ key: 'counter', value: '0' }).execute();
    await Promise.all(
      Array.from({ length: 20 }, () =>
        store.db.transaction().execute(async (trx) => {
          const row = await trx
            .selectFrom('settings')
            .select('value')
            .where('key', '=', 'counter')
            .executeTakeFirstOrThrow();
          await trx
            .updateTable('settings')
            .set({ value: String(Number(row.value) + 1) })
            .where('key', '=', 'counter')
            .execute();
        }),
      ),
    );
    assert.deepEqual(other.prepare("SELECT value FROM settings WHERE key = 'counter'").get(), {
      value: '20',
    });
  });

  test('a statement outside any transaction commits the open batch before it runs', async () => {
    const pending = insert('before-plain');
    await store.db.insertInto('settings').values({ key: 'plain', value: 'v' }).execute();
    // Still in the same turn (the batch's own commit comes after the turn's I/O):
    // the plain statement found the batch open and committed it first.
    assert.equal(committed('before-plain'), true);
    assert.equal(committed('plain'), true);
    await pending;
  });

  test('a failed COMMIT fails every transaction of its batch and keeps none of their writes', async () => {
    // A deferred foreign key is checked at COMMIT: the one way to make a
    // COMMIT itself fail on demand.
    await sql`CREATE TABLE zz_parent (id TEXT PRIMARY KEY)`.execute(store.db);
    await sql`CREATE TABLE zz_child (id TEXT PRIMARY KEY,
              parent TEXT REFERENCES zz_parent (id) DEFERRABLE INITIALLY DEFERRED)`.execute(store.db);
    const results = await Promise.allSettled([
      insert('lost-with-batch'),
      store.db.transaction().execute(async (trx) => {
        await sql`INSERT INTO zz_child (id, parent) VALUES ('c', 'nobody')`.execute(trx);
      }),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected'],
    );
    assert.match(String((results[0] as PromiseRejectedResult).reason), /FOREIGN KEY/);
    assert.equal(committed('lost-with-batch'), false);
    assert.deepEqual(other.prepare('SELECT count(*) AS n FROM zz_child').get(), { n: 0 });
    // The store goes on: the next transaction commits.
    await insert('after-failure');
    assert.equal(committed('after-failure'), true);
  });

  test("a job worker's transaction commits alone: the open batch is committed before it, not after it", async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const api = insert('api-before-job');
    const job = store.jobsDb.transaction().execute(async (trx) => {
      await trx.insertInto('settings').values({ key: 'job', value: 'v' }).execute();
      // Held open until the API's transaction has been answered: were the job
      // part of its batch, that answer would wait for this transaction's end.
      await gate;
    });
    await api;
    assert.equal(committed('api-before-job'), true);
    assert.equal(committed('job'), false);
    open();
    await job;
    assert.equal(committed('job'), true);
  });

  test('a hold runs nothing once its transaction has ended, even before Kysely releases it', async () => {
    // Compiled-once statements call a transaction's hold directly (prepared.ts);
    // between a rollback (or a solo commit) and the release, such a statement
    // must not run as one outside any transaction, in autocommit.
    const raw = new SqliteDatabase(database.url.slice('sqlite:'.length));
    raw.pragma('busy_timeout = 5000');
    const { batched, solo } = batchedCommitDialects(raw, (text) => raw.prepare(text));
    const put = (key: string) =>
      CompiledQuery.raw('INSERT INTO settings (key, value) VALUES (?, ?)', [key, 'v']);
    try {
      for (const [dialect, end] of [
        [batched, 'rollbackTransaction'],
        [solo, 'commitTransaction'],
      ] as const) {
        const driver = dialect.createDriver();
        const hold = await driver.acquireConnection();
        await driver.beginTransaction(hold, {});
        const run = syncRunnerOf(hold)!;
        run(put(`inside-${end}`));
        await driver[end](hold);
        assert.throws(() => run(put(`after-${end}`)), /transaction that has ended/);
        await driver.releaseConnection(hold);
        assert.throws(() => run(put(`released-${end}`)), /transaction that has ended/);
        assert.equal(committed(`after-${end}`), false);
        assert.equal(committed(`released-${end}`), false);
      }
      assert.equal(committed('inside-rollbackTransaction'), false);
      assert.equal(committed('inside-commitTransaction'), true);
    } finally {
      raw.close();
    }
  });
});
