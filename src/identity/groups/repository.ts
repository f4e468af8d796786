import type { Kysely, Selectable, Updateable } from 'kysely';
import type { Database, IamGroupsTable } from '../../store/schema.ts';
import type { UserRow } from '../repository.ts';

export type GroupRow = Selectable<IamGroupsTable>;

/** SQL for the groups of one account and their members. */
export class GroupsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  list(domainId: string, name?: string): Promise<GroupRow[]> {
    let q = this.db.selectFrom('iam_groups').selectAll().where('domain_id', '=', domainId);
    if (name !== undefined) q = q.where('name', '=', name);
    return q.orderBy('created_at').orderBy('id').execute();
  }

  get(domainId: string, id: string): Promise<GroupRow | undefined> {
    return this.db
      .selectFrom('iam_groups')
      .selectAll()
      .where('domain_id', '=', domainId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  findByName(domainId: string, name: string): Promise<GroupRow | undefined> {
    return this.list(domainId, name).then((rows) => rows[0]);
  }

  async count(domainId: string): Promise<number> {
    const row = await this.db
      .selectFrom('iam_groups')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('domain_id', '=', domainId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async insert(row: GroupRow): Promise<void> {
    await this.db.insertInto('iam_groups').values(row).execute();
  }

  async update(id: string, patch: Updateable<IamGroupsTable>): Promise<void> {
    await this.db.updateTable('iam_groups').set(patch).where('id', '=', id).execute();
  }

  /** Removes the group with its memberships and grants (in the caller's transaction). */
  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('iam_group_members').where('group_id', '=', id).execute();
    await this.db.deleteFrom('iam_grants').where('group_id', '=', id).execute();
    await this.db.deleteFrom('iam_groups').where('id', '=', id).execute();
  }

  members(groupId: string): Promise<UserRow[]> {
    return this.db
      .selectFrom('iam_group_members')
      .innerJoin('users', 'users.id', 'iam_group_members.user_id')
      .selectAll('users')
      .where('iam_group_members.group_id', '=', groupId)
      .orderBy('users.created_at')
      .orderBy('users.id')
      .execute();
  }

  groupsOf(userId: string): Promise<GroupRow[]> {
    return this.db
      .selectFrom('iam_group_members')
      .innerJoin('iam_groups', 'iam_groups.id', 'iam_group_members.group_id')
      .selectAll('iam_groups')
      .where('iam_group_members.user_id', '=', userId)
      .orderBy('iam_groups.created_at')
      .orderBy('iam_groups.id')
      .execute();
  }

  async isMember(groupId: string, userId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('iam_group_members')
      .select('user_id')
      .where('group_id', '=', groupId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** True when the membership is new. */
  async addMember(groupId: string, userId: string, now: number): Promise<boolean> {
    const res = await this.db
      .insertInto('iam_group_members')
      .values({ group_id: groupId, user_id: userId, created_at: now })
      .onConflict((oc) => oc.columns(['group_id', 'user_id']).doNothing())
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  /** True when there was such a membership. */
  async removeMember(groupId: string, userId: string): Promise<boolean> {
    const res = await this.db
      .deleteFrom('iam_group_members')
      .where('group_id', '=', groupId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }
}
