import type SqliteDatabase from 'better-sqlite3';
import {
  SqliteDialect,
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
} from 'kysely';

// Group commit for the SQLite write connection.
//
// A SQLite COMMIT writes every page the transaction changed to the WAL: for an
// endpoint create (ports, endpoints, jobs, quota and counter rows, and their
// indexes) that is most of a third of a millisecond, more than all of the
// create's other statements but one. Transactions that run in the same turn of
// the event loop therefore share one COMMIT: the first opens the write
// transaction (BEGIN IMMEDIATE), each later one runs inside it under a
// savepoint of its own, and the whole batch commits when the turn's I/O has
// been handled (setImmediate), or at once when a statement outside any
// transaction needs the connection. Nothing a caller relies on changes:
// - a transaction's `execute` resolves only once its writes are committed
//   (its commit waits for the batch's COMMIT), so no answer ever reports a
//   write that a crash could take back, and a failed COMMIT fails every
//   transaction of the batch;
// - a transaction that fails rolls back to its own savepoint (or, if it opened
//   the batch, rolls the batch back: nothing else is in it yet), so it never
//   takes another transaction's writes with it;
// - transactions still run one at a time, in the order they asked for the
//   connection, so quota checks and address choices see every earlier write;
// - nothing reads uncommitted rows: the read-only connection (direct-reads.ts)
//   sees committed state only, and a statement outside a transaction commits
//   the open batch before it runs.

type Prepare = (sqlText: string) => SqliteDatabase.Statement;

// Two stores of one process on one file (tests do this; a second process is
// the usual case) share a thread: one store's open batch would make the
// other's BEGIN wait for the write lock synchronously, in SQLite's busy
// handler, and so block the very turn that would commit the batch. Before it
// takes the write lock, a store therefore commits the idle open batches of the
// other stores on its file. (A transaction that awaits a timer while holding
// the lock blocks the other store as it always did: the lock is its until it
// ends.)
const writersByFile = new Map<string, Set<BatchedCommitDriver>>();

/** A first-come, first-served lock: transactions get the connection in the order they asked. */
class FifoLock {
  #held = false;
  readonly #waiting: (() => void)[] = [];

  get held(): boolean {
    return this.#held;
  }

  lock(): Promise<void> {
    if (!this.#held) {
      this.#held = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  unlock(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#held = false;
  }
}

/** Transactions that share one COMMIT. */
class Batch {
  readonly done: Promise<void>;
  resolve!: () => void;
  reject!: (err: unknown) => void;

  constructor() {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // A batch whose only transaction rolled back has nobody waiting on it.
    this.done.catch(() => undefined);
  }
}

/**
 * One hold of the connection (Kysely acquires, uses, releases). Each hold is
 * its own object so that a transaction that already handed the connection on
 * (at its commit) cannot release it from under the next holder.
 */
class Hold implements DatabaseConnection {
  released = false;
  /** The transaction this hold runs: the batch's first, one under a savepoint, or one of its own. */
  unit: 'first' | 'savepoint' | 'solo' | undefined;

  constructor(private readonly driver: BatchedCommitDriver) {}

  /**
   * Runs `query` at once in this hold's transaction: the hold's statements are
   * synchronous calls into SQLite. Refused once the transaction has ended, even
   * in the moment between its rollback (or a solo commit) and Kysely releasing
   * the hold, when run() would take it for a statement outside any transaction.
   */
  runNow<R>(query: CompiledQuery): QueryResult<R> {
    if (this.unit === undefined) throw new Error('a statement on a transaction that has ended');
    return this.driver.run<R>(this, query);
  }

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    try {
      return Promise.resolve(this.driver.run<R>(this, query));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  // eslint-disable-next-line require-yield -- nothing streams from the store; Kysely's interface asks for it
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries are not supported by the store');
  }
}

/**
 * The synchronous statement runner of `connection` when it is a hold of this
 * driver's connection (a SQLite transaction), else undefined. A statement run
 * through it is checked exactly as one run through Kysely (a hold that has
 * committed or rolled back refuses it) but skips the executor's promise chain.
 */
export function syncRunnerOf(
  connection: DatabaseConnection,
): (<R>(query: CompiledQuery) => QueryResult<R>) | undefined {
  return connection instanceof Hold ? (query) => connection.runNow(query) : undefined;
}

class BatchedCommitDriver {
  readonly #lock = new FifoLock();
  #batch: Batch | undefined;
  /** Stores of this process on the same file, this one included; undefined in memory. */
  readonly #neighbours: Set<BatchedCommitDriver> | undefined;

