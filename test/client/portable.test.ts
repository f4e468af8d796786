// The resource layer must run in a browser: apart from the signing transport,
// no module of src/client may import node (or anything outside src/client
// except erased type-only imports).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../support/cli.ts';

const NODE_ONLY = new Set(['signer.ts', 'signed-transport.ts']);

test('src/client imports nothing of node outside the signing transport', () => {
  const dir = join(ROOT, 'src', 'client');
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
  assert.ok(files.includes('index.ts') && files.includes('waiter.ts'));
  for (const file of files.filter((f) => !NODE_ONLY.has(f))) {
    const text = readFileSync(join(dir, file), 'utf8');
    for (const m of text.matchAll(/^(import|export)(\s+type)?\b[^;]*?from\s+'([^']+)'/gms)) {
      const [, , typeOnly, source] = m;
      if (typeOnly) continue;
      assert.ok(source!.startsWith('./'), `${file} imports ${source} at run time`);
      assert.ok(!NODE_ONLY.has(source!.slice(2)), `${file} imports the node-only ${source}`);
    }
    assert.doesNotMatch(text, /\bprocess\.|\bBuffer\b|require\(/, file);
  }
});
