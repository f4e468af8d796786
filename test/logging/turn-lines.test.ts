// The log's destination (logging/turn-lines.ts) writes one turn's lines as one
// write, in order, never holds a line past the turn it was written in, never
// holds more than its bound, and loses nothing when the process exits.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TurnLines } from '../../src/logging/turn-lines.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

function recorder(): { writes: string[]; sink: TurnLines } {
  const writes: string[] = [];
  return { writes, sink: new TurnLines({ write: (text: string) => writes.push(text) }) };
}

test("one turn's lines leave as one write, in order, by the end of that turn", async () => {
  const { writes, sink } = recorder();
  sink.write('a\n');
  sink.write('b\n');
  sink.write('c\n');
  assert.deepEqual(writes, [], 'nothing is written while the turn runs');
  await nextTurn();
  assert.deepEqual(writes, ['a\nb\nc\n']);
  sink.write('d\n');
  await nextTurn();
  assert.deepEqual(writes, ['a\nb\nc\n', 'd\n'], "a later turn's line is a write of its own");
  await nextTurn();
  assert.equal(writes.length, 2, 'an empty turn writes nothing');
});

test('pending text past its bound is written at once', () => {
  const { writes, sink } = recorder();
  const line = `${'x'.repeat(1023)}\n`;
  for (let i = 0; i < 64; i++) sink.write(line);
  assert.equal(writes.length, 1);
  assert.equal(writes[0], line.repeat(64));
  sink.write('tail\n');
  sink.flush();
  assert.deepEqual(writes.slice(1), ['tail\n']);
});

test('lines pending when the process exits are written', () => {
  const script = `
    import { TurnLines } from ${JSON.stringify(join(ROOT, 'src', 'logging', 'turn-lines.ts'))};
    const sink = new TurnLines(process.stdout);
    sink.write('first\\n');
    sink.write('last\\n');
    process.exit(3);`;
  let out = '';
  try {
    execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    assert.fail('the child exits with 3');
  } catch (err) {
    const failed = err as { status?: number; stdout?: string };
    assert.equal(failed.status, 3);
    out = failed.stdout ?? '';
  }
  assert.equal(out, 'first\nlast\n');
});
