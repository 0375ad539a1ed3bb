import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EpisodeCode } from '@hourglass/core';
import { RedisCodeStore, createRedis, redisKeys } from '@hourglass/redis';
import { deleteKeys, integrationInfrastructure, uniqueName } from '../support/fixtures';

const record = (i: number, episode = `e${i}`): EpisodeCode => ({
  v: 1, episodeId: episode, eventId: `ev${i}`, series: `s${i % 7}`, group: 'g', modelVersion: 'v1', hashVersion: 'srp-64-s1',
  openedAt: new Date(i * 1000).toISOString(), at: new Date(i * 1000).toISOString(), severity: i % 100, score: 0.99,
  code: [i, -i], hash: '0123456789abcdef', verdict: null, window: '',
});

test('the Redis code store on real Redis: a capped stream per group, read whole once and then from a cursor', async (t) => {
  const infra = await integrationInfrastructure(t);
  if (!infra) return;
  const prefix = `${uniqueName('codes')}:`;
  const redis = createRedis(infra.redisUrl);
  t.after(async () => {
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });
  const store = new RedisCodeStore(redis, redisKeys(prefix), 50);
  const other = new RedisCodeStore(redis, redisKeys(prefix), 50);
  assert.deepEqual(await store.read('g', null), { records: [], cursor: null });
  await store.append('g', Array.from({ length: 40 }, (_, i) => record(i)));
  const first = await other.read('g', null);
  assert.deepEqual(first.records.map((r) => r.episodeId), Array.from({ length: 40 }, (_, i) => `e${i}`));
  // What the other scorer appends next is what a read from the cursor returns, nothing before it.
  await store.append('g', [record(40), record(41, 'e3')]);
  const next = await other.read('g', first.cursor);
  assert.deepEqual(next.records.map((r) => r.episodeId), ['e40', 'e3']);
  assert.deepEqual((await other.read('g', next.cursor)).records, []);
  // Capped: MAXLEN ~ keeps about the newest 50 (Redis trims whole nodes, so a little more may stay).
  await store.append('g', Array.from({ length: 400 }, (_, i) => record(100 + i)));
  const all = (await store.read('g', null)).records;
  assert.ok(all.length >= 50 && all.length <= 200, `${all.length} kept`);
  assert.equal(all.at(-1)!.episodeId, 'e499');
  // Groups are separate streams.
  assert.deepEqual((await store.read('other', null)).records, []);
});
