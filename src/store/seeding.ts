import { sql, type Kysely, type Transaction } from 'kysely';
import type { DialectName } from './open.ts';
import type { Database } from './schema.ts';

// Start-up seeding reads, then inserts what is missing. Nodes starting together
// on one database must not both find a row missing and both insert it, so all
// seeding of a node runs in one transaction that first takes a lock: on
// PostgreSQL a transaction-scoped advisory lock (released by COMMIT or ROLLBACK,
// and by the server if the node dies), on SQLite the write lock BEGIN IMMEDIATE
// takes. The next node then finds everything in place and changes nothing.

/** The advisory lock's key: 'vpcep:sd' in ASCII, a number no other lock of ours uses. */
const SEEDING_LOCK_KEY = 0x7670_6365_703a_7364n;

/** Runs `fn` in `db` when it already is a transaction, else in a new one. */
export async function inTransaction<T>(
  db: Kysely<Database>,
  fn: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  // isTransaction is true exactly for Kysely's Transaction subclass.
  return db.isTransaction ? fn(db as Transaction<Database>) : db.transaction().execute(fn);
}

/** Runs `fn` in one transaction that no other node's seeding runs beside. */
export async function withSeedingLock<T>(
  db: Kysely<Database>,
  dialect: DialectName,
  fn: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  return db.transaction().execute(async (trx) => {
    if (dialect === 'postgres') {
      // Seeding hashes passwords and may wait for other nodes' seeding: the pool's
      // statement and lock timeouts, meant for requests, do not apply to it.
      await sql`SET LOCAL statement_timeout = 0`.execute(trx);
      await sql`SET LOCAL lock_timeout = 0`.execute(trx);
      await sql`SELECT pg_advisory_xact_lock(${String(SEEDING_LOCK_KEY)}::bigint)`.execute(trx);
    }
    return fn(trx);
  });
}
