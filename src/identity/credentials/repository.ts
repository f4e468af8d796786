import type { Kysely, Selectable, Updateable } from 'kysely';
import type { AccessKeysTable, Database } from '../../store/schema.ts';

export type AccessKeyRow = Selectable<AccessKeysTable>;

/** SQL for permanent access keys. */
export class CredentialsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  ofUser(userId: string): Promise<AccessKeyRow[]> {
    return this.db
      .selectFrom('access_keys')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .orderBy('ak')
      .execute();
  }

  /** A key with the account of its user; undefined when it does not exist. */
  get(ak: string): Promise<(AccessKeyRow & { domain_id: string }) | undefined> {
    return this.db
      .selectFrom('access_keys')
      .innerJoin('users', 'users.id', 'access_keys.user_id')
      .selectAll('access_keys')
      .select('users.domain_id')
      .where('access_keys.ak', '=', ak)
      .executeTakeFirst();
  }

  async insert(row: AccessKeyRow): Promise<void> {
    await this.db.insertInto('access_keys').values(row).execute();
  }

  async update(ak: string, patch: Updateable<AccessKeysTable>): Promise<void> {
    await this.db.updateTable('access_keys').set(patch).where('ak', '=', ak).execute();
  }

  async delete(ak: string): Promise<void> {
    await this.db.deleteFrom('access_keys').where('ak', '=', ak).execute();
  }
}
