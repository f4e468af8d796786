import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import { enqueueJob } from '../../src/jobs/index.ts';
import type { Database } from '../../src/store/schema.ts';
import { testDialects } from '../support/db.ts';
import { countEffects, countJobs, ensureEffectsTable, summarizeEffects } from './fixtures/effects.ts';
import { waitFor, withStore } from './helpers.ts';

// Real processes against a real database file/server: the only honest way to
// show that a SIGKILL (no cleanup, transactions cut mid-flight) loses and
// duplicates nothing.

const RUNNER = fileURLToPath(new URL('./fixtures/job-runner.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const JOBS = 200;
const LEASE_MS = 300;

const allKeys = () => Array.from({ length: JOBS }, (_, i) => `job-${i}`).sort();

interface Runner {
  child: ChildProcess;
  ready: Promise<void>;
  exited: Promise<[number | null, NodeJS.Signals | null]>;
  stderr(): string;
}

async function countLeased(db: Kysely<Database>): Promise<number> {
  const rows = await db.selectFrom('jobs').select('id').where('locked_by', 'is not', null).execute();
  return rows.length;
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

function startRunner(args: string[], holdMs = 15): Runner {
  const child = spawn(process.execPath, ['--import', 'tsx', RUNNER, ...args], {
    cwd: REPO,
    env: { ...process.env, JOB_RUNNER_HOLD_MS: String(holdMs) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const ready = new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready\n')) resolve();
    });
    void exited.then(([code, sig]) =>
      reject(new Error(`runner exited (${code ?? sig}) before ready: ${stderr}`)),
    );
  });
  return { child, ready: within(ready, 30_000, 'the runner to start'), exited, stderr: () => stderr };
}

/** Stops a runner that is still alive (a failed assertion must not leak processes). */
async function reap(r: Runner): Promise<void> {
  if (r.child.exitCode === null && r.child.signalCode === null) {
    r.child.kill('SIGKILL');
    await within(r.exited, 10_000, 'a runner to die');
  }
}

async function stopGracefully(r: Runner): Promise<void> {
  r.child.kill('SIGTERM');
  const [code] = await within(r.exited, 15_000, 'graceful runner exit');
  assert.equal(code, 0, `runner failed: ${r.stderr()}`);
}

for (const dialect of testDialects()) {
  describe(`jobs across processes (${dialect})`, () => {
    test(
      'after a SIGKILL with jobs due, a restart finishes every job exactly once',
      { timeout: 120_000 },
      async (t) => {
        await withStore(dialect, async (store, url) => {
          await ensureEffectsTable(store.db);
          // Due 10 ms apart: the queue takes ~2 s to drain on either store, so a test process
          // that a loaded runner wakes late still finds a batch in flight to kill.
          const first = startRunner([url, 'enqueue', String(JOBS), String(LEASE_MS), '10']);
          try {
            await first.ready;
            // Kill while a batch is claimed, not in the gap between batches,
            // so the restart also has to recover jobs held by a dead lease.
            await waitFor(
              async () => (await countEffects(store.db)) >= 15 && (await countLeased(store.db)) > 0,
              'the first effects with a batch in flight',
              30_000,
            );
            first.child.kill('SIGKILL');
            const [, signal] = await within(first.exited, 10_000, 'the killed runner to exit');
            assert.equal(signal, 'SIGKILL');
          } finally {
            await reap(first);
          }
          const doneBeforeKill = await countEffects(store.db);
          const leftLeased = await countLeased(store.db);
          assert.ok(doneBeforeKill > 0 && doneBeforeKill < JOBS, `killed mid-queue (${doneBeforeKill} done)`);
          t.diagnostic(`killed after ${doneBeforeKill} effects with ${leftLeased} jobs still leased`);

          const second = startRunner([url, 'run', String(LEASE_MS)]);
          try {
            await second.ready;
            await waitFor(
              async () => (await countJobs(store.db)) === 0,
              'the restarted runner to drain',
              60_000,
            );
            await stopGracefully(second);
          } finally {
            await reap(second);
          }
          const s = await summarizeEffects(store.db);
          assert.deepEqual(s.duplicated, [], 'no job ran twice');
          assert.equal(s.distinct, JOBS, 'every job ran');
          assert.equal(s.total, JOBS);
          assert.deepEqual(s.keys, allKeys(), 'exactly the enqueued jobs ran');
        });
      },
    );

    test(
      'two runner processes share one queue without running a job twice',
      { timeout: 120_000 },
      async (t) => {
        await withStore(dialect, async (store, url) => {
          await ensureEffectsTable(store.db);
          // SQLite's lock is not fair: a process that re-takes the write lock
          // back to back (long transactions, a backlog it polls again for at
          // once) starves the other, whose busy handler sleeps through the
          // microsecond gaps; with BEGIN IMMEDIATE every job transaction waits
          // there. Short holds and jobs falling due more slowly than one process
          // drains them (over two seconds, below) leave gaps, so both really claim.
          const holdMs = dialect === 'sqlite' ? 3 : 15;
          const spreadMs = dialect === 'sqlite' ? 10 : 5;
          const runners = [
            startRunner([url, 'run', '5000'], holdMs),
            startRunner([url, 'run', '5000'], holdMs),
          ];
          try {
            await Promise.all(runners.map((r) => r.ready));
            // Enqueue only once both poll, so they genuinely compete.
            const start = Date.now();
            await store.db.transaction().execute(async (trx) => {
              for (let i = 0; i < JOBS; i++) {
                const key = `job-${i}`;
                const runAt = start + i * spreadMs;
                await enqueueJob(trx, { kind: 'test.effect', resourceId: key, payload: { key }, runAt });
              }
            });
            await waitFor(async () => (await countJobs(store.db)) === 0, 'both runners to drain', 60_000);
            await Promise.all(runners.map(stopGracefully));
          } finally {
            await Promise.all(runners.map(reap));
          }
          const s = await summarizeEffects(store.db);
          assert.deepEqual(s.duplicated, []);
          assert.deepEqual(s.keys, allKeys());
          assert.equal(s.total, JOBS);
          t.diagnostic(`jobs per process: ${JSON.stringify([...s.byWorker.values()])}`);
          const pids = runners.map((r) => `pid-${r.child.pid}`);
          assert.ok(
            pids.every((p) => (s.byWorker.get(p) ?? 0) > 0),
            `both processes ran jobs: ${JSON.stringify([...s.byWorker])}`,
          );
        });
      },
    );
  });
}
