import { dirname, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect } from 'kysely';
import pg from 'pg';
import { batchedCommitDialects } from './batched-commits.ts';
import { openDirectReader, type DirectReader } from './direct-reads.ts';
import { secureSqliteFiles, type ModeWarning } from './file-modes.ts';
import { statementCache } from './statement-cache.ts';
import { countStatementsOf, StatementCount } from './statement-count.ts';
import { migrationProvider } from './migrations/index.ts';
import { namedReader } from './named-reads.ts';
import { registerReader } from './prepared.ts';
import { redactError, redactUrls } from './redact.ts';
import type { Database } from './schema.ts';

export type DialectName = 'sqlite' | 'postgres';

export interface Store {
  readonly db: Kysely<Database>;
  /**
   * The job worker's handle. On PostgreSQL a pool of its own, so jobs waiting on
   * locks can never hold every connection the API needs; on SQLite `db`'s one
   * connection (which BEGIN IMMEDIATE and the handler timeout keep moving),
   * whose transactions each commit on their own instead of sharing the API's
   * per-turn COMMIT (batched-commits.ts).
   */
  readonly jobsDb: Kysely<Database>;
  readonly dialect: DialectName;
  /** Directory of the SQLite file, made private here; undefined in memory and for PostgreSQL. */
  readonly dataDir: string | undefined;
  /** File modes fixed while opening (SQLite): for the caller's log, once it has one. */
  readonly warnings: readonly ModeWarning[];
  /** Statements run on the store's connections since it opened (statement-count.ts). */
  statementsRun(): number;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Run pending migrations before returning (the default). */
  migrate?: boolean;
  /** PostgreSQL: connections of the main pool (default 10). */
  poolSize?: number;
  /** PostgreSQL: connections of the job worker's pool (default 2). */
  jobsPoolSize?: number;
  /** PostgreSQL statement_timeout of every pooled connection, ms; 0 or absent: none. */
  statementTimeoutMs?: number;
  /** PostgreSQL lock_timeout of every pooled connection, ms; 0 or absent: none. */
  lockTimeoutMs?: number;
  /**
   * SQLite: how long a statement waits for another process's lock before it fails
   * with SQLITE_BUSY (default 5 s). The wait blocks this process (the driver is
   * synchronous), so it is a bound, not a queue.
   */
  sqliteBusyTimeoutMs?: number;
}

const DEFAULT_SQLITE_BUSY_TIMEOUT_MS = 5000;

// int8 (BIGINT, COUNT(*)) arrives from pg as text to protect values beyond 2^53.
// Every bigint in this schema is a millisecond time, an id or a count, far below
// that, so numbers are what the repositories expect on both dialects.
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format) as (value: string) => unknown;
  },
};

interface Opened {
  db: Kysely<Database>;
  jobsDb: Kysely<Database>;
  dataDir: string | undefined;
  warnings: ModeWarning[];
  /** A SQLite file's path (for the read-only connection); undefined in memory and on PostgreSQL. */
  sqliteFile?: string;
  destroy(): Promise<void>;
}

function openSqlite(location: string, count: StatementCount, busyTimeoutMs: number): Opened {
  const memory = location === ':memory:' || location === '';
  const file = memory ? ':memory:' : resolve(location);
  const warnings = memory ? [] : secureSqliteFiles(file);
  const raw = new SqliteDatabase(file);
  // WAL lets readers proceed while a writer commits; NORMAL sync in WAL mode
  // survives a process crash (the contract we test) at a fraction of FULL's
  // fsync cost. busy_timeout covers a second process sharing the file.
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  // Transactions that share a COMMIT (batched-commits.ts) each run under a
  // savepoint, whose undo copies of pages SQLite writes to a temporary
  // journal: in memory a copy, in a file a write per page (an endpoint
  // create's inserts measured 30 µs against 60).
  raw.pragma('temp_store = MEMORY');
  raw.pragma('foreign_keys = ON');
  raw.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
  const dialects = batchedCommitDialects(raw, statementCache(raw, 500, count));
  const db = new Kysely<Database>({ dialect: dialects.batched });
  const jobsDb = new Kysely<Database>({ dialect: dialects.solo });
  return {
    db,
    jobsDb,
    dataDir: memory ? undefined : dirname(file),
    warnings,
    ...(memory ? {} : { sqliteFile: file }),
    destroy: async () => {
      await db.destroy();
      await jobsDb.destroy();
    },
  };
}

