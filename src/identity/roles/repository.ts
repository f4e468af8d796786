import type { Kysely, Selectable, Updateable } from 'kysely';
import type { Database, IamPoliciesTable } from '../../store/schema.ts';

export type PolicyRow = Selectable<IamPoliciesTable>;

/** SQL for the custom policies of one account. */
export class PoliciesRepository {
  constructor(private readonly db: Kysely<Database>) {}

  list(domainId: string): Promise<PolicyRow[]> {
    return this.db
      .selectFrom('iam_policies')
      .selectAll()
      .where('domain_id', '=', domainId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  }

  get(domainId: string, id: string): Promise<PolicyRow | undefined> {
    return this.db
      .selectFrom('iam_policies')
      .selectAll()
      .where('domain_id', '=', domainId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** Policies by id, whatever their account: the caller filters (permission loading). */
  byIds(ids: readonly string[]): Promise<PolicyRow[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.db.selectFrom('iam_policies').selectAll().where('id', 'in', ids).execute();
  }

  findByDisplayName(domainId: string, displayName: string): Promise<PolicyRow | undefined> {
    return this.db
      .selectFrom('iam_policies')
      .selectAll()
      .where('domain_id', '=', domainId)
      .where('display_name', '=', displayName)
      .executeTakeFirst();
  }

  async count(domainId: string): Promise<number> {
    const row = await this.db
      .selectFrom('iam_policies')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('domain_id', '=', domainId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** The next `custom_<domain>_<n>` name: one past the highest n the account has used. */
  async nextName(domainId: string): Promise<string> {
    const prefix = `custom_${domainId}_`;
    const rows = await this.db
      .selectFrom('iam_policies')
      .select('name')
      .where('domain_id', '=', domainId)
      .execute();
    const highest = rows.reduce((max, r) => {
      const n = r.name.startsWith(prefix) ? Number(r.name.slice(prefix.length)) : NaN;
      return Number.isSafeInteger(n) && n > max ? n : max;
    }, 0);
    return `${prefix}${highest + 1}`;
  }

  async insert(row: PolicyRow): Promise<void> {
    await this.db.insertInto('iam_policies').values(row).execute();
  }

  async update(id: string, patch: Updateable<IamPoliciesTable>): Promise<void> {
    await this.db.updateTable('iam_policies').set(patch).where('id', '=', id).execute();
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('iam_policies').where('id', '=', id).execute();
  }
}
