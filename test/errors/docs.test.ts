// docs/errors.md lists every code of the catalog with its status and message,
// and nothing the catalog does not have: a code added to one and not the other
// fails here instead of going unnoticed by users.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { catalog, type CatalogEntry } from '../../src/errors/catalog.ts';

const ROOT = join(import.meta.dirname, '../..');

test('docs/errors.md lists every catalog code with its status and message, and no other', () => {
  const doc = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8');
  const section = doc.slice(doc.indexOf('\n## Every code'));
  assert.ok(section.length > 20, 'the section "Every code" exists');
  const documented = [...section.matchAll(/^\| `([^`]+)` +\| (\d{3}) +\| (.*?) *\|$/gm)].map(
    ([, code, status, message]) => `${code} ${status} ${message?.replaceAll('\\|', '|')}`,
  );
  const expected = Object.entries(catalog as Record<string, CatalogEntry>).map(
    ([key, entry]) => `${entry.code ?? key} ${entry.status} ${entry.message}`,
  );
  assert.deepEqual([...documented].sort(), [...expected].sort());
  assert.equal(new Set(documented).size, documented.length, 'no row twice');
});
