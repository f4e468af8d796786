// Secrets at rest: the SQLite file holds every SK in plain text and the token
// secret, credentials.csv the demo keys. Only their owner may read them, whatever
// the umask, and a start fixes what an earlier version (or a person) left open.
import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { saveDemoAccount, type DemoAccount } from '../../src/identity/seed.ts';
import { startLoggedServer, type LoggedServer } from './support.ts';

const mode = (path: string) => statSync(path).mode & 0o777;

/** A demo-account server (so credentials.csv is written) on the SQLite file `file`. */
function startOn(file: string): Promise<LoggedServer> {
  return startLoggedServer('sqlite', {
    // The caller owns the folder; dropping the database is its business.
    database: { url: `sqlite:${file}`, drop: async () => undefined },
    overrides: { accounts: [] },
    level: 'warn',
  });
}

describe('file modes of the SQLite store', () => {
  let root: string;
  let savedUmask: number;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'vpcep-modes-'));
    // The common default, under which files are created world-readable unless asked otherwise.
    savedUmask = process.umask(0o022);
  });
  after(() => {
    process.umask(savedUmask);
    rmSync(root, { recursive: true, force: true });
  });

  test('a first start creates the folder 0700 and the database, its -wal/-shm and credentials.csv 0600', async () => {
    const dir = join(root, 'fresh', 'data');
    const file = join(dir, 'vpcep.db');
    const server = await startOn(file);
    try {
      assert.ok(server.running.demo, 'the demo account was created');
      assert.equal(mode(dir).toString(8), '700');
      for (const path of [
        file,
        `${file}-wal`,
        `${file}-shm`,
        join(dir, 'credentials.csv'),
        join(dir, 'demo-account.json'),
      ]) {
        assert.ok(existsSync(path), `${path} exists`);
        assert.equal(mode(path).toString(8), '600', path);
      }
      assert.deepEqual(
        server.log.lines.filter((l) => /open to other users/.test(l.msg)),
        [],
        'nothing to fix on a first start',
      );
    } finally {
      await server.close();
    }
  });

  test('a start fixes a world-readable folder, database and credentials.csv and warns naming each path', async () => {
    const dir = join(root, 'loose', 'data');
    const file = join(dir, 'vpcep.db');
    const first = await startOn(file);
    const sk = first.running.demo?.sk;
    await first.close();
    assert.ok(sk);
    // As an older version (or a careless copy) left them.
    chmodSync(dir, 0o755);
    chmodSync(file, 0o644);
    chmodSync(join(dir, 'credentials.csv'), 0o644);

    const server = await startOn(file);
    try {
      assert.equal(mode(dir).toString(8), '700');
      for (const path of [
        file,
        `${file}-wal`,
        `${file}-shm`,
        join(dir, 'credentials.csv'),
        join(dir, 'demo-account.json'),
      ]) {
        assert.equal(mode(path).toString(8), '600', path);
      }
      const warned = server.log.lines.filter((l) => l.level === 40 && /open to other users/.test(l.msg));
      assert.deepEqual(warned.map((l) => l.path).sort(), [dir, join(dir, 'credentials.csv'), file].sort());
      assert.ok(
        warned.every((l) => l.msg.includes(String(l.path))),
        'each warning names its path',
      );
      assert.ok(!server.log.text().includes(sk), 'the log never holds a key');
      // The store itself is intact: the demo keys still work.
      const keys = readFileSync(join(dir, 'credentials.csv'), 'utf8');
      assert.ok(keys.includes(sk));
      assert.equal(server.running.demo, undefined, 'no second demo account');
    } finally {
      await server.close();
    }
  });

  test('a shared folder that holds other files keeps its mode; the database files are still made private', async () => {
    const dir = join(root, 'shared');
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'notes.txt'), 'not ours');
    const file = join(dir, 'vpcep.db');
    const server = await startOn(file);
    try {
      assert.equal(mode(dir).toString(8), '755');
      assert.equal(mode(file).toString(8), '600');
      assert.equal(mode(join(dir, 'credentials.csv')).toString(8), '600');
      const warned = server.log.lines.filter((l) => l.path === dir);
      assert.equal(warned.length, 1);
      assert.match(warned[0]!.msg, /holds other files/);
    } finally {
      await server.close();
    }
  });
});

describe('the data folder apart from a SQLite file (PostgreSQL, data_dir)', () => {
  let root: string;
  let savedUmask: number;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'vpcep-modes-data-'));
    savedUmask = process.umask(0o022);
  });
  after(() => {
    process.umask(savedUmask);
    rmSync(root, { recursive: true, force: true });
  });

  const demoIn = (dir: string): DemoAccount => ({
    domainName: 'demo',
    userName: 'admin',
    password: 'pw-of-the-demo',
    projectId: 'a'.repeat(32),
    projectName: 'tr-west-1',
    ak: 'DEMOAK0123456789ABCD',
    sk: 'DEMOSK0123456789abcdefghijklmnopqrstuvwx',
    credentialsFile: join(dir, 'credentials.csv'),
  });

  test('a missing folder is created 0700; links planted at the file names are replaced, their targets untouched', () => {
    const dir = join(root, 'state', 'vpcep');
    const saved = saveDemoAccount(demoIn(dir), undefined);
    assert.deepEqual(saved, { written: true, warnings: [] });
    assert.equal(mode(dir).toString(8), '700');
    assert.equal(mode(join(dir, 'demo-account.json')).toString(8), '600');

    // Someone with a way into the folder points the names at a file of theirs (or of a victim).
    const victim = join(root, 'victim.txt');
    writeFileSync(victim, 'unchanged');
    for (const name of ['credentials.csv', 'demo-account.json']) {
      rmSync(join(dir, name));
      symlinkSync(victim, join(dir, name));
    }
    assert.equal(saveDemoAccount(demoIn(dir), undefined).written, true);
    assert.equal(readFileSync(victim, 'utf8'), 'unchanged');
    for (const name of ['credentials.csv', 'demo-account.json']) {
      assert.ok(!lstatSync(join(dir, name)).isSymbolicLink(), name);
      assert.equal(mode(join(dir, name)).toString(8), '600');
    }
    assert.match(readFileSync(join(dir, 'demo-account.json'), 'utf8'), /"password": "pw-of-the-demo"/);
  });

  test('a shared folder keeps its mode, with a warning', () => {
    const shared = join(root, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o755);
    writeFileSync(join(shared, 'notes.txt'), 'not ours');
    const saved = saveDemoAccount(demoIn(shared), undefined);
    assert.equal(saved.written, true);
    assert.equal(mode(shared).toString(8), '755');
    assert.match(saved.warnings[0]?.message ?? '', /holds other files/);
  });

  const asRoot = process.getuid?.() === 0;
  test(
    'a folder of another user is not written into',
    { skip: !asRoot && 'only root can hand a folder to another user' },
    () => {
      const foreign = join(root, 'foreign');
      mkdirSync(foreign, { mode: 0o700 });
      chownSync(foreign, 4242, 4242);
      const refused = saveDemoAccount(demoIn(foreign), undefined);
      assert.equal(refused.written, false, 'never throws: the banner is then the only copy');
      assert.match(refused.warnings[0]?.message ?? '', /belongs to another user \(uid 4242\).*only copy/);
      assert.deepEqual(readdirSync(foreign), []);
    },
  );
});
