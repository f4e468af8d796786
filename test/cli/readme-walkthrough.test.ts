// The README's walkthrough is a promise that every line can be pasted as it is.
// This runs the README's block itself, unchanged, in bash against the built
// server started as the quick start starts it (embedded defaults, a fresh data
// folder), from the checkout's folder as the README says.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cli, ROOT, runCli } from '../support/cli.ts';
import { waitUntil } from '../support/wait.ts';

const MARKER = '<!-- test/cli/readme-walkthrough.test.ts runs this block as it is -->';

function walkthroughBlock(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf(MARKER);
  assert.ok(at >= 0, 'the README marks its walkthrough block');
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(at))?.[1];
  assert.ok(block !== undefined, 'a sh block follows the marker');
  return block;
}

describe("the README's walkthrough", () => {
  const dir = mkdtempSync(join(tmpdir(), 'vpcep-readme-'));
  const env = {
    // The server's data folder is the test's own, never the checkout's .vpcep/.
    VPCEP_DATABASE_URL: `sqlite:${join(dir, '.vpcep/vpcep.db')}`,
  };
  let server: ReturnType<typeof runCli>;
  let url = '';

  before(async () => {
    server = runCli(['serve', '--listen', '127.0.0.1:0'], dir, env, { built: true });
    url = await waitUntil(
      () => /listening on (http:\/\/\S+)/.exec(server.output())?.[1],
      (u) => u !== undefined,
      'the server to listen',
      30_000,
      50,
    ).then((u) => u ?? '');
  });
  after(async () => {
    if (server.child.exitCode === null) server.child.kill('SIGTERM');
    await server.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  test('runs as written: service, endpoint, accept, traffic through it, clean up', async () => {
    const script = join(dir, 'walkthrough.sh');
    // Aliases are off in scripts; the reader's interactive shell has them on.
    writeFileSync(script, `set -eu\nshopt -s expand_aliases\n${walkthroughBlock()}`);
    const bashEnv = {
      ...process.env,
      ...env,
      VPCEP_CONFIG: '',
      // `vpcep env` finds the server from the configuration `vpcep serve` would read here; the
      // test's server took an ephemeral port, which the same variable names.
      VPCEP_LISTEN: new URL(url).host,
      VPCEP_HOME: join(dir, 'home'),
      // The walkthrough's mktemp lands in the test's folder, which goes with it.
      TMPDIR: dir,
      HUAWEICLOUD_SDK_AK: '',
      HUAWEICLOUD_SDK_SK: '',
      HUAWEICLOUD_SDK_PROJECT_ID: '',
    };
    // Its own process group, so that the backend it starts goes with it even when a line fails.
    const bash = spawn('bash', [script], { cwd: ROOT, env: bashEnv, detached: true });
    let out = '';
    let err = '';
    bash.stdout.on('data', (d: Buffer) => (out += d.toString()));
    bash.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const killer = setTimeout(() => process.kill(-bash.pid!, 'SIGKILL'), 100_000);
    try {
      const code = await new Promise<number | null>((res) => bash.on('close', res));
      assert.equal(code, 0, `the walkthrough failed:\n${out}\n${err}`);
    } finally {
      clearTimeout(killer);
      try {
        process.kill(-bash.pid!, 'SIGKILL');
      } catch {
        // The group is already gone: the walkthrough's own `kill %1` stopped the backend.
      }
    }
    assert.match(out, /"status": "pendingAcceptance"/, 'the endpoint waits for its provider');
    assert.match(out, /^hello from the backend$/m, 'the backend answered through the endpoint');
    assert.match(out, /"total_connections": [1-9]/, 'the data plane counted the connection');

    const sdkEnv = { VPCEP_LISTEN: new URL(url).host, VPCEP_HOME: join(dir, 'home') };
    const credentials = await cli(['env'], { built: true, env: { ...env, ...sdkEnv } });
    const vars: Record<string, string> = {};
    for (const m of credentials.stdout.matchAll(/^export (\w+)='([^']*)'$/gm)) vars[m[1] ?? ''] = m[2] ?? '';
    const left = await cli(['vpcs', 'list', '-o', 'json'], { built: true, env: { ...env, ...vars } });
    assert.equal(left.code, 0, left.stderr);
    assert.deepEqual(JSON.parse(left.stdout), [], 'the clean-up removed every VPC');
  });
});
