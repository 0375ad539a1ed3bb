import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AnomalyEvent } from '@hourglass/core';
import { KafkaEventSink } from './adapters';

function event(i: number): AnomalyEvent {
  return {
    id: `e${String(i).padStart(3, '0')}`, episodeId: `p${String(i).padStart(3, '0')}`, series: `s${i % 3}`, group: 'g', modelVersion: 'v1', windowStart: '2024-01-01T00:00:00.000Z', windowEnd: '2024-01-01T00:01:03.000Z',
    detectedAt: '2024-01-01T00:01:04.000Z', score: 1, threshold: 0.5, severity: 100, state: 'open', explanation: { topSteps: [], topChannels: [] },
  };
}

function recordingProducer() {
  const requests: { topic: string; acks?: number; messages: { key: string; value: string }[] }[] = [];
  return { requests, producer: { send: async (r: (typeof requests)[number]) => (requests.push(r), []) } };
}

test('events go in requests of bounded bytes, in order, acks=all, keyed by series', async () => {
  const { requests, producer } = recordingProducer();
  const events = Array.from({ length: 50 }, (_, i) => event(i));
  const size = Buffer.byteLength(JSON.stringify(events[0])) + 2;
  await new KafkaEventSink(producer as never, 'anomalies', 10 * size + 5).publish(events);
  assert.deepEqual(requests.map((r) => r.messages.length), [10, 10, 10, 10, 10]);
  assert.ok(requests.every((r) => r.topic === 'anomalies' && r.acks === -1));
  const sent = requests.flatMap((r) => r.messages);
  assert.deepEqual(sent.map((m) => (JSON.parse(m.value) as AnomalyEvent).id), events.map((e) => e.id));
  assert.deepEqual(sent.map((m) => m.key), events.map((e) => e.series));
});

test('a small batch is one request; an event larger than the limit goes alone; no events, no request', async () => {
  const { requests, producer } = recordingProducer();
  await new KafkaEventSink(producer as never, 'a').publish([event(1), event(2)]);
  assert.equal(requests.length, 1);
  await new KafkaEventSink(producer as never, 'a', 10).publish([event(3), event(4)]);
  assert.deepEqual(requests.slice(1).map((r) => r.messages.length), [1, 1]);
  await new KafkaEventSink(producer as never, 'a').publish([]);
  assert.equal(requests.length, 3);
});
