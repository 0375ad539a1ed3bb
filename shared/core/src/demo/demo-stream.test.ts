import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateDemoStream } from './demo-stream';
import { detectionQuality } from './ground-truth';

test('the demo stream is deterministic for a seed and differs across seeds', () => {
  const a = generateDemoStream({ seed: 1, days: 1 });
  assert.deepEqual(generateDemoStream({ seed: 1, days: 1 }).points, a.points);
  assert.notDeepEqual(generateDemoStream({ seed: 2, days: 1 }).points, a.points);
});

test('every injected anomaly lies after the clean part, and every kind is present', () => {
  const stream = generateDemoStream();
  const first = stream.points[0]!.ts;
  const last = stream.points[stream.points.length - 1]!.ts;
  const cleanUntil = first + (last - first) * 0.5;
  for (const a of stream.truth) assert.ok(a.startMs >= cleanUntil - 1, `${a.series} ${a.kind} starts in the clean part`);
  assert.deepEqual(new Set(stream.truth.map((a) => a.kind)), new Set(['spike', 'level_shift', 'stuck_sensor', 'frequency_change', 'decoupling', 'dip']));
});

test('points are finite, in event-time order, and the multivariate host has three channels', () => {
  const stream = generateDemoStream({ days: 2 });
  let previous = -Infinity;
  for (const p of stream.points) {
    assert.ok(p.ts >= previous);
    previous = p.ts;
    const values = 'value' in p ? [p.value] : Object.values(p.values);
    for (const v of values) assert.ok(Number.isFinite(v));
    if ('values' in p) assert.deepEqual(Object.keys(p.values), ['cpu', 'mem', 'net']);
  }
});

test('api.requests has missing points (gaps), other series are complete', () => {
  const stream = generateDemoStream({ days: 2 });
  const count = (s: string) => stream.points.filter((p) => p.series === s).length;
  assert.ok(count('api.requests') < count('web.latency_ms'));
});

test('detection quality: overlap within tolerance counts, other series do not', () => {
  const truth = [{ series: 'a', kind: 'spike' as const, startMs: 100, endMs: 110 }, { series: 'b', kind: 'dip' as const, startMs: 500, endMs: 520 }];
  const q = detectionQuality([{ series: 'a', startMs: 115, endMs: 130 }, { series: 'b', startMs: 100, endMs: 110 }], truth, 10);
  assert.equal(q.truePositives, 1);
  assert.equal(q.precision, 0.5);
  assert.equal(q.recall, 0.5);
  assert.deepEqual(q.missed.map((m) => m.series), ['b']);
  assert.equal(detectionQuality([], truth, 0).precision, 1);
});
