// Marker ids (decision #8) are never handed out twice: on PostgreSQL they come
// from a sequence since migration 0006, which must start past whatever the
// counter row of a store written before it had handed out; concurrent takers
// (different transactions, as racing creates of different tenants) get distinct ids.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Migrator } from 'kysely';
import { migrationProvider } from '../../src/store/migrations/index.ts';
import { openStore } from '../../src/store/open.ts';
import { nextMarkerId } from '../../src/vpcep/endpoints/repository.ts';
import { freshDatabase, testDialects } from '../support/db.ts';

for (const dialect of testDialects()) {
  describe(`marker ids (${dialect})`, () => {
    test('an upgraded store goes on after the last id its counter handed out; racing takers never share one', async () => {
      const database = await freshDatabase(dialect);
      const store = await openStore(database.url, { migrate: false });
      try {
        const migrator = new Migrator({ db: store.db, provider: migrationProvider(store.dialect) });
        assert.equal((await migrator.migrateTo('0005_port_numbers')).error, undefined);
        // A store that has already handed out ids up to 20,000,000.
        await store.db
          .updateTable('counters')
          .set({ value: 20_000_000 })
          .where('name', '=', 'marker_id')
          .execute();
        assert.equal((await migrator.migrateToLatest()).error, undefined);

        assert.equal(await nextMarkerId(store.db, store.dialect), 20_000_001);
        const racing = await Promise.all(
          Array.from({ length: 20 }, () =>
            store.db.transaction().execute((trx) => nextMarkerId(trx, store.dialect)),
          ),
        );
        assert.equal(new Set(racing).size, 20);
        for (const id of racing) assert.ok(id > 20_000_001 && id <= 20_000_021, `id ${id}`);
        // An id taken in a transaction that rolls back was never stored: PostgreSQL's
        // sequence skips it, SQLite's counter rolls back with it.
        const aborted = new Error('abort');
        let lost = 0;
        await assert.rejects(
          store.db.transaction().execute(async (trx) => {
            lost = await nextMarkerId(trx, store.dialect);
            throw aborted;
          }),
          (err) => err === aborted,
        );
        const next = await nextMarkerId(store.db, store.dialect);
        assert.ok(next > Math.max(...racing));
        assert.ok(!racing.includes(lost));
        assert.equal(next, dialect === 'postgres' ? lost + 1 : lost);
      } finally {
        await store.close();
        await database.drop();
      }
    });
  });
}
