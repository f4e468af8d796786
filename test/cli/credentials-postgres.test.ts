// On PostgreSQL too, the demo account's login outlives the start banner: the
// server writes it into its data folder (.vpcep by default, 0700, files 0600),
// and `vpcep credentials` / `vpcep env`, run where the server runs, print it.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cli, runCli, sdkEnv } from '../support/cli.ts';
import { freshDatabase, testDialects, type TestDatabase } from '../support/db.ts';
import { waitUntil } from '../support/wait.ts';

const LISTENING = /vpcep listening on (http:\/\/\S+)/;

describe('vpcep credentials with a PostgreSQL store', { skip: !testDialects().includes('postgres') }, () => {
  let db: TestDatabase | undefined;
  let cwd: string | undefined;
  let serve: ReturnType<typeof runCli> | undefined;
  let url = '';

  before(async () => {
    db = await freshDatabase('postgres');
    cwd = mkdtempSync(join(tmpdir(), 'vpcep-cred-pg-'));
    // A data folder made by someone else's umask: the server must close it, not trust it.
    mkdirSync(join(cwd, '.vpcep'));
    chmodSync(join(cwd, '.vpcep'), 0o755);
    serve = runCli(
      ['serve', '--listen', '127.0.0.1:0', '--log-format', 'json'],
      cwd,
      {
        VPCEP_DATABASE_URL: db.url,
      },
      { built: true },
    );
    const running = serve;
    url = await waitUntil(
      () => LISTENING.exec(running.output())?.[1] ?? '',
      (u) => u !== '',
      'the server to listen',
      30_000,
      50,
    );
  });
  after(async () => {
    if (serve && serve.child.exitCode === null && serve.child.signalCode === null) {
      serve.child.kill('SIGTERM');
      await serve.exited;
    }
    if (cwd) rmSync(cwd, { recursive: true, force: true });
    await db?.drop();
  });

  // Run where the server runs, with its database and listen address as its configuration says.
  const here = (args: string[]) =>
    cli(args, {
      built: true,
      cwd: cwd!,
      env: { VPCEP_DATABASE_URL: db!.url, VPCEP_LISTEN: `127.0.0.1:${new URL(url).port}` },
    });

  test('the login of the banner, password included, is printed again from .vpcep, and its keys work', async () => {
    const r = await here(['credentials', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const shown = JSON.parse(r.stdout) as Record<string, string>;
    const banner = serve!.output();
    assert.equal(shown.endpoint, url);
    assert.match(banner, new RegExp(`user / password\\s*: admin / ${shown.password}\\n`));
    assert.match(banner, new RegExp(`access key \\(AK\\)\\s*: ${shown.ak}\\n`));
    assert.match(banner, new RegExp(`secret key \\(SK\\)\\s*: ${shown.sk}\\n`));
    assert.match(banner, new RegExp(`\\(id ${shown.project_id}\\)`));
    const dir = join(cwd!, '.vpcep');
    assert.match(banner, new RegExp(`also kept in\\s*: ${dir} `));
    assert.equal(shown.account_file, join(dir, 'demo-account.json'));
    assert.equal(shown.keys_file, join(dir, 'credentials.csv'));
    assert.equal(statSync(shown.account_file).mode & 0o777, 0o600);
    assert.equal(statSync(shown.keys_file).mode & 0o777, 0o600);
    assert.equal(
      readFileSync(shown.keys_file, 'utf8'),
      `User Name,Access Key Id,Secret Access Key\nadmin,${shown.ak},${shown.sk}\n`,
    );
    assert.equal(statSync(dir).mode & 0o777, 0o700, 'the folder was closed');
    assert.ok(
      serve!
        .output()
        .split('\n')
        .some((line) => line.includes('"level":40') && line.includes(`${dir} was open to other users`)),
      'and the server said so',
    );

    // The keys are the account's: a signed call with them is accepted.
    const call = await cli(['api', 'GET', '/v3/auth/domains'], {
      built: true,
      env: sdkEnv(url, { ak: shown.ak!, sk: shown.sk!, projectId: shown.project_id! }),
    });
    assert.equal(call.code, 0, call.stderr);
    assert.equal((JSON.parse(call.stdout) as { domains: { name: string }[] }).domains[0]?.name, 'demo');

    const env = await here(['env']);
    assert.equal(env.code, 0, env.stderr);
    assert.match(env.stdout, new RegExp(`^export HUAWEICLOUD_SDK_SK='${shown.sk}'$`, 'm'));
  });
});
