import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MicroBatcher } from './micro-batcher';

test('flushes when the batch is full, and resolves each caller after its items are processed', async () => {
  const batches: number[][] = [];
  const batcher = new MicroBatcher<number>(async (items) => void batches.push(items), { maxItems: 4, maxWaitMs: 60_000 });
  const a = batcher.add([1, 2]);
  const b = batcher.add([3, 4, 5]);
  await Promise.all([a, b]);
  assert.deepEqual(batches, [[1, 2, 3, 4, 5]]);
});

test('flushes a partial batch after the wait', async () => {
  const batches: number[][] = [];
  const batcher = new MicroBatcher<number>(async (items) => void batches.push(items), { maxItems: 100, maxWaitMs: 20 });
  await batcher.add([1]);
  assert.deepEqual(batches, [[1]]);
});

test('a failed batch rejects exactly its own callers; later batches still run', async () => {
  let calls = 0;
  const batcher = new MicroBatcher<number>(async () => {
    calls++;
    if (calls === 1) throw new Error('boom');
  }, { maxItems: 2, maxWaitMs: 10 });
  const first = batcher.add([1, 2]);
  const second = batcher.add([3, 4]);
  await assert.rejects(first, /boom/);
  await second;
  assert.equal(calls, 2);
});

test('batches are processed one at a time, in order', async () => {
  const log: string[] = [];
  const batcher = new MicroBatcher<string>(async (items) => {
    log.push(`start ${items.join()}`);
    await new Promise((r) => setTimeout(r, 10));
    log.push(`end ${items.join()}`);
  }, { maxItems: 1, maxWaitMs: 10 });
  await Promise.all([batcher.add(['a']), batcher.add(['b'])]);
  assert.deepEqual(log, ['start a', 'end a', 'start b', 'end b']);
});

test('maxWaitMs 0: what is added within one turn of the event loop is one batch', async () => {
  const batches: number[][] = [];
  const batcher = new MicroBatcher<number>(async (items) => void batches.push(items), { maxItems: 100, maxWaitMs: 0 });
  // Like kafkajs starting the handlers of one fetch's partitions: several adds in the same turn.
  const adds = [batcher.add([1]), Promise.resolve().then(() => batcher.add([2, 3])), batcher.add([4])];
  await Promise.all(adds);
  assert.deepEqual(batches, [[1, 4, 2, 3]]);
  // A later turn makes a batch of its own.
  await batcher.add([5]);
  assert.deepEqual(batches, [[1, 4, 2, 3], [5]]);
});
