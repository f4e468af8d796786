import type { Transaction } from 'kysely';
import type { Database } from '../../store/schema.ts';
import type { IdentityDeps } from './deps.ts';
import { bumpGeneration } from './generation.ts';

/**
 * Runs an IAM change in one transaction that also raises the change counter,
 * then announces it: no node keeps acting on permissions the change revoked.
 */
export async function iamChange<T>(
  deps: IdentityDeps,
  fn: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  const result = await deps.db.transaction().execute(async (trx) => {
    const out = await fn(trx);
    await bumpGeneration(trx);
    return out;
  });
  deps.changed();
  return result;
}