  constructor(
    private readonly raw: SqliteDatabase.Database,
    private readonly prepare: Prepare,
  ) {
    if (!raw.memory) {
      let set = writersByFile.get(raw.name);
      if (!set) writersByFile.set(raw.name, (set = new Set()));
      set.add(this);
      this.#neighbours = set;
    }
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#lock.lock();
    return new Hold(this);
  }

  /**
   * Opens `hold`'s transaction: inside the open batch, or opening one; `solo`
   * (the job worker's handle) commits any open batch first and runs on its
   * own, because a job handler may hold its transaction until its deadline and
   * must not keep a batch's callers waiting for its COMMIT.
   */
  begin(hold: Hold, solo: boolean): void {
    this.#failIfRolledBack();
    if (this.#batch && !solo) {
      this.#exec('savepoint unit');
      hold.unit = 'savepoint';
      return;
    }
    if (this.#batch) this.#commit();
    // IMMEDIATE takes the write lock at BEGIN, where busy_timeout waits for
    // another process; a plain BEGIN would fail mid-transaction instead.
    this.#settleNeighbours();
    this.#exec('begin immediate');
    if (solo) {
      hold.unit = 'solo';
      return;
    }
    const batch = new Batch();
    this.#batch = batch;
    hold.unit = 'first';
    setImmediate(() => {
      this.#flush(batch).catch((err: unknown) => batch.reject(err));
    });
  }

  async commit(hold: Hold): Promise<void> {
    if (hold.unit === 'solo') {
      hold.unit = undefined;
      try {
        this.#exec('commit');
      } catch (err) {
        if (this.raw.inTransaction) this.#exec('rollback');
        throw err;
      }
      return;
    }
    const batch = this.#batch;
    if (!batch || hold.unit === undefined) throw new Error('unreachable: a commit outside a transaction');
    if (this.#failIfRolledBack()) {
      hold.unit = undefined;
      this.release(hold);
      return batch.done;
    }
    if (hold.unit === 'savepoint') this.#exec('release unit');
    hold.unit = undefined;
    // The next transaction may run now, inside the same batch; this one's
    // caller hears back when the batch is committed.
    this.release(hold);
    return batch.done;
  }

  rollback(hold: Hold): void {
    if (hold.unit === 'solo') {
      hold.unit = undefined;
      if (this.raw.inTransaction) this.#exec('rollback');
      return;
    }
    if (hold.unit !== undefined && this.#failIfRolledBack()) {
      hold.unit = undefined;
      return;
    }
    // Undefined: the transaction had committed into its batch and the batch's
    // COMMIT failed, which already rolled everything back.
    if (hold.unit === 'savepoint') {
      this.#exec('rollback to unit');
      this.#exec('release unit');
    } else if (hold.unit === 'first') {
      this.#batch = undefined;
      if (this.raw.inTransaction) this.#exec('rollback');
    }
    hold.unit = undefined;
  }

  async destroy(): Promise<void> {
    if (!this.raw.open) return;
    const batch = this.#batch;
    if (batch) await this.#flush(batch);
    this.#neighbours?.delete(this);
    if (this.#neighbours?.size === 0) writersByFile.delete(this.raw.name);
    this.raw.close();
  }

  /** Runs one statement for `hold`; outside a transaction, after committing the open batch. */
  run<R>(hold: Hold, query: CompiledQuery): QueryResult<R> {
    // A transaction whose commit handed the connection on (it waits for its
    // batch's COMMIT) has no right to it any more.
    if (hold.released) throw new Error('a statement on a transaction that has already committed');
    if (hold.unit === undefined) {
      if (this.#batch) this.#commit();
      else if (!this.raw.inTransaction) this.#settleNeighbours();
    }
    const stmt = this.prepare(query.sql);
    if (stmt.reader) return { rows: stmt.all(query.parameters) as R[] };
    const { changes, lastInsertRowid } = stmt.run(query.parameters);
    return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
  }

  /** Commits the open batches of the other stores on this file that no transaction is running in. */
  #settleNeighbours(): void {
    if (!this.#neighbours || this.#neighbours.size < 2) return;
    for (const other of this.#neighbours) if (other !== this) other.commitIfIdle();
  }

  commitIfIdle(): void {
    if (this.#batch && !this.#lock.held) this.#commit();
  }

  #exec(sqlText: string): void {
    this.prepare(sqlText).run();
  }

  /** Hands the connection on; a hold released at its commit ignores Kysely's later release. */
  release(hold: Hold): void {
    if (hold.released) return;
    hold.released = true;
    this.#lock.unlock();
  }

  /** Commits `batch` once the transaction holding the connection (if any) has finished. */
  async #flush(batch: Batch): Promise<void> {
    await this.#lock.lock();
    try {
      if (this.#batch === batch) this.#commit();
    } finally {
      this.#lock.unlock();
    }
  }

  /**
   * True (and the batch failed) when SQLite itself rolled the open batch back:
   * some I/O and memory errors do, and a caller may have caught the error and
   * carried on. The batch's earlier transactions are lost with it, so none of
   * its callers may hear that they committed.
   */
  #failIfRolledBack(): boolean {
    const batch = this.#batch;
    if (!batch || this.raw.inTransaction) return false;
    this.#batch = undefined;
    batch.reject(new Error('the store rolled back a transaction after an error'));
    return true;
  }

  #commit(): void {
    const batch = this.#batch;
    if (!batch) return;
    this.#batch = undefined;
    try {
      this.#exec('commit');
      batch.resolve();
    } catch (err) {
      batch.reject(err);
      // A failed COMMIT can leave the transaction open; none of its writes may survive.
      if (this.raw.inTransaction) this.#exec('rollback');
    }
  }
}

/** One handle's view of the shared connection: batched (the API's) or solo (the job worker's). */
class DriverView implements Driver {
  constructor(
    private readonly core: BatchedCommitDriver,
    private readonly solo: boolean,
  ) {}

  async init(): Promise<void> {}
  acquireConnection(): Promise<DatabaseConnection> {
    return this.core.acquireConnection();
  }
  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    this.core.begin(connection as Hold, this.solo);
  }
  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.core.commit(connection as Hold);
  }
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    this.core.rollback(connection as Hold);
  }
  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    this.core.release(connection as Hold);
  }
  destroy(): Promise<void> {
    return this.core.destroy();
  }
}

/**
 * Kysely dialects over one SQLite write connection `raw`, statements from
 * `prepare`: `batched` for the API (commits shared per turn), `solo` for the
 * job worker (each transaction commits on its own). Both queue on one lock.
 */
export function batchedCommitDialects(
  raw: SqliteDatabase.Database,
  prepare: Prepare,
): { batched: SqliteDialect; solo: SqliteDialect } {
  const core = new BatchedCommitDriver(raw, prepare);
  const view = (solo: boolean) =>
    new (class extends SqliteDialect {
      override createDriver(): Driver {
        return new DriverView(core, solo);
      }
    })({ database: raw });
  return { batched: view(false), solo: view(true) };
}
