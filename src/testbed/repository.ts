import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';

// What the test bed remembers of each declaration it has acted on: a row of
// the settings table per declaration, keyed by kind, account id and declared
// name, holding the created resource's id (and for endpoints whether the
// acceptance is still to be done). The row is inserted in the transaction that
// creates the resource, so a declaration is acted on exactly once, also when
// several nodes start together: the second insert waits for the first
// transaction and then finds the key taken.

type Db = Kysely<Database>;

export const RECORD_PREFIX = 'testbed:';

/** Inserts the record unless its key exists; true when this call inserted it. */
export async function claimRecord(db: Db, key: string, value: string): Promise<boolean> {
  const result = await db
    .insertInto('settings')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function readRecord(db: Db, key: string): Promise<string | undefined> {
  const row = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
  return row?.value;
}

export async function writeRecord(db: Db, key: string, value: string): Promise<void> {
  await db.updateTable('settings').set({ value }).where('key', '=', key).execute();
}
