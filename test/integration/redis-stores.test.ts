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

test('clean buffer: appends in order, reads the newest N oldest-first, and stays capped', async (t) => {
  const ctx = await redisFor(t);
  if (!ctx) return;
  const buffer = new CleanBuffer(ctx.redis, ctx.keys);
  for (let batch = 0; batch < 20; batch++) {
    await buffer.append('g', Array.from({ length: 100 }, (_, i) => Uint8Array.of(batch, i)), 500);
  }
  const size = await buffer.size('g');
  assert.ok(size >= 500 && size < 2000, `approximate trim keeps the stream near its cap, got ${size}`);
  const recent = await buffer.recent('g', 3);
  assert.deepEqual(recent.map((b) => [...b]), [[19, 97], [19, 98], [19, 99]]);
});
