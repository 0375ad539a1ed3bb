import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import type { Consumer } from 'kafkajs';
import { stallWatch, watchConsumer } from './watchdog';

test('stallWatch: idle for stallMs is a stall; any activity restarts the clock', () => {
  const w = stallWatch(1000, 500, 0);
  assert.equal(w.stalled(400), false);
  assert.equal(w.stalled(800), false);
  w.activity(900);
  assert.equal(w.stalled(1200), false);
  assert.equal(w.stalled(1600), false);
  assert.equal(w.stalled(1900), true);
  assert.equal(w.idleMs(1900), 1000);
});

test('stallWatch: a gap between ticks longer than pauseMs is the process paused, not the consumer stuck', () => {
  const w = stallWatch(1000, 500, 0);
  assert.equal(w.stalled(300), false);
  // SIGSTOP for 10 s: the next tick comes late; that time is not counted.
  assert.equal(w.stalled(10_300), false);
  assert.equal(w.stalled(10_600), false);
  assert.equal(w.stalled(10_900), false);
  assert.equal(w.stalled(11_200), false);
  assert.equal(w.stalled(11_400), true);
});

/** Just what watchConsumer touches: the event names, on(), and run(). */
function fakeConsumer(): { consumer: Consumer; emitter: EventEmitter } {
  const emitter = new EventEmitter();
  const events = { FETCH_START: 'fetch_start', FETCH: 'fetch', START_BATCH_PROCESS: 'start_batch', END_BATCH_PROCESS: 'end_batch', GROUP_JOIN: 'group_join', STOP: 'stop', DISCONNECT: 'disconnect' };
  const consumer = { events, on: (e: string, f: () => void) => emitter.on(e, f), run: async () => undefined } as unknown as Consumer;
  return { consumer, emitter };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('watchConsumer: a consumer that keeps fetching is never stalled; one that goes silent is, once', async () => {
  const { consumer, emitter } = fakeConsumer();
  const stalls: number[] = [];
  watchConsumer(consumer, { stallMs: 300, tickMs: 20, onStall: (idle) => stalls.push(idle) });
  // Nothing is watched before run(): a consumer still connecting is not stuck.
  await sleep(400);
  assert.deepEqual(stalls, []);
  await consumer.run({ eachBatch: async () => undefined });
  for (let i = 0; i < 10; i++) {
    emitter.emit(i % 2 === 0 ? 'fetch_start' : 'fetch');
    await sleep(60);
  }
  assert.deepEqual(stalls, []);
  await sleep(500);
  assert.equal(stalls.length, 1, 'a silent consumer stalls exactly once');
  assert.ok(stalls[0]! >= 300);
});

test('watchConsumer: a stopped or disconnected consumer is no longer watched; heartbeats are not activity', async () => {
  for (const end of ['stop', 'disconnect']) {
    const { consumer, emitter } = fakeConsumer();
    const stalls: number[] = [];
    watchConsumer(consumer, { stallMs: 200, tickMs: 20, onStall: (idle) => stalls.push(idle) });
    await consumer.run({ eachBatch: async () => undefined });
    emitter.emit(end);
    await sleep(400);
    assert.deepEqual(stalls, [], `after ${end}`);
  }
  const { consumer, emitter } = fakeConsumer();
  const stalls: number[] = [];
  watchConsumer(consumer, { stallMs: 200, tickMs: 20, onStall: (idle) => stalls.push(idle) });
  await consumer.run({ eachBatch: async () => undefined });
  const beat = setInterval(() => emitter.emit('heartbeat'), 20);
  await sleep(400);
  clearInterval(beat);
  assert.equal(stalls.length, 1, 'heartbeats alone do not keep a consumer alive');
});
