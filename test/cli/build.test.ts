// The compiled server: dist/ runs without tsx (bin/vpcep.js serve answers a
// request signed by the official SDK), imports no TypeScript, and the
// `prepare` step keeps an existing build where the compiler is absent and
// fails clearly where neither exists.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ensureBuilt, ROOT, runCli } from '../support/cli.ts';
import { sdkClient } from '../support/sdk.ts';
import { waitUntil } from '../support/wait.ts';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

test('dist/ holds JavaScript only, whose relative imports name .js files', () => {
  ensureBuilt();
  // dist/console/ is the web console's browser bundle (HTML, CSS, compressed copies): not the server.
  const files = filesUnder(join(ROOT, 'dist')).filter((f) => !f.startsWith(join(ROOT, 'dist', 'console')));
  assert.ok(files.length > 50);
  for (const file of files) {
    assert.match(file, /\.js$/, file);
    const text = readFileSync(file, 'utf8');
    assert.doesNotMatch(text, /from ["']\.{1,2}\/[^"']*\.ts["']/, file);
    assert.doesNotMatch(text, /import\(["']\.{1,2}\/[^"']*\.ts["']\)/, file);
    assert.doesNotMatch(text, /\btsx\b/, file);
  }
  // Migrations are imported statically, so the build carries them.
  assert.ok(files.some((f) => f.endsWith(join('store', 'migrations', 'sqlite', '0001_identity_jobs.js'))));
});

test('bin/vpcep.js serve runs the build and answers a signed request', async (t) => {
  const cwd = mkdtempSync(join(tmpdir(), 'vpcep-built-'));
  // Also when the build itself fails (runCli builds first).
  t.after(() => rmSync(cwd, { recursive: true, force: true }));
  const p = runCli(['serve', '--listen', '127.0.0.1:0'], cwd, {}, { built: true });
  try {
    const match = await waitUntil(
      () => /listening on (http:\/\/\S+)/.exec(p.output()),
      Boolean,
      'the built server to listen',
      30_000,
      50,
    );
    const out = p.output();
    const ak = /access key \(AK\)\s*:\s*(\S+)/.exec(out)?.[1];
    const sk = /secret key \(SK\)\s*:\s*(\S+)/.exec(out)?.[1];
    const projectId = /\(id ([0-9a-f]{32})\)/.exec(out)?.[1];
    assert.ok(ak && sk && projectId, out);
    const call = sdkClient(match![1]!, { ak, sk, projectId });
    const vpcs = await call({ method: 'GET', url: '/v1/{project_id}/vpcs' });
    assert.deepEqual(vpcs.vpcs, []);
    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0);
  } finally {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill('SIGKILL');
      await p.exited;
    }
  }
});

test('the prepare step without TypeScript: keeps an existing build, fails clearly without one', () => {
  // A copy of the build script in a folder with no node_modules: the compiler cannot be found.
  const root = mkdtempSync(join(tmpdir(), 'vpcep-prepare-'));
  try {
    mkdirSync(join(root, 'scripts'));
    copyFileSync(join(ROOT, 'scripts', 'build.js'), join(root, 'scripts', 'build.js'));
    writeFileSync(join(root, 'package.json'), '{"type":"module"}');
    const build = () =>
      spawnSync(process.execPath, [join(root, 'scripts', 'build.js')], { encoding: 'utf8' });

    const none = build();
    assert.equal(none.status, 1);
    assert.match(none.stderr, /cannot build: TypeScript is not installed and dist\/ holds no build/);

    mkdirSync(join(root, 'dist', 'cli'), { recursive: true });
    writeFileSync(join(root, 'dist', 'cli', 'main.js'), '');
    const kept = build();
    assert.equal(kept.status, 0, kept.stderr);
    assert.equal(kept.stdout, 'vpcep: TypeScript is not installed; keeping the existing build in dist/\n');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
