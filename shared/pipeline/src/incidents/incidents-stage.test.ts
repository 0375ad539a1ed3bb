import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { compileConfig, type AnomalyEvent, type EpisodeState, type Incident } from '@hourglass/core';
import { createLogger } from '@hourglass/runtime';
import { InMemoryIncidentSink, InMemoryIncidentStore } from './in-memory';
import { createIncidentsMetrics } from './incidents-metrics';
import { IncidentsStage } from './incidents-stage';
import type { IncidentSink, IncidentStore } from './ports';

const MIN = 60_000;
const log = createLogger({ level: 'silent' });

function ev(series: string, minute: number, state: EpisodeState, episode = `${series}@${minute}`, group = 'db'): AnomalyEvent {
  const end = new Date(minute * MIN).toISOString();
  return {
    id: state === 'open' ? episode : `${episode}:${minute}`, episodeId: episode, series, group, modelVersion: 'v1', windowStart: end, windowEnd: end, detectedAt: end,
    score: 0.999, threshold: 0.99, severity: 50, state, explanation: { topSteps: [], topChannels: [] },
  };
}

function stage(sink: IncidentSink, store: IncidentStore, registry = new Registry()) {
  return new IncidentsStage({ config: compileConfig({}).incidents, sink, store, metrics: createIncidentsMetrics(registry), log, now: () => 0 });
}

const opens = ['db-1', 'db-2', 'db-3', 'db-4'].map((s) => ev(s, 10, 'open'));
const closes = ['db-1', 'db-2', 'db-3', 'db-4'].map((s, i) => ev(s, 12 + i, 'closed', `${s}@10`));

test('a publish that fails keeps the state where it was: the redelivered batch publishes the same messages', async () => {
  const store = new InMemoryIncidentStore();
  const delivered: Incident[][] = [];
  let failures = 2;
  const sink: IncidentSink = {
    async publish(incidents) {
      delivered.push([...incidents]);
      if (failures-- > 0) throw new Error('broker refused');
    },
  };
  const s = stage(sink, store);
  await s.start();
  await assert.rejects(s.process(opens));
  await assert.rejects(s.process(opens));
  await s.process(opens);
  assert.deepEqual(delivered[2], delivered[0]);
  assert.deepEqual(delivered[2]!.map((i) => [i.state, i.revision, i.members.length]), [['open', 1, 1], ['updated', 2, 2], ['updated', 3, 3], ['updated', 4, 4]]);
  assert.equal(store.open.size, 1, 'the checkpoint holds the open incident once it was published');
});

test('a replacement stage continues from the store: replayed events change nothing, and the incident closes once', async () => {
  const store = new InMemoryIncidentStore();
  const first = new InMemoryIncidentSink();
  const a = stage(first, store);
  await a.start();
  await a.process([...opens, ...closes.slice(0, 2)]);
  // A crash: the replacement replays the whole batch (offsets not committed), then gets the rest.
  const second = new InMemoryIncidentSink();
  const b = stage(second, store);
  await b.start();
  await b.process([...opens, ...closes.slice(0, 2)]);
  assert.equal(second.incidents.length, 0, 'a replay publishes nothing');
  await b.process(closes.slice(2));
  assert.deepEqual(second.incidents.map((i) => [i.state, i.revision]), [['updated', 7], ['closed', 8]]);
  assert.equal(second.incidents[1]!.id, first.incidents[0]!.id);
  // After the close, the replayed events of its episodes are recognised from the store.
  const c = stage(new InMemoryIncidentSink(), store);
  await c.start();
  const again = await c.process([...opens, ...closes]);
  assert.deepEqual([again.published.length, again.outcomes.replayed], [0, 8]);
  assert.deepEqual((await store.list(10)).map((i) => [i.state, i.members.length]), [['closed', 4]]);
});

test('a store that fails is survived: the messages are published, and the changes are written with the next batch', async () => {
  const inner = new InMemoryIncidentStore();
  let down = true;
  const store: IncidentStore = {
    loadOpen: () => inner.loadOpen(),
    incidentsOf: (ids) => (down ? Promise.reject(new Error('redis down')) : inner.incidentsOf(ids)),
    save: (changes) => (down ? Promise.reject(new Error('redis down')) : inner.save(changes)),
  };
  const registry = new Registry();
  const sink = new InMemoryIncidentSink();
  const s = stage(sink, store, registry);
  await s.start();
  await s.process(opens);
  assert.equal(sink.incidents.length, 4);
  assert.equal(inner.open.size, 0);
  down = false;
  await s.process([ev('web-1', 30, 'open', 'web-1@30', 'web')]);
  assert.equal(inner.open.size, 2, 'the earlier batch\'s incident was written too');
  const text = await registry.metrics();
  assert.match(text, /hourglass_incidents_store_failures_total 2/);
  assert.match(text, /hourglass_incidents_open\{group="db"\} 1/);
  assert.match(text, /hourglass_incidents_total\{group="db",state="open",band="2"\} 1/);
});
