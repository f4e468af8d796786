import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { runCli } from '../support/cli.ts';
import { rawRequest } from '../support/http.ts';
import { sdkClient } from '../support/sdk.ts';
import { waitUntil } from '../support/wait.ts';

function waitFor(check: () => boolean, ms: number, what: string): Promise<boolean> {
  return waitUntil(check, (ok) => ok, what, ms, 50);
}

/** Kills the server if it still runs and waits until it is gone, so its files can be removed. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await gone;
}

/** A working folder for the test, removed when it ends, also when it fails. */
function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'vpcep-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('serve with embedded defaults creates the demo account and answers signed requests', async (t) => {
  const cwd = tempDir(t);
  // Port 0 keeps parallel runs apart; everything else is the embedded default.
  const p = runCli(['serve', '--listen', '127.0.0.1:0'], cwd);
  try {
    await waitFor(() => /listening on (http:\/\/\S+)/.test(p.output()), 20_000, 'the server to listen');
    const url = /listening on (http:\/\/\S+)/.exec(p.output())![1]!;
    const out = p.output();
    const ak = /access key \(AK\)\s*:\s*(\S+)/.exec(out)?.[1];
    const sk = /secret key \(SK\)\s*:\s*(\S+)/.exec(out)?.[1];
    const projectId = /\(id ([0-9a-f]{32})\)/.exec(out)?.[1];
    assert.ok(ak && sk && projectId, out);
    const csv = readFileSync(join(cwd, '.vpcep/credentials.csv'), 'utf8');
    assert.equal(csv, `User Name,Access Key Id,Secret Access Key\nadmin,${ak},${sk}\n`);
    assert.ok(existsSync(join(cwd, '.vpcep/vpcep.db')));
    const call = sdkClient(url, { ak, sk, projectId });
    const projects = await call({ method: 'GET', url: '/v3/projects', queryParams: { name: 'tr-west-1' } });
    assert.equal((projects.projects as unknown[]).length, 1);
    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0, 'SIGTERM shuts down cleanly');

    // A second start reuses the store: no second demo account, same keys still valid.
    const again = runCli(['serve', '--listen', '127.0.0.1:0'], cwd);
    try {
      await waitFor(() => /listening on/.test(again.output()), 20_000, 'the restart');
      assert.doesNotMatch(again.output(), /demo account/);
      again.child.kill('SIGINT');
      assert.equal(await again.exited, 0, 'SIGINT shuts down cleanly');
    } finally {
      await stop(again.child);
    }
  } finally {
    await stop(p.child);
  }
});

test('a bad configuration exits non-zero and names the key', async (t) => {
  const cwd = tempDir(t);
  writeFileSync(join(cwd, 'bad.yaml'), 'quotas:\n  endpoint: lots\n');
  const p = runCli(['serve', '--config', 'bad.yaml'], cwd);
  const code = await p.exited;
  assert.notEqual(code, 0);
  assert.match(p.errors(), /quotas\.endpoint/);
  const q = runCli(['serve'], cwd, { VPCEP_LISTEN: 'not-an-address' });
  assert.notEqual(await q.exited, 0);
  assert.match(q.errors(), /'listen'/);
});

test('VPCEP_CONFIG and the config file are honoured', async (t) => {
  const cwd = tempDir(t);
  writeFileSync(
    join(cwd, 'vpcep.yaml'),
    [
      'listen: 127.0.0.1:0',
      'database: sqlite:data/x.db',
      'accounts:',
      '  - name: acme',
      '    projects: [{ id: 6e9dfd51d1124e8d8498dce894923a0d, name: tr-west-1 }]',
      '    users: [{ name: ops, access_keys: [{ ak: ACMEAK00000000000000, sk: ACMESK0000000000000000000000000000000000 }] }]',
    ].join('\n'),
  );
  const p = runCli(['serve'], cwd, { VPCEP_CONFIG: 'vpcep.yaml' });
  try {
    await waitFor(() => /listening on/.test(p.output()), 20_000, 'the server to listen');
    const url = /listening on (http:\/\/\S+)/.exec(p.output())![1]!;
    assert.doesNotMatch(p.output(), /demo account/, 'no demo account when accounts are configured');
    assert.ok(existsSync(join(cwd, 'data/x.db')));
    const res = await rawRequest({ method: 'GET', url: `${url}/` });
    assert.equal(res.status, 200);
    const call = sdkClient(url, {
      ak: 'ACMEAK00000000000000',
      sk: 'ACMESK0000000000000000000000000000000000',
      projectId: '6e9dfd51d1124e8d8498dce894923a0d',
    });
    const projects = await call({ method: 'GET', url: '/v3/auth/projects' });
    assert.equal((projects.projects as { id: string }[])[0]?.id, '6e9dfd51d1124e8d8498dce894923a0d');
  } finally {
    p.child.kill('SIGTERM');
    await p.exited;
  }
});

test('--roles runs a subset: a data-plane node serves metrics and DNS but no API; unknown roles exit 2', async (t) => {
  const cwd = tempDir(t);
  const p = runCli(['serve', '--listen', '127.0.0.1:0', '--roles', 'dataplane,dns'], cwd);
  try {
    await waitFor(() => /listening on (http:\/\/\S+)/.test(p.output()), 20_000, 'the server to listen');
    assert.match(p.output(), /roles dataplane,dns/);
    assert.match(p.output(), /DNS for zone vpcep\.local on 127\.0\.0\.1:\d+/);
    assert.doesNotMatch(p.output(), /demo account/, 'only the API role seeds accounts');
    const url = /listening on (http:\/\/\S+)/.exec(p.output())![1]!;
    const metrics = await rawRequest({ method: 'GET', url: `${url}/metrics` });
    assert.equal(metrics.status, 200);
    assert.match(metrics.text, /^vpcep_dataplane_listeners 0$/m);
    assert.equal((await rawRequest({ method: 'GET', url: `${url}/` })).status, 404);
  } finally {
    p.child.kill('SIGTERM');
    await p.exited;
  }
  const bad = runCli(['serve', '--roles', 'api,web'], cwd);
  assert.equal(await bad.exited, 2);
  assert.match(bad.errors(), /roles/);
});
