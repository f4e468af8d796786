import { sql, type Kysely } from 'kysely';
import { preparedStatement } from '../../store/prepared.ts';
import type { Database } from '../../store/schema.ts';

// Quota accounting, SQL only (quota.ts turns a refusal into Endpoint.1018).
// `resource_usage` holds how many resources of a type a project has; taking a
// unit is one conditional UPDATE, so two creates racing for the last unit
// cannot both succeed on either database. The same counter answers unfiltered
// `total_count` without counting rows.

export type QuotaType = 'endpoint_service' | 'endpoint';

export async function quotaOf(
  db: Kysely<Database>,
  projectId: string,
  type: QuotaType,
  defaults: Record<QuotaType, number>,
): Promise<number> {
  const row = await db
    .selectFrom('quota_overrides')
    .select('quota')
    .where('project_id', '=', projectId)
    .where('type', '=', type)
    .executeTakeFirst();
  return row?.quota ?? defaults[type];
}

export async function usageOf(db: Kysely<Database>, projectId: string, type: QuotaType): Promise<number> {
  const row = await db
    .selectFrom('resource_usage')
    .select('used')
    .where('project_id', '=', projectId)
    .where('type', '=', type)
    .executeTakeFirst();
  return row?.used ?? 0;
}

// The override's look-up is part of the statement: one statement per charge, compiled once.
// The default is bound twice because a prepared argument fills exactly one place.
const takeUnit = preparedStatement(
  (_db: Kysely<Database>, projectId: string, type: string, dflt: number, dflt2: number) => sql<{
    used: number;
  }>`
    INSERT INTO resource_usage (project_id, type, used)
    SELECT v.project_id, v.type, 1
    FROM (SELECT CAST(${projectId} AS TEXT) AS project_id, CAST(${type} AS TEXT) AS type) v
    WHERE COALESCE((SELECT o.quota FROM quota_overrides o
                    WHERE o.project_id = v.project_id AND o.type = v.type), ${dflt}) > 0
    ON CONFLICT (project_id, type)
    DO UPDATE SET used = resource_usage.used + 1
    WHERE resource_usage.used < COALESCE((SELECT o.quota FROM quota_overrides o
                                          WHERE o.project_id = resource_usage.project_id
                                            AND o.type = resource_usage.type), ${dflt2})
    RETURNING used`,
);

/**
 * Takes one unit of the project's quota of `type` (its override, else
 * `defaultQuota`) inside the caller's transaction; false when the project has
 * none left (then nothing changed). The row stays locked to the end of the
 * transaction on PostgreSQL. One statement, so one round trip: the project's
 * first unit inserts the row, later ones update it while it is below the
 * quota; no row comes back when the quota is used up. The WHERE after SELECT
 * also tells SQLite's parser that ON CONFLICT belongs to the INSERT.
 */
export async function takeQuotaUnit(
  db: Kysely<Database>,
  projectId: string,
  type: QuotaType,
  defaultQuota: number,
): Promise<boolean> {
  const taken = await takeUnit(db, projectId, type, defaultQuota, defaultQuota);
  return taken.length === 1;
}

/** Gives a unit back when a resource is finally gone. */
export async function releaseQuota(db: Kysely<Database>, projectId: string, type: QuotaType): Promise<void> {
  await db
    .updateTable('resource_usage')
    .set({ used: sql<number>`CASE WHEN used > 0 THEN used - 1 ELSE 0 END` })
    .where('project_id', '=', projectId)
    .where('type', '=', type)
    .execute();
}
