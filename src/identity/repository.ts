import type { Kysely, Selectable } from 'kysely';
import type { Database, DomainsTable, ProjectsTable, UsersTable } from '../store/schema.ts';

export type DomainRow = DomainsTable;
export type ProjectRow = ProjectsTable;
export type UserRow = Selectable<UsersTable>;

export interface AccessKeyRecord {
  ak: string;
  sk: string;
  /** 'active' or 'inactive'. */
  status: string;
  userId: string;
  userName: string;
  /** 0 when the key's user is disabled. */
  userEnabled: number;
  domainId: string;
  domainName: string;
}

/** SQL for accounts, projects, users and keys. No HTTP, no policy: callers decide. */
export class IdentityRepository {
  constructor(private readonly db: Kysely<Database>) {}

  findDomainByName(name: string): Promise<DomainRow | undefined> {
    return this.db.selectFrom('domains').selectAll().where('name', '=', name).executeTakeFirst();
  }

  findDomainById(id: string): Promise<DomainRow | undefined> {
    return this.db.selectFrom('domains').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async insertDomain(row: DomainRow): Promise<void> {
    await this.db.insertInto('domains').values(row).execute();
  }

  async countDomains(): Promise<number> {
    const row = await this.db
      .selectFrom('domains')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  findUser(domainId: string, name: string): Promise<UserRow | undefined> {
    return this.db
      .selectFrom('users')
      .selectAll()
      .where('domain_id', '=', domainId)
      .where('name', '=', name)
      .executeTakeFirst();
  }

  findUserById(id: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async findAccessKey(ak: string): Promise<AccessKeyRecord | undefined> {
    const row = await this.db
      .selectFrom('access_keys')
      .innerJoin('users', 'users.id', 'access_keys.user_id')
      .innerJoin('domains', 'domains.id', 'users.domain_id')
      .select([
        'access_keys.ak',
        'access_keys.sk',
        'access_keys.status',
        'users.id as userId',
        'users.name as userName',
        'users.enabled as userEnabled',
        'domains.id as domainId',
        'domains.name as domainName',
      ])
      .where('access_keys.ak', '=', ak)
      .executeTakeFirst();
    return row;
  }

  listProjects(domainId: string, name?: string): Promise<ProjectRow[]> {
    let q = this.db.selectFrom('projects').selectAll().where('domain_id', '=', domainId);
    if (name !== undefined) q = q.where('name', '=', name);
    return q.orderBy('created_at').orderBy('id').execute();
  }

  findProject(id: string): Promise<ProjectRow | undefined> {
    return this.db.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst();
  }

  findProjectByName(domainId: string, name: string): Promise<ProjectRow | undefined> {
    return this.db
      .selectFrom('projects')
      .selectAll()
      .where('domain_id', '=', domainId)
      .where('name', '=', name)
      .executeTakeFirst();
  }

  async insertProject(row: ProjectRow): Promise<void> {
    await this.db.insertInto('projects').values(row).execute();
  }

  async renameProject(id: string, name: string): Promise<void> {
    await this.db.updateTable('projects').set({ name }).where('id', '=', id).execute();
  }

  async getSetting(key: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('settings')
      .select('value')
      .where('key', '=', key)
      .executeTakeFirst();
    return row?.value;
  }

  /** Returns the stored value, inserting `value` first if the key is new (first writer wins). */
  async ensureSetting(key: string, value: string): Promise<string> {
    await this.db
      .insertInto('settings')
      .values({ key, value })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    const stored = await this.getSetting(key);
    if (stored === undefined) throw new Error(`setting ${key} vanished`);
    return stored;
  }
}
