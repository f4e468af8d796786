// The packed tarball on a machine of its own: `npm pack`, then `npm install -g`
// into a throwaway prefix (which compiles better-sqlite3 again: minutes), then
// the installed `vpcep serve` answers on an ephemeral port with a fresh data
// folder. Only the npm registry is contacted (better-sqlite3 is built from
// source rather than downloaded). Run alone with:
//   npm run test:package   (npm test runs it last: it takes minutes, longer than
//   the per-file timeout of the other suites)
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from './support/cli.ts';
import { rawRequest } from './support/http.ts';
import { waitUntil } from './support/wait.ts';

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function npm(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(NPM, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 600_000,
  });
  assert.equal(r.status, 0, `npm ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

test('npm pack → npm install -g → vpcep serve answers GET /', { timeout: 900_000 }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'vpcep-package-'));
  try {
    // `npm pack` runs the prepare step, so the tarball carries a fresh build.
    const packed = npm(['pack', '--pack-destination', tmp, '--silent'], ROOT).trim().split('\n').at(-1)!;
    const tarball = join(tmp, packed);
    const listing = spawnSync('tar', ['tzf', tarball], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean);
    assert.ok(listing.includes('package/dist/cli/main.js'));
    assert.ok(listing.includes('package/bin/vpcep.js'));
    assert.ok(listing.includes('package/docs/cli.md'));
    const stray = listing.filter(
      (f) => !/^package\/(dist\/|bin\/|docs\/|README\.md$|package\.json$)/.test(f),
    );
    assert.deepEqual(stray, [], 'only what runs, and the documentation');
    assert.ok(!listing.some((f) => f.endsWith('.ts')), 'no TypeScript source');

    const prefix = join(tmp, 'prefix');
    // The packages come from the cache `npm ci` filled when it can (prefer-offline), and a
    // fetch the registry does not answer at once is tried again: a network hiccup must not
    // fail the run.
    npm(['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', tarball], tmp, {
      npm_config_build_from_source: 'true',
      npm_config_prefer_offline: 'true',
      npm_config_fetch_retries: '5',
    });
    const bin = join(prefix, 'bin', 'vpcep');
    assert.ok(existsSync(bin), `installed ${bin}`);
    assert.ok(
      !existsSync(join(prefix, 'lib', 'node_modules', 'vpcep', 'node_modules', 'typescript')),
      'no dev dependency',
    );

    const data = join(tmp, 'data');
    mkdirSync(data);
    const serve = spawn(bin, ['serve', '--listen', '127.0.0.1:0'], {
      cwd: data,
      env: {
        PATH: process.env.PATH,
        HOME: data,
        VPCEP_DNS_LISTEN: '127.0.0.1:0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    serve.stdout.on('data', (d: Buffer) => (out += d.toString()));
    serve.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => serve.on('exit', r));
    try {
      const match = await waitUntil(
        () => /listening on (http:\/\/\S+)/.exec(out),
        Boolean,
        'the installed server',
        60_000,
        100,
      );
      const res = await rawRequest({ method: 'GET', url: `${match![1]!}/` });
      assert.equal(res.status, 200, res.text);
      assert.ok((res.json as { versions: unknown[] }).versions.length > 0);
      assert.ok(readdirSync(join(data, '.vpcep')).includes('vpcep.db'));
      serve.kill('SIGTERM');
      assert.equal(await exited, 0, out);
    } finally {
      if (serve.exitCode === null) serve.kill('SIGKILL');
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
