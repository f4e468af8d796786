import { dirname, join } from 'node:path';
import type { Kysely } from 'kysely';
import type { AccountConfig } from '../config/schema.ts';
import type { Clock } from '../context/clock.ts';
import { hexId } from '../context/ids.ts';
import {
  CREDENTIALS_FILE,
  DEMO_ACCOUNT_FILE,
  secureDataFolder,
  writePrivateFile,
  type ModeWarning,
} from '../store/file-modes.ts';
import type { Database } from '../store/schema.ts';
import { inTransaction } from '../store/seeding.ts';
import { DEFAULT_HOST_RANGES, type HostRanges } from '../vpc/host-ranges.ts';
import { seedVpc } from '../vpc/seed.ts';
import { newKeyPair, randomString } from './credentials/secrets.ts';
import { IdentityRepository } from './repository.ts';
import { seedIdentity } from './seed-iam.ts';

// Accounts declared in the configuration are created or brought up to date at
// every start. Only what the file names is touched: other accounts, and the
// resources of these accounts, are left as they are. Users, groups, policies
// and grants are seed-iam.ts's.

async function upsertDomain(repo: IdentityRepository, account: AccountConfig, now: number): Promise<string> {
  const byName = await repo.findDomainByName(account.name);
  if (byName) {
    if (account.id !== undefined && account.id !== byName.id) {
      throw new Error(
        `account '${account.name}' exists with id ${byName.id}; the configuration says ${account.id}`,
      );
    }
    return byName.id;
  }
  const id = account.id ?? hexId();
  await repo.insertDomain({ id, name: account.name, created_at: now });
  return id;
}

async function upsertProjects(
  repo: IdentityRepository,
  domainId: string,
  account: AccountConfig,
  region: string,
  now: number,
): Promise<Map<string, string>> {
  const wanted = account.projects ?? [{ name: region }];
  const byKey = new Map<string, string>();
  for (const p of wanted) {
    let row =
      p.id !== undefined ? await repo.findProject(p.id) : await repo.findProjectByName(domainId, p.name);
    if (row && row.domain_id !== domainId) {
      throw new Error(`project ${row.id} belongs to another account than '${account.name}'`);
    }
    if (!row) {
      row = { id: p.id ?? hexId(), domain_id: domainId, name: p.name, created_at: now };
      await repo.insertProject(row);
    } else if (row.name !== p.name) {
      await repo.renameProject(row.id, p.name);
    }
    byKey.set(row.id, row.id);
    byKey.set(p.name, row.id);
  }
  return byKey;
}

/**
 * Creates or updates `accounts`, each in a transaction of its own, or all in
 * `db` when it is a transaction (start-up passes the one that holds the seeding
 * lock, see store/seeding.ts).
 */
export async function seedAccounts(
  db: Kysely<Database>,
  accounts: AccountConfig[],
  region: string,
  clock: Clock,
  /** The host's shared ranges, which declared subnets obey like API-made ones. */
  ranges: HostRanges = DEFAULT_HOST_RANGES,
): Promise<void> {
  for (const account of accounts) {
    await inTransaction(db, async (trx) => {
      const now = clock.now();
      const repo = new IdentityRepository(trx);
      const domainId = await upsertDomain(repo, account, now);
      const projects = await upsertProjects(repo, domainId, account, region, now);
      await seedIdentity(trx, domainId, account, projects, now);
      const firstProject = [...projects.values()][0];
      for (const vpc of account.vpcs ?? []) {
        const projectId = vpc.project !== undefined ? projects.get(vpc.project) : firstProject;
        if (projectId === undefined) {
          throw new Error(
            `vpc '${vpc.name}' of account '${account.name}' names unknown project '${vpc.project}'`,
          );
        }
        await seedVpc(trx, clock, projectId, vpc, ranges);
      }
    });
  }
}

export interface DemoAccount {
  domainName: string;
  userName: string;
  password: string;
  projectId: string;
  projectName: string;
  ak: string;
  sk: string;
  credentialsFile: string | undefined;
}

/**
 * The first start of an empty store gets one ready-to-use account, handed out
 * the way the console does: the keys in a credentials.csv in the data folder,
 * which saveDemoAccount() writes once the account is committed. Run it
 * under the seeding lock, or two nodes starting together may both find the
 * store empty.
 */
export async function ensureDemoAccount(
  db: Kysely<Database>,
  region: string,
  clock: Clock,
  dataDir: string | undefined,
): Promise<DemoAccount | undefined> {
  if ((await new IdentityRepository(db).countDomains()) > 0) return undefined;
  const keys = newKeyPair();
  const demo: DemoAccount = {
    domainName: 'demo',
    userName: 'admin',
    password: randomString('abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789', 16),
    projectId: hexId(),
    projectName: region,
    ak: keys.ak,
    sk: keys.sk,
    credentialsFile: dataDir ? join(dataDir, CREDENTIALS_FILE) : undefined,
  };
  await seedAccounts(
    db,
    [
      {
        name: demo.domainName,
        projects: [{ id: demo.projectId, name: demo.projectName }],
        users: [
          { name: demo.userName, password: demo.password, access_keys: [{ ak: demo.ak, sk: demo.sk }] },
        ],
      },
    ],
    region,
    clock,
  );
  return demo;
}

export interface SavedDemoAccount {
  /** False when the files could not be written: the start banner is then the only copy. */
  written: boolean;
  warnings: ModeWarning[];
}

/**
 * Hands the demo keys out in credentials.csv, as the console does, and the whole login
 * (password and project too, for `vpcep env` and `vpcep credentials`) in
 * demo-account.json beside it; both readable by the owner only, in the data folder
 * (`sqliteDir`, the SQLite database's folder, is already made private by the store).
 * Never throws: the account is committed by now, and a failed start would lose its
 * login for good; a failure comes back as a warning.
 */
export function saveDemoAccount(demo: DemoAccount, sqliteDir: string | undefined): SavedDemoAccount {
  if (!demo.credentialsFile) return { written: false, warnings: [] };
  const dir = dirname(demo.credentialsFile);
  const account = {
    domain: demo.domainName,
    user: demo.userName,
    password: demo.password,
    project_id: demo.projectId,
    project_name: demo.projectName,
    ak: demo.ak,
    sk: demo.sk,
  };
  try {
    const warnings = dir === sqliteDir ? [] : secureDataFolder(dir);
    writePrivateFile(join(dir, DEMO_ACCOUNT_FILE), JSON.stringify(account, null, 2) + '\n');
    writePrivateFile(
      demo.credentialsFile,
      `User Name,Access Key Id,Secret Access Key\n${demo.userName},${demo.ak},${demo.sk}\n`,
    );
    return { written: true, warnings };
  } catch (err) {
    const message = `cannot write the demo account to ${dir}: ${(err as Error).message}; the start banner is its only copy`;
    return { written: false, warnings: [{ path: dir, message }] };
  }
}