function postgresPool(
  url: string,
  max: number,
  opts: OpenOptions,
  count: StatementCount,
): { db: Kysely<Database>; pool: pg.Pool } {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    types: pgTypes,
    // Sent at connect; 0 leaves the server's own setting.
    ...(opts.statementTimeoutMs ? { statement_timeout: opts.statementTimeoutMs } : {}),
    ...(opts.lockTimeoutMs ? { lock_timeout: opts.lockTimeoutMs } : {}),
  });
  // An idle client losing its connection must not crash the process; the pool
  // replaces it on the next checkout.
  pool.on('error', () => undefined);
  // A checked-out client losing its connection (the server terminated it) emits
  // 'error' besides failing its query; unheard, that event would end the process.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({
      pool,
      onCreateConnection: async (connection) => countStatementsOf(connection, count),
    }),
  });
  return { db, pool };
}

function openPostgres(url: string, opts: OpenOptions, count: StatementCount): Opened {
  const { db, pool } = postgresPool(url, opts.poolSize ?? 10, opts, count);
  registerReader(db, namedReader(pool, count));
  const { db: jobsDb } = postgresPool(url, opts.jobsPoolSize ?? 2, opts, count);
  return {
    db,
    jobsDb,
    dataDir: undefined,
    warnings: [],
    destroy: async () => {
      await Promise.all([db.destroy(), jobsDb.destroy()]);
    },
  };
}

/**
 * Migrations run on a connection of their own without the pools' timeouts: a
 * migration that rewrites a large table must not be cut off halfway through.
 */
async function migratePostgres(url: string): Promise<void> {
  // Its statements are start-up work, not the store's: they count nowhere.
  const { db } = postgresPool(url, 1, {}, new StatementCount());
  try {
    await migrate(db, 'postgres');
  } finally {
    await db.destroy();
  }
}

export function dialectOf(url: string): DialectName {
  if (url.startsWith('sqlite:')) return 'sqlite';
  if (/^postgres(ql)?:\/\//.test(url)) return 'postgres';
  throw new Error(`unsupported database URL (expected sqlite:PATH or postgres://…)`);
}

export async function migrate(db: Kysely<Database>, dialect: DialectName): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider(dialect) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed: ${(error as Error).message}`);
  }
}

/**
 * Opens (and by default migrates) the store `url` names. A failure is reported
 * with the URL it concerns, its password replaced by `***`, and without the
 * driver's extra fields (which may hold the whole URL).
 */
export async function openStore(url: string, opts: OpenOptions = {}): Promise<Store> {
  try {
    return await openAndMigrate(url, opts);
  } catch (err) {
    const clean = redactError(err);
    throw Object.assign(clean, { message: `cannot open the database ${redactUrls(url)}: ${clean.message}` });
  }
}

async function openAndMigrate(url: string, opts: OpenOptions): Promise<Store> {
  const dialect = dialectOf(url);
  if (dialect === 'postgres' && opts.migrate !== false) await migratePostgres(url);
  const count = new StatementCount();
  const busyTimeoutMs = opts.sqliteBusyTimeoutMs ?? DEFAULT_SQLITE_BUSY_TIMEOUT_MS;
  const opened =
    dialect === 'sqlite'
      ? openSqlite(url.slice('sqlite:'.length), count, busyTimeoutMs)
      : openPostgres(url, opts, count);
  let reader: DirectReader | undefined;
  try {
    if (dialect === 'sqlite' && opts.migrate !== false) await migrate(opened.db, dialect);
    // Opened once the schema is in place; a second connection to ':memory:' would be another database.
    if (opened.sqliteFile !== undefined) {
      reader = openDirectReader(opened.sqliteFile, count, busyTimeoutMs);
      registerReader(opened.db, reader);
    }
  } catch (err) {
    await opened.destroy();
    throw err;
  }
  let closed = false;
  return {
    db: opened.db,
    jobsDb: opened.jobsDb,
    dialect,
    dataDir: opened.dataDir,
    warnings: opened.warnings,
    statementsRun: () => count.value,
    async close() {
      if (closed) return;
      closed = true;
      reader?.close();
      await opened.destroy();
    },
  };
}

/**
 * True when a SQLite statement gave up waiting for another process's lock
 * (SQLITE_BUSY and its extended codes): the store is busy, not broken.
 */
export function isStoreBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (
    typeof code === 'string' &&
    (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_') || POSTGRES_BUSY.has(code))
  );
}

// PostgreSQL's answers when a statement gave up waiting on others: lock_timeout
// (lock_not_available), statement_timeout (query_canceled) and a deadlock victim.
// The transaction was rolled back, so nothing was written and a retry is safe.
const POSTGRES_BUSY = new Set(['55P03', '57014', '40P01']);

/** True when a driver error is a unique-constraint violation, on either dialect. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
