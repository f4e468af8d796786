import type { Kysely, Updateable } from 'kysely';
import type { Database, UsersTable } from '../../store/schema.ts';
import type { UserRow } from '../repository.ts';

export interface UserFilter {
  name?: string | undefined;
  enabled?: boolean | undefined;
}

/** SQL for the users of one account. Every look-up names the account: ids of others are not found. */
export class UsersRepository {
  constructor(private readonly db: Kysely<Database>) {}

  list(domainId: string, filter: UserFilter = {}): Promise<UserRow[]> {
    let q = this.db.selectFrom('users').selectAll().where('domain_id', '=', domainId);
    if (filter.name !== undefined) q = q.where('name', '=', filter.name);
    if (filter.enabled !== undefined) q = q.where('enabled', '=', filter.enabled ? 1 : 0);
    return q.orderBy('created_at').orderBy('id').execute();
  }

  get(domainId: string, id: string): Promise<UserRow | undefined> {
    return this.db
      .selectFrom('users')
      .selectAll()
      .where('domain_id', '=', domainId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  findByName(domainId: string, name: string): Promise<UserRow | undefined> {
    return this.list(domainId, { name }).then((rows) => rows[0]);
  }

  owner(domainId: string): Promise<UserRow | undefined> {
    return this.db
      .selectFrom('users')
      .selectAll()
      .where('domain_id', '=', domainId)
      .where('is_domain_owner', '=', 1)
      .executeTakeFirst();
  }

  async count(domainId: string): Promise<number> {
    const row = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('domain_id', '=', domainId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async insert(row: UserRow): Promise<void> {
    await this.db.insertInto('users').values(row).execute();
  }

  async update(id: string, patch: Updateable<UsersTable>): Promise<void> {
    await this.db.updateTable('users').set(patch).where('id', '=', id).execute();
  }

  /** Removes the user with its keys and memberships (the caller runs this in a transaction). */
  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('access_keys').where('user_id', '=', id).execute();
    await this.db.deleteFrom('iam_group_members').where('user_id', '=', id).execute();
    await this.db.deleteFrom('users').where('id', '=', id).execute();
  }
}
