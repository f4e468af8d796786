// Namespaces mode end to end on SQLite (root only; VPCEP_REQUIRE_NETNS=1 makes a
// missing prerequisite a failure, as in CI): the scenario is in
// netns-e2e.support.ts, its PostgreSQL run in namespaces-postgres.test.ts. Also:
// the refusal to start without root.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { findTool } from '../../src/dataplane/netns/kernel.ts';
import { namespacesKernel } from '../../src/dataplane/netns/requirements.ts';
import { missing, sameCidrScenario, skipUnlessNetns } from './netns-e2e.support.ts';

const TSX = import.meta.resolve('tsx');
const CLI = resolve(import.meta.dirname, '../../src/cli/main.ts');

describe('network: namespaces', { skip: skipUnlessNetns }, () => {
  test('prerequisites (root, ip, nft) are present', () => {
    assert.equal(missing, undefined, missing);
  });

  test('without the network capabilities, vpcep serve refuses to start and says why', async () => {
    const setpriv = findTool('setpriv');
    assert.ok(setpriv, 'setpriv (util-linux) drops the capabilities for this test');
    const dir = mkdtempSync(join(tmpdir(), 'vpcep-netns-noroot-'));
    chmodSync(dir, 0o777);
    const configFile = join(dir, 'vpcep.yaml');
    writeFileSync(
      configFile,
      JSON.stringify({
        database: `sqlite:${join(dir, 'vpcep.db')}`,
        listen: '127.0.0.1:0',
        dns: { zone: 'vpcep.local', listen: '127.0.0.1:0', ttl: 60 },
        dataplane: { network: 'namespaces', namespace_prefix: 'vtnoroot' },
      }),
    );
    chmodSync(configFile, 0o644);
    try {
      const child = spawn(
        setpriv,
        [
          // Root's uid without any capability: it can still read the checkout wherever it lies
          // (another uid could not under a private folder), and it may not make namespaces.
          ...['--inh-caps=-all', '--bounding-set=-all', '--'],
          ...[process.execPath, '--import', TSX, CLI, 'serve', '--config', configFile],
        ],
        { cwd: dir, env: { PATH: process.env.PATH ?? '', HOME: dir }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 1, err);
      assert.match(err, /namespaces needs root \(or CAP_NET_ADMIN and CAP_SYS_ADMIN\)/);
      assert.deepEqual(
        namespacesKernel()
          .namespaces()
          .filter((ns) => ns.startsWith('vtnoroot-')),
        [],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // Two server starts and about ten processes under tsx: minutes on a loaded 2-core machine.
  test(
    'two tenants with the same CIDR and port address meet only through an accepted endpoint (sqlite)',
    { timeout: 300_000 },
    (t) => sameCidrScenario('sqlite', t),
  );
});
