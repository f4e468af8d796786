import { sql, type Kysely } from 'kysely';
import type { Database } from '../../store/schema.ts';

/**
 * The IAM change counter. Every IAM change raises it in its own transaction;
 * nodes compare it with the value they last saw to notice changes they were
 * not told of (docs/iam.md, "How fast a change takes effect").
 */
export async function bumpGeneration(db: Kysely<Database>): Promise<void> {
  await db
    .updateTable('iam_generation')
    .set({ value: sql<number>`value + 1` })
    .where('id', '=', 1)
    .execute();
}

export async function readGeneration(db: Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('iam_generation').select('value').where('id', '=', 1).executeTakeFirst();
  return Number(row?.value ?? 0);
}
