// Several processes on one SQLite file (docs/operations.md): a write waits for
// another process's write lock at least as long as any transaction of ours may
// hold it (a job handler, cut off at jobs.handler_timeout_ms), so a supported
// setup never sees SQLITE_BUSY; a lock held past that wait is answered 503
// VPCEP.0503 in the catalog's shape, never 500. SQLite only: PostgreSQL has
// row locks and lock_timeout instead.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { rawRequest, type RawResponse } from '../support/http.ts';
import { passwordToken, startTestServer, type TestServer } from '../support/server.ts';

const HOLDER = join(import.meta.dirname, 'fixtures', 'sqlite-lock-holder.mjs');

/** Another process holding the write lock of `file` for `holdMs` (0: until released). */
async function holdWriteLock(file: string, holdMs: number) {
  const child = spawn(process.execPath, [HOLDER, file, String(holdMs)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const lockedAt = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', () => {
      const locked = /locked (\d+)\n/.exec(out);
      if (locked) resolve(Number(locked[1]));
    });
    child.on('exit', (code) => reject(new Error(`lock holder exited (${code}) before locking: ${err}`)));
  });
  return {
    exited,
    /** When the holder took the lock (its Date.now()). */
    lockedAt,
    /** Commits (if still holding) and waits for the process to end. */
    async release(): Promise<number | null> {
      if (child.exitCode === null) child.stdin.end();
      return exited;
    },
    kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

function sqliteFile(server: TestServer): string {
  return server.config.database.slice('sqlite:'.length);
}

function createVpc(server: TestServer, token: string, name: string): Promise<RawResponse> {
  return rawRequest({
    method: 'POST',
    url: `${server.url}/v1/${server.provider.projectId}/vpcs`,
    headers: { 'content-type': 'application/json', 'x-auth-token': token },
    body: JSON.stringify({ vpc: { name, cidr: '10.20.0.0/16' } }),
  });
}

/**
 * An API node configured to cut job handlers off after `handlerTimeoutMs`. The API
 * role alone: SQLite's wait for a lock blocks the whole process, so a job worker
 * polling here would make the request's own wait start later than it is sent.
 */
function serverWithHandlerTimeout(handlerTimeoutMs: number): Promise<TestServer> {
  return startTestServer({
    dialect: 'sqlite',
    overrides: {
      roles: ['api'],
      jobs: { poll_ms: 20, lease_ms: 60_000, max_attempts: 5, handler_timeout_ms: handlerTimeoutMs },
    },
  });
}

describe('another process holding the SQLite write lock', () => {
  test('a write waits out a lock held as long as a job handler may run, and succeeds', async () => {
    // Longer than SQLite's old 5 s busy_timeout: a hung handler elsewhere held it that long.
    const handlerTimeoutMs = 6500;
    const server = await serverWithHandlerTimeout(handlerTimeoutMs);
    let holder: Awaited<ReturnType<typeof holdWriteLock>> | undefined;
    try {
      const token = await passwordToken(server.url, server.provider);
      holder = await holdWriteLock(sqliteFile(server), handlerTimeoutMs);
      const res = await createVpc(server, token, 'waited');
      // From the holder's own lock time: this process may see its "locked" late on a loaded runner.
      const waited = Date.now() - holder.lockedAt;
      assert.equal(res.status, 200, res.text);
      assert.ok(waited >= 5000, `the write waited for the lock (${waited} ms)`);
      assert.equal(await holder.release(), 0);
    } finally {
      holder?.kill();
      await server.close();
    }
  });

  test('a lock held past the wait is answered 503 VPCEP.0503 in the catalog shape, and the server carries on', async () => {
    const server = await serverWithHandlerTimeout(100);
    let holder: Awaited<ReturnType<typeof holdWriteLock>> | undefined;
    try {
      const token = await passwordToken(server.url, server.provider);
      holder = await holdWriteLock(sqliteFile(server), 0);
      const res = await createVpc(server, token, 'refused');
      assert.equal(res.status, 503, res.text);
      const body = res.json as Record<string, string>;
      assert.deepEqual(Object.keys(body).sort(), ['error_code', 'error_msg', 'request_id']);
      assert.equal(body.error_code, 'VPCEP.0503');
      assert.match(body.error_msg!, /busy/);
      assert.doesNotMatch(body.error_msg!, /SQLITE|database is locked/);
      assert.equal(res.headers['x-request-id'], body.request_id);
      assert.equal(await holder.release(), 0);
      // Nothing was half-written, and the next write goes through.
      const again = await createVpc(server, token, 'refused');
      assert.equal(again.status, 200, again.text);
    } finally {
      holder?.kill();
      await server.close();
    }
  });
});
