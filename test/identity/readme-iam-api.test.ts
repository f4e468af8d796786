// The README's curl example of "IAM users and permissions" ("The same through
// the API") is a promise that it can be pasted as it is. This runs the block
// itself, unchanged, in bash with curl and jq, against a test server; the
// README's address (127.0.0.1:8080) is kept and sent to the test server's
// ephemeral port by curl's own configuration (`connect-to` in a .curlrc of the
// test's folder), so no fixed port is bound. The key it creates must then list
// endpoints and be refused creating one, as the README says.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { testDialects } from '../support/db.ts';
import { passwordToken, startTestServer, type TestServer } from '../support/server.ts';
import { outcome, signedCaller, withToken } from './iam.support.ts';

const README = join(import.meta.dirname, '../../README.md');
const MARKER = '<!-- test/identity/readme-iam-api.test.ts runs this block as it is -->';
const README_ADDRESS = '127.0.0.1:8080';

function curlBlock(): string {
  const readme = readFileSync(README, 'utf8');
  const at = readme.indexOf(MARKER);
  assert.ok(at >= 0, 'the README marks its IAM curl block');
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(at))?.[1];
  assert.ok(block !== undefined, 'a sh block follows the marker');
  assert.ok(block.includes(`http://${README_ADDRESS}/`), 'the block calls the README address');
  return block;
}

/** Runs `script` in bash with only `env`; resolves with its exit code and output, killed after 60 s. */
async function runBash(script: string, env: Record<string, string>) {
  const bash = spawn('bash', [script], { env, detached: true });
  let out = '';
  let err = '';
  bash.stdout.on('data', (d: Buffer) => (out += d.toString()));
  bash.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const killer = setTimeout(() => process.kill(-bash.pid!, 'SIGKILL'), 60_000);
  try {
    const code = await new Promise<number | null>((res) => bash.on('close', res));
    return { code, out, err };
  } finally {
    clearTimeout(killer);
    try {
      process.kill(-bash.pid!, 'SIGKILL');
    } catch {
      // The group has ended already, as it should.
    }
  }
}

for (const dialect of testDialects()) {
  describe(`the README's IAM curl example (${dialect})`, () => {
    let server: TestServer;
    const dir = mkdtempSync(join(tmpdir(), 'vpcep-readme-iam-'));

    before(async () => {
      server = await startTestServer({ dialect });
    });
    after(async () => {
      await server?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    test('runs as written: the key it makes lists endpoints (200) and is refused a create (403)', async () => {
      const p = server.provider;
      const token = await passwordToken(server.url, p);
      writeFileSync(
        join(dir, '.curlrc'),
        `connect-to = ${README_ADDRESS}:${new URL(server.url).host}\nmax-time = 20\n`,
      );
      const script = join(dir, 'iam.sh');
      // The ids the block keeps in shell variables are printed after it, to be checked.
      writeFileSync(
        script,
        `set -euo pipefail\n${curlBlock()}\nprintf '\\nids %s %s %s\\n' "$U" "$G" "$R"\n`,
      );
      const run = await runBash(script, {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: dir,
        CURL_HOME: dir,
        TOKEN: token,
        P: p.projectId,
      });
      assert.equal(run.code, 0, `the example failed:\n${run.out}\n${run.err}`);

      const ids = /^ids (\S+) (\S+) (\S+)$/m.exec(run.out);
      assert.ok(ids, run.out);
      const [, user, group, role] = ids;
      for (const id of [user, group, role]) assert.match(id!, /^[0-9a-f]{32}$/, run.out);
      const body = run.out.slice(0, ids.index).trim();
      const credential = (JSON.parse(body) as { credential: Record<string, unknown> }).credential;
      assert.equal(credential.user_id, user);
      assert.equal(credential.status, 'active');
      const keys = { ak: String(credential.access), sk: String(credential.secret) };

      const owner = (path: string) => withToken(server.url, token, 'GET', path);
      const members = (await owner(`/v3/groups/${group}/users`)).json?.users as {
        id: string;
        name: string;
      }[];
      assert.deepEqual(
        members.map((u) => [u.id, u.name]),
        [[user, 'ci']],
      );
      const granted = (await owner(`/v3/projects/${p.projectId}/groups/${group}/roles`)).json?.roles as {
        id: string;
        display_name: string;
      }[];
      assert.deepEqual(
        granted.map((r) => [r.id, r.display_name]),
        [[role, 'endpoints-read']],
      );

      const call = signedCaller(server.url, keys, p.projectId);
      assert.deepEqual(await outcome(call({ method: 'GET', url: '/v1/{project_id}/vpc-endpoints' })), {
        status: 200,
      });
      assert.deepEqual(
        await outcome(call({ method: 'POST', url: '/v1/{project_id}/vpc-endpoints', data: {} })),
        {
          status: 403,
          code: 'EndPoint.0004',
        },
      );
    });
  });
}
