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

/** Just what watchConsumer touches: the event names, on(), run(), stop() and disconnect(). */
function fakeConsumer(): { consumer: Consumer; emitter: EventEmitter } {
  const emitter = new EventEmitter();
  const events = { FETCH_START: 'fetch_start', FETCH: 'fetch', START_BATCH_PROCESS: 'start_batch', END_BATCH_PROCESS: 'end_batch', GROUP_JOIN: 'group_join', CRASH: 'crash', STOP: 'stop', DISCONNECT: 'disconnect' };
  const consumer = { events, on: (e: string, f: (event: unknown) => void) => emitter.on(e, f), run: async () => undefined, stop: async () => undefined, disconnect: async () => undefined } as unknown as Consumer;
  return { consumer, emitter };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function watched(stallMs = 200): { consumer: Consumer; emitter: EventEmitter; stalls: number[]; gaveUp: unknown[] } {
  const { consumer, emitter } = fakeConsumer();
  const stalls: number[] = [];
  const gaveUp: unknown[] = [];
  watchConsumer(consumer, { stallMs, tickMs: 20, onStall: (idle) => stalls.push(idle), onGaveUp: (e) => gaveUp.push(e) });
  return { consumer, emitter, stalls, gaveUp };
}

test('watchConsumer: a consumer that keeps fetching is never stalled; one that goes silent is, once', async () => {
  const { consumer, emitter, stalls } = watched(300);
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

test('watchConsumer: our stop() or disconnect() ends the watch; kafkajs\' own STOP and DISCONNECT events (a crash it restarts from) do not', async () => {
  for (const method of ['stop', 'disconnect'] as const) {
    const w = watched();
    await w.consumer.run({ eachBatch: async () => undefined });
    await w.consumer[method]();
    await sleep(400);
    assert.deepEqual(w.stalls, [], `after ${method}()`);
  }
  const w = watched();
  await w.consumer.run({ eachBatch: async () => undefined });
  w.emitter.emit('stop');
  w.emitter.emit('disconnect');
  w.emitter.emit('crash', { payload: { error: new Error('coordinator moved'), restart: true } });
  await sleep(400);
  assert.equal(w.stalls.length, 1, 'a consumer restarted by kafkajs that then goes silent is still caught');
  assert.deepEqual(w.gaveUp, []);
});

test('watchConsumer: a crash kafkajs does not restart from is reported at once', async () => {
  const w = watched(10_000);
  await w.consumer.run({ eachBatch: async () => undefined });
  const error = new Error('Failed to find group coordinator');
  w.emitter.emit('crash', { payload: { error, restart: false } });
  await sleep(50);
  assert.deepEqual(w.gaveUp, [error]);
  assert.deepEqual(w.stalls, []);
});

test('watchConsumer: heartbeats are not activity', async () => {
  const w = watched();
  await w.consumer.run({ eachBatch: async () => undefined });
  const beat = setInterval(() => w.emitter.emit('heartbeat'), 20);
  await sleep(400);
  clearInterval(beat);
  assert.equal(w.stalls.length, 1, 'heartbeats alone do not keep a consumer alive');
});
