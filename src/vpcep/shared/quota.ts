import type { Kysely } from 'kysely';
import { apiError } from '../../errors/api-error.ts';
import type { Database } from '../../store/schema.ts';
import { takeQuotaUnit, type QuotaType } from './usage.ts';

/**
 * Charges one unit of the project's `type` quota (its override, else the
 * configured default) inside the caller's create transaction: Endpoint.1018
 * when none is left, so the whole create rolls back.
 */
export async function chargeQuota(
  db: Kysely<Database>,
  projectId: string,
  type: QuotaType,
  defaults: Record<QuotaType, number>,
): Promise<void> {
  if (!(await takeQuotaUnit(db, projectId, type, defaults[type]))) throw quotaExhausted();
}

/** The answer to a create when the project's quota of its type is used up. */
export function quotaExhausted() {
  return apiError('Endpoint.1018');
}
