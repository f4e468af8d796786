// Long id lists reach the store in parts: more ids than a statement may bind
// (SQLite 32,766) still get one answer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IN_LIST_CHUNK, inChunks } from '../../src/store/in-chunks.ts';
import { openStore } from '../../src/store/open.ts';
import {
  acceptedInterfaceEndpoints,
  endpointDnsRecords,
  existingEndpointIds,
} from '../../src/vpcep/endpoints/dataplane.ts';
import { servicePorts } from '../../src/vpcep/services/repository.ts';
import { freshDatabase } from '../support/db.ts';

test('inChunks queries consecutive parts and keeps their order', async () => {
  const ids = Array.from({ length: 2 * IN_LIST_CHUNK + 1 }, (_, i) => `id${i}`);
  const parts: number[] = [];
  const rows = await inChunks(ids, async (part) => {
    parts.push(part.length);
    return part;
  });
  assert.deepEqual(parts, [IN_LIST_CHUNK, IN_LIST_CHUNK, 1]);
  assert.deepEqual(rows, ids);
  assert.deepEqual(await inChunks([], async () => ['never']), []);
});

test('look-ups over 40,000 ids answer instead of exceeding the bound-parameter limit', async () => {
  const database = await freshDatabase('sqlite');
  const store = await openStore(database.url);
  try {
    const ids = Array.from(
      { length: 40_000 },
      (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    );
    assert.equal((await servicePorts(store.db, ids)).size, 0);
    assert.deepEqual(await acceptedInterfaceEndpoints(store.db, { endpointIds: ids }), []);
    assert.deepEqual(await acceptedInterfaceEndpoints(store.db, { serviceIds: ids }), []);
    assert.deepEqual(await endpointDnsRecords(store.db, { endpointIds: ids }), []);
    assert.equal((await existingEndpointIds(store.db, ids)).size, 0);
  } finally {
    await store.close();
    await database.drop();
  }
});
