// What `vpcep serve` (the built binary) prints: the banner first, then one log
// line per request: JSON lines when standard output is not a terminal, short
// human lines on a terminal (a real pseudo-terminal, through script(1));
// --log-level / VPCEP_LOG_LEVEL; bad values exit 2 listing the allowed ones.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { BIN, cli, ensureBuilt, runCli } from '../support/cli.ts';
import { rawRequest } from '../support/http.ts';
import { waitUntil } from '../support/wait.ts';

const LISTENING = /vpcep listening on (https?:\/\/\S+)/;
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vpcep-serve-out-'));
  dirs.push(dir);
  return dir;
}

/** Starts the built server, waits for its banner, runs `use` with its URL, and stops it. */
async function withServer(
  args: string[],
  env: NodeJS.ProcessEnv,
  use: (url: string, output: () => string) => Promise<void>,
): Promise<string> {
  const p = runCli(['serve', '--listen', '127.0.0.1:0', ...args], tempDir(), env, { built: true });
  try {
    await waitUntil(
      () => LISTENING.exec(p.output())?.[1],
      (url) => url !== undefined,
      'the server to listen',
      30_000,
      50,
    );
    await use(LISTENING.exec(p.output())![1]!, p.output);
    p.child.kill('SIGTERM');
    assert.equal(await p.closed, 0);
    return p.output();
  } finally {
    if (p.child.exitCode === null) p.child.kill('SIGKILL');
  }
}

/** Two requests, one refused at authentication and one unknown route: two request lines. */
async function twoRequests(url: string): Promise<void> {
  assert.equal((await rawRequest({ method: 'GET', url: `${url}/v1/x/vpcs?name=QVALUE` })).status, 401);
  assert.equal((await rawRequest({ method: 'GET', url: `${url}/no-such-route` })).status, 404);
  // Probes are logged at debug only.
  assert.equal((await rawRequest({ method: 'GET', url: `${url}/healthz` })).status, 200);
}

function requestLines(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.msg === 'request');
}

describe('vpcep serve output', () => {
  ensureBuilt();

  test('not a terminal: the banner, then JSON lines, one per request at info', async () => {
    let seen = '';
    const output = await withServer([], {}, async (url, out) => {
      await twoRequests(url);
      await waitUntil(
        () => requestLines(out()).length,
        (n) => n >= 2,
        'two request lines',
      );
      seen = out();
    });
    const lines = seen.split('\n').filter((l) => l !== '');
    const banner = lines.findIndex((l) => LISTENING.test(l));
    const firstJson = lines.findIndex((l) => l.startsWith('{'));
    assert.ok(banner >= 0 && firstJson > banner, `the banner comes first:\n${seen}`);
    assert.match(seen, /demo account on first start/);
    // After the banner block, every line is a JSON object.
    for (const line of lines.slice(firstJson)) assert.doesNotThrow(() => JSON.parse(line), line);
    const requests = requestLines(output);
    assert.deepEqual(
      requests.map((r) => [r.method, r.path, r.status, r.level]),
      [
        ['GET', '/v1/x/vpcs', 401, 30],
        ['GET', '/no-such-route', 404, 30],
      ],
    );
    assert.deepEqual(requests[0]?.query, ['name']);
    assert.ok(!output.includes('QVALUE'), 'query values are not logged');
  });

  test('--log-level warn, or VPCEP_LOG_LEVEL=warn, leaves request lines out; the option wins over the variable', async () => {
    for (const [args, env] of [
      [['--log-level', 'warn'], { VPCEP_LOG_LEVEL: 'debug' }],
      [[], { VPCEP_LOG_LEVEL: 'warn' }],
    ] as const) {
      const output = await withServer([...args], env, async (url) => {
        await twoRequests(url);
      });
      assert.match(output, LISTENING);
      assert.deepEqual(requestLines(output), [], `${args.join(' ')} ${JSON.stringify(env)}`);
    }
    // debug: the probe is logged too, with the headers.
    let lines: Record<string, unknown>[] = [];
    await withServer(['--log-level', 'debug'], {}, async (url, out) => {
      await twoRequests(url);
      lines = await waitUntil(
        () => requestLines(out()),
        (l) => l.some((r) => r.path === '/healthz'),
        'the probe line',
      );
    });
    assert.equal(lines.find((r) => r.path === '/healthz')?.level, 20);
    assert.ok(lines.every((r) => r.req_headers !== undefined));
  });

  test('bad log settings exit 2 listing the allowed values', async () => {
    const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
      [
        [],
        { VPCEP_LOG_LEVEL: 'loud' },
        /'log_level' must be one of fatal, error, warn, info, debug, trace, silent/,
      ],
      [['--log-level', 'LOUD\u001b[2J'], {}, /'log_level' must be one of fatal, error, warn/],
      [['--log-format', 'xml'], {}, /'log_format' must be one of auto, json, pretty/],
      [[], { VPCEP_LOG_FORMAT: 'x'.repeat(100_000) }, /'log_format' must be one of auto, json, pretty/],
    ];
    for (const [args, env, message] of cases) {
      const run = await cli(['serve', '--listen', '127.0.0.1:0', ...args], {
        cwd: tempDir(),
        env,
        built: true,
      });
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, message);
      assert.ok(run.stderr.length < 2000, 'the value is not echoed back in full');
      // eslint-disable-next-line no-control-regex -- the point: no raw escape reaches the terminal
      assert.doesNotMatch(run.stderr, /\u001b/);
      assert.equal(run.stdout, '');
    }
  });

  const haveScript = spawnSync('script', ['--version']).status === 0;
  test('on a terminal: the banner, then short human lines', { skip: !haveScript }, async () => {
    const cwd = tempDir();
    // script(1) runs the server on a pseudo-terminal; its own process group is stopped as a whole.
    const command = `exec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} serve --listen 127.0.0.1:0`;
    const child = spawn('script', ['-qefc', command, '/dev/null'], {
      cwd,
      detached: true,
      env: {
        ...process.env,
        VPCEP_DNS_LISTEN: '127.0.0.1:0',
        VPCEP_LOG_LEVEL: '',
        VPCEP_LOG_FORMAT: '',
        NO_COLOR: '1',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const closed = new Promise((resolve) => child.on('close', resolve));
    try {
      const url = await waitUntil(
        () => LISTENING.exec(out)?.[1],
        (u) => u !== undefined,
        'the server to listen on a terminal',
        30_000,
        50,
      );
      await twoRequests(url!);
      const text = await waitUntil(
        () => out.replaceAll('\r', ''),
        (t) => /INFO {2}GET \/no-such-route 404 /.test(t),
        'the human request lines',
      );
      const lines = text.split('\n');
      const banner = lines.findIndex((l) => LISTENING.test(l));
      const firstLog = lines.findIndex((l) => /^\d\d:\d\d:\d\d\.\d{3} [A-Z]+ /.test(l));
      assert.ok(banner >= 0 && firstLog > banner, `the banner comes first:\n${text}`);
      assert.match(
        text,
        /^\d\d:\d\d:\d\d\.\d{3} INFO {2}GET \/v1\/x\/vpcs\?name 401 [\d.]+ ms reqId=[0-9a-f]{32}/m,
      );
      assert.doesNotMatch(text, /^\{"level"/m, 'no JSON line on a terminal');
      // eslint-disable-next-line no-control-regex -- NO_COLOR: no escape sequence at all
      assert.doesNotMatch(text, /\u001b\[/);
    } finally {
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
      await closed;
    }
  });
});
