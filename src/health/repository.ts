import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';

/** The cheapest statement that needs a working connection: what /readyz asks the store. */
export async function selectOne(db: Kysely<Database>): Promise<void> {
  await sql`SELECT 1`.execute(db);
}
