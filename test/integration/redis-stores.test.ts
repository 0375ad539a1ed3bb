import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { CleanBuffer, ModelRegistry, createRedis, redisKeys, tryLock, type ModelNotification } from '@hourglass/redis';
import { eventually, integrationInfrastructure, uniqueName, deleteKeys } from '../support/fixtures';

async function redisFor(t: TestContext) {
  const infra = await integrationInfrastructure(t);
  if (!infra) return undefined;
  const redis = createRedis(infra.redisUrl);
  const prefix = `${uniqueName('test')}:`;
  t.after(async () => {
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });
  return { redis, keys: redisKeys(prefix), infra };
}

test('registry: versions are stored whole, promotion moves the pointer atomically and notifies', async (t) => {
  const ctx = await redisFor(t);
  if (!ctx) return;
  const subscriber = createRedis(ctx.infra.redisUrl);
  t.after(() => subscriber.disconnect());
  const notes: ModelNotification[] = [];
  await subscriber.subscribe(ctx.keys.modelsChannel());
  subscriber.on('message', (_channel, text: string) => notes.push(JSON.parse(text) as ModelNotification));

  const registry = new ModelRegistry(ctx.redis, ctx.keys, 3);
  assert.equal(await registry.current('g'), null);
  const v1 = await registry.putVersion('g', Buffer.from([1, 2, 3]), { loss: 0.5 });
  assert.equal(v1.version, 'v1');
  assert.equal(await registry.current('g'), null, 'a stored version is not current until promoted');
  await registry.setCurrent('g', v1.version);
  const loaded = await registry.loadCurrent('g');
  assert.deepEqual([...loaded!.artifact], [1, 2, 3]);
  await eventually('the notification', async () => (notes.length > 0 ? true : undefined), 5000);
  assert.deepEqual(notes[0], { group: 'g', version: 'v1', sha256: v1.sha256 });
  await assert.rejects(registry.setCurrent('g', 'v99'), /has no version 'v99'/);
});

test('registry: only the newest K versions are kept, never deleting the current one; rollback works', async (t) => {
  const ctx = await redisFor(t);
  if (!ctx) return;
  const registry = new ModelRegistry(ctx.redis, ctx.keys, 2);
  const v1 = await registry.putVersion('g', Buffer.from('one'), {});
  await registry.setCurrent('g', v1.version);
  for (const text of ['two', 'three', 'four']) await registry.putVersion('g', Buffer.from(text), {});
  await registry.setCurrent('g', 'v1'); // pruning runs on pointer moves; v1 is current so it stays
  assert.deepEqual((await registry.list('g')).map((v) => v.version), ['v1', 'v3', 'v4']);
  await registry.setCurrent('g', 'v4');
  assert.deepEqual((await registry.list('g')).map((v) => [v.version, v.current]), [['v3', false], ['v4', true]]);
  await registry.setCurrent('g', 'v3'); // rollback
  assert.equal((await registry.loadCurrent('g'))!.artifact.toString(), 'three');
});

test('registry: a tampered artifact is refused by its digest', async (t) => {
  const ctx = await redisFor(t);
  if (!ctx) return;
  const registry = new ModelRegistry(ctx.redis, ctx.keys);
  const v = await registry.putVersion('g', Buffer.from('weights'), {});
  await registry.setCurrent('g', v.version);
  await ctx.redis.hset(ctx.keys.modelVersion('g', v.version), 'artifact', Buffer.from('weightz'));
  await assert.rejects(registry.loadCurrent('g'), /failed its integrity check/);
});

test('lock: one holder at a time, only the holder releases, and expiry frees a crashed holder', async (t) => {
  const ctx = await redisFor(t);
  if (!ctx) return;
  const key = ctx.keys.trainLock('g');
  const first = await tryLock(ctx.redis, key, 300);
  assert.ok(first);
  assert.equal(await tryLock(ctx.redis, key, 300), null);
  await eventually('the lock to expire', async () => ((await ctx.redis.exists(key)) === 0 ? true : undefined), 5000, 50);
  const second = await tryLock(ctx.redis, key, 10_000);
  assert.ok(second);
  assert.equal(await first.release(), false, 'an expired holder must not release the new holder\'s lock');
  assert.equal(await first.extend(10_000), false);
  assert.equal(await second.release(), true);
});

test('clean buffer: one packed entry per append, read newest N oldest-first, capped in windows', async (t) => {
  const ctx = await redisFor(t);
  if (!ctx) return;
  const buffer = new CleanBuffer(ctx.redis, ctx.keys);
  for (let batch = 0; batch < 20; batch++) {
    await buffer.append('g', Array.from({ length: 100 }, (_, i) => Uint8Array.of(batch, i)), 500);
  }
  assert.equal(await ctx.redis.xlen(ctx.keys.buffer('g')), 5, 'one stream entry per append, the oldest dropped while the rest hold the cap');
  assert.equal(await buffer.size('g'), 500, 'the cap is in windows');
  assert.equal(await buffer.totalAdded('g'), 2000, 'every appended window counts as added, trimmed ones too');
  assert.deepEqual((await buffer.recent('g', 3)).map((b) => [...b]), [[19, 97], [19, 98], [19, 99]]);
  const across = await buffer.recent('g', 250);
  assert.equal(across.length, 250);
  assert.deepEqual([...across[0]!], [17, 50], 'a read spans entries and keeps the time order');
  assert.equal((await buffer.recent('g', 10_000)).length, 500);

  // A batch larger than the cap (the cold-start warm-up) keeps only its newest windows.
  await buffer.append('g', Array.from({ length: 300 }, (_, i) => Uint8Array.of(99, i)), 200);
  assert.equal(await buffer.size('g'), 200);
  assert.deepEqual([...(await buffer.recent('g', 1))[0]!], [99, 299 % 256]);

  // DEL of the stream alone empties the buffer: counts start again with the next append.
  await ctx.redis.del(ctx.keys.buffer('g'));
  assert.equal(await buffer.size('g'), 0);
  assert.equal(await buffer.totalAdded('g'), 0);
  await buffer.append('g', [Uint8Array.of(1)], 500);
  assert.equal(await buffer.size('g'), 1);
});

test('clean buffer: a stream written before packs (one window per entry, field w) is read and counted', async (t) => {
  const ctx = await redisFor(t);
  if (!ctx) return;
  const key = ctx.keys.buffer('old');
  for (let i = 0; i < 4; i++) await ctx.redis.xadd(key, '*', 'w', Buffer.from([i]));
  const buffer = new CleanBuffer(ctx.redis, ctx.keys);
  assert.equal(await buffer.size('old'), 4);
  assert.equal(await buffer.totalAdded('old'), 4);
  await buffer.append('old', [Uint8Array.of(10), Uint8Array.of(11)], 5);
  assert.equal(await buffer.size('old'), 5, 'the oldest single-window entry went to keep the cap');
  assert.equal(await buffer.totalAdded('old'), 6);
  assert.deepEqual((await buffer.recent('old', 10)).map((b) => [...b]), [[1], [2], [3], [10], [11]]);
  await ctx.redis.xadd(key, '*', 'p', Buffer.from('not a pack'), 'n', '3');
  assert.equal((await buffer.recent('old', 10)).length, 5, 'an entry that does not decode is skipped');
});
