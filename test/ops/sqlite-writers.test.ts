// Two processes writing one SQLite file: a transaction that reads and then
// writes must wait for the other's write lock (up to busy_timeout), not fail
// with SQLITE_BUSY halfway through, and no update may be lost.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { sql } from 'kysely';
import { openStore } from '../../src/store/open.ts';
import { freshDatabase } from '../support/db.ts';

const WRITER = join(import.meta.dirname, 'fixtures', 'sqlite-writer.ts');
const TSX = import.meta.resolve('tsx');
const TRANSACTIONS = 300;

function startWriter(url: string) {
  const child = spawn(process.execPath, ['--import', TSX, WRITER, url, String(TRANSACTIONS)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', () => /ready/.test(out) && resolve());
    child.on('exit', (code) => reject(new Error(`writer exited (${code}) before it was ready: ${err}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, ready, exited, errors: () => err };
}

test('two processes writing one SQLite file wait for each other instead of failing with SQLITE_BUSY', async () => {
  const database = await freshDatabase('sqlite');
  const store = await openStore(database.url);
  const writers: ReturnType<typeof startWriter>[] = [];
  try {
    await sql`CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)`.execute(store.db);
    await sql`INSERT INTO counter (id, n) VALUES (1, 0)`.execute(store.db);
    writers.push(startWriter(database.url), startWriter(database.url));
    await Promise.all(writers.map((w) => w.ready));
    for (const w of writers) w.child.stdin.write('go\n');
    const codes = await Promise.all(writers.map((w) => w.exited));
    const errors = writers.map((w) => w.errors()).join('');
    assert.doesNotMatch(errors, /SQLITE_BUSY/);
    assert.deepEqual(codes, [0, 0], errors);
    const row = await sql<{ n: number }>`SELECT n FROM counter WHERE id = 1`.execute(store.db);
    assert.equal(Number(row.rows[0]?.n), 2 * TRANSACTIONS, 'no update was lost');
  } finally {
    for (const w of writers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    await Promise.all(writers.map((w) => w.exited));
    await store.close();
    await database.drop();
  }
});
