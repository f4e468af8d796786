// The change feed between nodes sharing a PostgreSQL database: hints published
// together leave in batched statements, and every other node still gets each
// hint once, in the one-hint-per-notification form every version reads; a node
// ignores its own hints.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PgChangeFeed } from '../../src/store/change-feed.ts';
import { openStore, type Store } from '../../src/store/open.ts';
import type { VpcepChange } from '../../src/vpcep/deps.ts';
import { freshDatabase, testDialects, type TestDatabase } from '../support/db.ts';
import { waitUntil } from '../support/wait.ts';

const quiet = { warn: () => undefined };

describe('change feed (postgres)', { skip: !testDialects().includes('postgres') }, () => {
  let database: TestDatabase;
  let store: Store;
  const feeds: PgChangeFeed[] = [];

  const feed = async (onChange: (c: VpcepChange) => void): Promise<PgChangeFeed> => {
    const f = new PgChangeFeed({
      url: database.url,
      db: store.db,
      onChange,
      onResubscribed: () => undefined,
      log: quiet,
    });
    feeds.push(f);
    await f.listen();
    return f;
  };

  before(async () => {
    database = await freshDatabase('postgres');
    store = await openStore(database.url);
  });
  after(async () => {
    await Promise.all(feeds.map((f) => f.close()));
    await store.close();
    await database.drop();
  });

  test('450 hints published in one turn reach the other node, each once; the sender hears none', async () => {
    const heard: string[] = [];
    const own: string[] = [];
    const sender = await feed((c) => own.push(c.id));
    await feed((c) => heard.push(`${c.kind}:${c.id}`));
    const sent: string[] = [];
    for (let i = 0; i < 450; i++) {
      const change: VpcepChange = { kind: i % 2 === 0 ? 'endpoint' : 'service', id: `id-${i}` };
      sender.publish(change);
      sent.push(`${change.kind}:${change.id}`);
    }
    // The same hint twice in one turn is sent once.
    sender.publish({ kind: 'endpoint', id: 'id-0' });
    await waitUntil(
      () => heard.length,
      (n) => n >= sent.length,
      'every hint at the other node',
    );
    // A later hint proves nothing more of the first batch was on its way.
    sender.publish({ kind: 'service', id: 'last' });
    await waitUntil(
      () => heard.at(-1),
      (last) => last === 'service:last',
      'the later hint',
    );
    assert.deepEqual(heard.slice(0, -1).sort(), [...sent].sort());
    assert.deepEqual(own, []);
  });
});
