import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { LookupCache, LruMap } from '../../src/auth/bounded-cache.ts';

const randomKey = () => randomBytes(10).toString('hex');

test('an LruMap never holds more than its size and drops the least recently used', () => {
  const m = new LruMap<string, number>(3);
  m.set('a', 1);
  m.set('b', 2);
  m.set('c', 3);
  assert.equal(m.get('a'), 1); // a is now the most recently used
  m.set('d', 4);
  assert.equal(m.size, 3);
  assert.equal(m.get('b'), undefined);
  assert.equal(m.get('a'), 1);
  for (let i = 0; i < 10_000; i++) m.set(randomKey(), i);
  assert.equal(m.size, 3);
});

test('made-up keys churn only the misses: cached hits stay', () => {
  const cache = new LookupCache<string>(60_000, 100);
  cache.set('GENUINEAK', 'record', 0);
  for (let i = 0; i < 10_000; i++) cache.set(randomKey(), null, 0);
  assert.equal(cache.get('GENUINEAK', 1), 'record');
  assert.ok(cache.size <= 200, `${cache.size} entries`);
});

test('cached hits and misses expire after the TTL', async () => {
  const cache = new LookupCache<string>(1000, 10);
  cache.set('k', 'v', 0);
  cache.set('gone', null, 0);
  assert.equal(cache.get('k', 1000), 'v');
  assert.equal(cache.get('gone', 1000), null);
  assert.equal(cache.get('k', 1001), undefined);
  assert.equal(cache.get('gone', 1001), undefined);
  let loads = 0;
  const load = async () => (++loads, 'fresh');
  assert.equal(await cache.through('k', 2000, load), 'fresh');
  assert.equal(await cache.through('k', 2500, load), 'fresh');
  assert.equal(loads, 1);
});
