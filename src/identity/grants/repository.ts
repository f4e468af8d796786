import type { Kysely, Selectable } from 'kysely';
import type { Database, IamGrantsTable } from '../../store/schema.ts';

export type GrantRow = Selectable<IamGrantsTable>;

/** Where a grant applies: one project, the account (global services), or every project. */
export type GrantScope = 'project' | 'domain' | 'inherited';

export interface GrantKey {
  groupId: string;
  roleId: string;
  scope: GrantScope;
  /** The project id for `project`, the account id otherwise. */
  targetId: string;
}

/** SQL for role and policy grants to groups. */
export class GrantsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  forGroup(groupId: string, scope: GrantScope, targetId: string): Promise<GrantRow[]> {
    return this.db
      .selectFrom('iam_grants')
      .selectAll()
      .where('group_id', '=', groupId)
      .where('scope', '=', scope)
      .where('target_id', '=', targetId)
      .orderBy('created_at')
      .orderBy('role_id')
      .execute();
  }

  async has(key: GrantKey): Promise<boolean> {
    const row = await this.db
      .selectFrom('iam_grants')
      .select('role_id')
      .where('group_id', '=', key.groupId)
      .where('role_id', '=', key.roleId)
      .where('scope', '=', key.scope)
      .where('target_id', '=', key.targetId)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** True when the grant is new. */
  async insert(key: GrantKey, domainId: string, now: number): Promise<boolean> {
    const res = await this.db
      .insertInto('iam_grants')
      .values({
        group_id: key.groupId,
        role_id: key.roleId,
        scope: key.scope,
        target_id: key.targetId,
        domain_id: domainId,
        created_at: now,
      })
      .onConflict((oc) => oc.columns(['group_id', 'role_id', 'scope', 'target_id']).doNothing())
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  /** True when there was such a grant. */
  async delete(key: GrantKey): Promise<boolean> {
    const res = await this.db
      .deleteFrom('iam_grants')
      .where('group_id', '=', key.groupId)
      .where('role_id', '=', key.roleId)
      .where('scope', '=', key.scope)
      .where('target_id', '=', key.targetId)
      .executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  async countForRole(roleId: string): Promise<number> {
    const row = await this.db
      .selectFrom('iam_grants')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('role_id', '=', roleId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Every grant held by a group `userId` belongs to. */
  ofUser(userId: string): Promise<GrantRow[]> {
    return this.db
      .selectFrom('iam_grants')
      .innerJoin('iam_group_members', 'iam_group_members.group_id', 'iam_grants.group_id')
      .selectAll('iam_grants')
      .where('iam_group_members.user_id', '=', userId)
      .execute();
  }
}
