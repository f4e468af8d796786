// The command runner of the tests (test/support/cli.ts) ends the servers a
// test file started when that file is ended early, so none outlives its test
// holding ports and files.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../support/cli.ts';
import { waitUntil } from '../support/wait.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`a test file ended by ${signal} takes its running vpcep server with it`, async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'vpcep-cli-reap-'));
    const file = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'test/cli/fixtures/leave-a-server.ts'), cwd],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    file.stdout.on('data', (d: Buffer) => (out += d.toString()));
    let server: number | undefined;
    try {
      server = Number(
        (await waitUntil(
          () => /server (\d+)/.exec(out)?.[1],
          (pid) => pid !== undefined,
          'the server',
          30_000,
        ))!,
      );
      assert.ok(alive(server), 'the server runs while its test file does');
      const exited = new Promise<number | null>((res) => file.on('exit', (code) => res(code)));
      file.kill(signal);
      assert.equal(await exited, signal === 'SIGTERM' ? 143 : 130);
      const pid = server;
      await waitUntil(
        () => alive(pid),
        (up) => !up,
        'the server to be gone',
        10_000,
      );
    } finally {
      if (file.exitCode === null) file.kill('SIGKILL');
      if (server !== undefined && alive(server)) process.kill(server, 'SIGKILL');
      rmSync(cwd, { recursive: true, force: true });
    }
  });
}
