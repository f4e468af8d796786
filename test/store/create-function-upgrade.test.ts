// Migration 0009: a PostgreSQL store migrated while 0008 still held its first
// text (main 2672589, whose whitelist check let 'IAM:DOMAIN::<id>' connect)
// gets the create function 0008 now defines. A migration never runs twice, so
// without 0009 such a store would keep the first body for good.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Migrator, sql, type MigrationProvider } from 'kysely';
import { migrationProvider } from '../../src/store/migrations/index.ts';
import { statements as created } from '../../src/store/migrations/postgres/0008_create_endpoint_function.ts';
import { openStore } from '../../src/store/open.ts';
import { freshDatabase, testDialects } from '../support/db.ts';

/** The whitelist condition of 0008 as it first landed, and as it now stands. */
const FIRST = `AND (permission = '*' OR lower(permission) = p_domain_key);`;
const NOW = `AND (permission = '*'
                OR (left(permission, 12) = 'iam:domain::' AND lower(permission) = p_domain_key));`;
const PREFIX_CHECK = `left(permission, 12) = 'iam:domain::'`;

/** The real migrations, with 0008 as it first landed. */
function firstLanded(): MigrationProvider {
  const real = migrationProvider('postgres');
  const text = created[0] ?? '';
  assert.ok(text.includes(NOW), '0008 holds the condition this test rewrites');
  const first = text.replace(NOW, FIRST);
  return {
    async getMigrations() {
      const all = await real.getMigrations();
      return {
        ...all,
        '0008_create_endpoint_function': {
          async up(db) {
            await sql.raw(first).execute(db);
          },
        },
      };
    },
  };
}

test(
  'a store migrated with the first 0008 gets the corrected create function',
  { skip: !testDialects().includes('postgres') && 'needs PostgreSQL (VPCEP_TEST_DATABASE_URL)' },
  async () => {
    const database = await freshDatabase('postgres');
    const store = await openStore(database.url, { migrate: false });
    try {
      const body = async () => {
        const { rows } = await sql<{ prosrc: string }>`
          SELECT prosrc FROM pg_proc WHERE proname = 'create_interface_endpoint_v1'`.execute(store.db);
        assert.equal(rows.length, 1, 'one function of that name');
        return rows[0]?.prosrc ?? '';
      };
      const early = new Migrator({ db: store.db, provider: firstLanded() });
      assert.equal((await early.migrateTo('0008_create_endpoint_function')).error, undefined);
      assert.equal((await body()).includes(PREFIX_CHECK), false, 'the first body compares no prefix');

      const now = new Migrator({ db: store.db, provider: migrationProvider('postgres') });
      assert.equal((await now.migrateToLatest()).error, undefined);
      assert.equal((await body()).includes(PREFIX_CHECK), true, 'the body 0008 now defines');
    } finally {
      await store.close();
      await database.drop();
    }
  },
);
