// A database URL carries a password. Whatever vpcep prints about the URL (a
// configuration error, a failed connection, its log and banner) shows the
// user as `user:***@` and never the password.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freshDatabase, type TestDatabase } from '../support/db.ts';
import { runCli } from '../support/cli.ts';
import { waitUntil } from '../support/wait.ts';

const PASSWORD = 'Sup3rS3cretPw';

describe('database passwords never reach the terminal or the log', () => {
  let cwd: string;
  before(() => {
    cwd = mkdtempSync(join(tmpdir(), 'vpcep-redact-'));
  });
  after(() => rmSync(cwd, { recursive: true, force: true }));

  async function failing(args: string[], env: NodeJS.ProcessEnv = {}) {
    const p = runCli(['serve', '--listen', '127.0.0.1:0', ...args], cwd, env);
    const code = await p.exited;
    return { code, all: p.output() + p.errors() };
  }

  test('an unsupported URL in a flag: exit 2, the URL shown with the password masked', async () => {
    const r = await failing(['--database', `mysql://admin:${PASSWORD}@127.0.0.1/db`]);
    assert.equal(r.code, 2);
    assert.match(r.all, /'database'/);
    assert.ok(r.all.includes('mysql://admin:***@127.0.0.1/db'), r.all);
    assert.ok(!r.all.includes(PASSWORD), r.all);
  });

  test('an unparsable PostgreSQL URL from the environment: exit 2, masked', async () => {
    const r = await failing([], { VPCEP_DATABASE_URL: `postgres://admin:${PASSWORD}@127.0.0.1:99999/db` });
    assert.equal(r.code, 2);
    assert.ok(r.all.includes('postgres://admin:***@127.0.0.1:99999/db'), r.all);
    assert.ok(!r.all.includes(PASSWORD), r.all);
  });

  test('a YAML error on the line of the URL: the quoted line is masked', async () => {
    writeFileSync(
      join(cwd, 'broken.yaml'),
      // The parser's message quotes the offending line, the URL with it.
      `database: postgres://admin:${PASSWORD}@db.example:5432/vpcep\n  port: 5432\n`,
    );
    const r = await failing(['--config', 'broken.yaml']);
    assert.equal(r.code, 2);
    assert.ok(r.all.includes('postgres://admin:***@db.example:5432/vpcep'), r.all);
    assert.ok(!r.all.includes(PASSWORD), r.all);
  });

  test('an unreachable PostgreSQL server: the error names the database, masked', async () => {
    const r = await failing(['--database', `postgres://admin:${PASSWORD}@127.0.0.1:1/vpcep`]);
    assert.notEqual(r.code, 0);
    assert.ok(r.all.includes('postgres://admin:***@127.0.0.1:1/vpcep'), r.all);
    assert.ok(!r.all.includes(PASSWORD), r.all);
  });
});

describe(
  'database passwords never reach the banner or the log of a running server',
  { skip: !process.env.VPCEP_TEST_DATABASE_URL },
  () => {
    let database: TestDatabase;
    before(async () => {
      database = await freshDatabase('postgres');
    });
    after(async () => database.drop());

    test('a server on PostgreSQL with a password in its URL logs and prints no password', async () => {
      // The test cluster trusts loopback, so any password connects.
      const url = new URL(database.url);
      url.username = 'postgres';
      url.password = PASSWORD;
      const cwd = mkdtempSync(join(tmpdir(), 'vpcep-redact-'));
      const p = runCli(['serve', '--listen', '127.0.0.1:0', '--database', url.toString()], cwd, {
        VPCEP_CONFIG: '',
      });
      try {
        await waitUntil(
          () => /listening on/.test(p.output()),
          (ok) => ok,
          'the server to listen',
          30_000,
          50,
        );
        p.child.kill('SIGTERM');
        assert.equal(await p.exited, 0);
        const all = p.output() + p.errors();
        assert.match(all, /demo account/);
        assert.ok(!all.includes(PASSWORD), all);
      } finally {
        if (p.child.exitCode === null) p.child.kill('SIGKILL');
        rmSync(cwd, { recursive: true, force: true });
      }
    });
  },
);
