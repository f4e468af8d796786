import { sql, type Transaction } from 'kysely';
import type { Database } from './schema.ts';

/**
 * Resolves once every statement already queued on `trx`'s connection has run:
 * a statement on one connection waits for those sent before it, so running one
 * more and awaiting it is the drain.
 */
export async function drainQueued(trx: Transaction<Database>): Promise<void> {
  await sql`SELECT 1`.execute(trx);
}
