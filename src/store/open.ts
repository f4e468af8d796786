import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { migrationProvider } from './migrations/index.ts';
import type { Database } from './schema.ts';

export type DialectName = 'sqlite' | 'postgres';

export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  /** Directory of the SQLite file (where credentials.csv goes); undefined for PostgreSQL. */
  readonly dataDir: string | undefined;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Run pending migrations before returning (the default). */
  migrate?: boolean;
  poolSize?: number;
}

// int8 (BIGINT, COUNT(*)) arrives from pg as text to protect values beyond 2^53.
// Every bigint in this schema is a millisecond time, an id or a count, far below
// that, so numbers are what the repositories expect on both dialects.
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format) as (value: string) => unknown;
  },
};

/**
 * Kysely prepares every query anew; with better-sqlite3 preparing costs more
 * than running a small indexed query. The SQL text Kysely generates for a
 * given query shape is stable, so prepared statements are reused by text.
 */
function withStatementCache(raw: SqliteDatabase.Database, max = 500) {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => raw.close(),
    prepare(sqlText: string) {
      let stmt = cache.get(sqlText);
      if (!stmt) {
        stmt = raw.prepare(sqlText);
        if (cache.size >= max) cache.clear();
        cache.set(sqlText, stmt);
      }
      return stmt;
    },
  };
}

function openSqlite(location: string): { db: Kysely<Database>; dataDir: string | undefined } {
  const memory = location === ':memory:' || location === '';
  const file = memory ? ':memory:' : resolve(location);
  if (!memory) mkdirSync(dirname(file), { recursive: true });
  const raw = new SqliteDatabase(file);
  // WAL lets readers proceed while a writer commits; NORMAL sync in WAL mode
  // survives a process crash (the contract we test) at a fraction of FULL's
  // fsync cost. busy_timeout covers a second process sharing the file.
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('foreign_keys = ON');
  raw.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(raw) }) });
  return { db, dataDir: memory ? undefined : dirname(file) };
}

function openPostgres(url: string, poolSize: number): Kysely<Database> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, types: pgTypes });
  // An idle client losing its connection must not crash the process; the pool
  // replaces it on the next checkout.
  pool.on('error', () => undefined);
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
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

export async function openStore(url: string, opts: OpenOptions = {}): Promise<Store> {
  const dialect = dialectOf(url);
  let db: Kysely<Database>;
  let dataDir: string | undefined;
  if (dialect === 'sqlite') {
    ({ db, dataDir } = openSqlite(url.slice('sqlite:'.length)));
  } else {
    db = openPostgres(url, opts.poolSize ?? 10);
  }
  try {
    if (opts.migrate !== false) await migrate(db, dialect);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  let closed = false;
  return {
    db,
    dialect,
    dataDir,
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}

/** True when a driver error is a unique-constraint violation, on either dialect. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
