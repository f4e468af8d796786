// A real `vpcep serve` with embedded defaults creates the demo account; the
// built client then reads it back (`credentials`), hands it to a shell
// (`eval "$(vpcep env)"` into a signed call), and `vpcep demo` builds the
// README topology through which an HTTP request reaches a backend.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BIN, cli, ensureBuilt, runCli } from '../support/cli.ts';
import { rawRequest } from '../support/http.ts';
import { reachable } from '../support/reachable.ts';
import { waitUntil } from '../support/wait.ts';

describe('vpcep credentials, env and demo against a fresh server', () => {
  let cwd: string;
  let serve: ReturnType<typeof runCli>;
  let url: string;
  let port: string;
  let backend: Server | undefined;

  before(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'vpcep-demo-'));
    serve = runCli(['serve', '--listen', '127.0.0.1:0'], cwd, {}, { built: true });
    await waitUntil(
      () => /listening on (http:\/\/\S+)/.exec(serve.output()),
      Boolean,
      'the server to listen',
      30_000,
      50,
    );
    url = /listening on (http:\/\/\S+)/.exec(serve.output())![1]!;
    port = new URL(url).port;
  });
  after(async () => {
    if (backend) {
      backend.closeAllConnections();
      await new Promise<void>((r) => backend!.close(() => r()));
    }
    serve.child.kill('SIGTERM');
    await serve.exited;
    rmSync(cwd, { recursive: true, force: true });
  });

  // The client run where the server runs, with the server's listen address as its configuration says.
  const here = (args: string[]) =>
    cli(args, { built: true, cwd, env: { VPCEP_LISTEN: `127.0.0.1:${port}` } });

  test('credentials prints the login of the start banner again, from a file only its owner reads', async () => {
    const r = await here(['credentials', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const shown = JSON.parse(r.stdout) as Record<string, string>;
    const banner = serve.output();
    assert.equal(shown.endpoint, url);
    assert.match(banner, new RegExp(`user / password\\s*: admin / ${shown.password}\\n`));
    assert.match(banner, new RegExp(`access key \\(AK\\)\\s*: ${shown.ak}\\n`));
    assert.match(banner, new RegExp(`secret key \\(SK\\)\\s*: ${shown.sk}\\n`));
    assert.match(banner, new RegExp(`\\(id ${shown.project_id}\\)`));
    assert.equal(shown.account_file, join(cwd, '.vpcep', 'demo-account.json'));
    assert.equal(statSync(shown.account_file).mode & 0o777, 0o600);
  });

  test('eval "$(vpcep env)" sets up a shell whose next vpcep call is signed and accepted', async () => {
    ensureBuilt();
    const script = `eval "$("$1" "$2" env)" && "$1" "$2" api GET /v3/auth/domains`;
    const shell = spawn('bash', ['-c', script, '_', process.execPath, BIN], {
      cwd,
      env: {
        PATH: process.env.PATH,
        HOME: cwd,
        VPCEP_LISTEN: `127.0.0.1:${port}`,
        VPCEP_DNS_LISTEN: '127.0.0.1:0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    shell.stdout.on('data', (d: Buffer) => (out += d.toString()));
    shell.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => shell.on('close', r));
    assert.equal(code, 0, err);
    assert.equal((JSON.parse(out) as { domains: { name: string }[] }).domains[0]?.name, 'demo');
  });

  test('vpcep demo builds the topology, traffic flows through it, and --delete removes it', async () => {
    backend = createServer((_, res) => res.end('demo backend'));
    await new Promise<void>((r) => backend!.listen(0, '127.20.0.10', r));
    const backendPort = (backend.address() as AddressInfo).port;
    const clientPort = 20_000 + Math.floor(Math.random() * 40_000);

    const built = await here([
      'demo',
      '--port',
      String(clientPort),
      '--backend-port',
      String(backendPort),
      '-o',
      'json',
    ]);
    assert.equal(built.code, 0, built.stderr);
    const demo = JSON.parse(built.stdout) as { endpoint: { status: string; ip: string }; try: string[] };
    assert.equal(demo.endpoint.status, 'accepted');
    assert.equal(demo.endpoint.ip, '127.30.0.5');
    assert.ok(
      demo.try.some((line) =>
        line.startsWith(`curl --interface 127.30.0.7 http://127.30.0.5:${clientPort}/`),
      ),
    );

    await reachable('127.30.0.5', clientPort, '127.30.0.7');
    const res = await rawRequest({
      method: 'GET',
      url: `http://127.30.0.5:${clientPort}/`,
      localAddress: '127.30.0.7',
    });
    assert.equal(res.status, 200);
    assert.equal(res.text, 'demo backend');

    const again = await here(['demo']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /exists already.*vpcep demo --delete/);

    const removed = await here(['demo', '--delete', '-o', 'json']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal((JSON.parse(removed.stdout) as { removed: string[] }).removed.length, 7);
    const left = await here(['api', 'GET', '/v1/{project_id}/vpcs', '--profile', 'none']);
    assert.equal(left.code, 2, 'no profile named none: the demo fallback is for `demo` only');
  });

  test('an account file others can read is refused', async () => {
    const file = join(cwd, '.vpcep', 'demo-account.json');
    chmodSync(file, 0o644);
    try {
      const r = await here(['env']);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /readable by others/);
      assert.equal(r.stdout, '');
    } finally {
      chmodSync(file, 0o600);
    }
  });
});
