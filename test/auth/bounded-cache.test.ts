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

test('an LruMap evicts in least-recently-used order through any mix of gets, sets and deletes', () => {
  // The model: an array from least to most recently used. Few keys, so repeated
  // hits on the newest key (which the map does not move) are most of the walk.
  const m = new LruMap<string, number>(4);
  let model: string[] = [];
  const touch = (k: string) => (model = [...model.filter((x) => x !== k), k]);
  let seed = 7;
  const next = (n: number) => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31), seed % n);
  for (let step = 0; step < 5_000; step++) {
    const key = 'k' + String(next(6));
    const op = next(10);
    if (op < 5) {
      const had = model.includes(key);
      assert.equal(m.get(key) !== undefined, had, `step ${step}: get ${key}`);
      if (had) touch(key);
    } else if (op < 8) {
      m.set(key, step);
      touch(key);
      if (model.length > 4) model = model.slice(1);
    } else if (op < 9) {
      m.delete(key);
      model = model.filter((x) => x !== key);
    } else {
      m.set(key, step);
      touch(key);
      if (model.length > 4) model = model.slice(1);
      m.delete(key);
      model = model.filter((x) => x !== key);
    }
    assert.equal(m.size, model.length, `step ${step}: size`);
  }
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
