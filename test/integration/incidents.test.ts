import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../infra/paths';
import { compileConfig, type HourglassConfig, type Incident } from '@hourglass/core';
import { consumerGroupLag, createKafka, ensureTopics } from '@hourglass/kafka';
import { startIncidentsService, redisIncidentStore } from '@hourglass/incidents';
import { refitPolicy } from '@hourglass/pipeline';
import { RedisCodeStore, createRedis, redisKeys, type Redis } from '@hourglass/redis';
import { createLogger } from '@hourglass/runtime';
import { startScorerService } from '@hourglass/scorer';
import { createRedisTrainer } from '@hourglass/trainer';
import { deleteKeys, eventually, integrationInfrastructure, uniqueName } from '../support/fixtures';
import type { Infrastructure } from '../support/infrastructure';
import { collectAnomalies, produceWindows, sineWindows } from '../support/pipeline-fixtures';

const log = createLogger({ level: process.env.HOURGLASS_TEST_LOG ?? 'silent' });
const DB = ['db-1', 'db-2', 'db-3', 'db-4'];
const SPIKE = 150;

/** Two model groups, `db` (four series) and `web` (one), each with its own model; incidents by model group. */
function incidentsTestConfig(infra: Infrastructure): HourglassConfig {
  const id = uniqueName('inc');
  const model = { layers: [12], latentSize: 4, epochs: 30, batchSize: 64, seed: 5, threshold: { method: 'fixed', value: 1 } };
  const group = (name: string) => ({
    name, match: { glob: `${name}-*` }, window: { lengthSteps: 16, intervalMs: 1000 },
    episodes: { openAfterWindows: 1, closeAfterWindows: 3, ongoingIntervalMs: 3_600_000 }, model,
  });
  return compileConfig({
    kafka: { brokers: [...infra.kafkaBrokers], clientId: id },
    redis: { url: infra.redisUrl, keyPrefix: `${id}:` },
    log: { level: process.env.HOURGLASS_TEST_LOG ?? 'silent' },
    topics: { windows: `${id}.windows`, anomalies: `${id}.anomalies`, deadLetter: `${id}.dlq`, incidents: `${id}.incidents` },
    scorer: { groupId: `${id}-scorer`, batchMaxWaitMs: 20, modelPollIntervalMs: 1000, sessionTimeoutMs: 6000, heartbeatIntervalMs: 500 },
    incidents: { groupId: `${id}-incidents`, sessionTimeoutMs: 6000, heartbeatIntervalMs: 500, joinWithinMs: 60_000 },
    trainer: { minWindows: 200 },
    groups: [group('db'), group('web')],
  });
}

async function installModels(config: HourglassConfig, redis: Redis): Promise<void> {
  const trainer = createRedisTrainer(config, redis, log);
  for (const g of config.groups) {
    await trainer.buffer.append(g.name, sineWindows(`${g.name}-training`, 500, { seed: 9, group: g.name }));
    const fitted = await trainer.stage.refit(g.name, g.model, refitPolicy(config));
    assert.equal(fitted.status, 'promoted', JSON.stringify(fitted));
    await redis.del(`${config.redis.keyPrefix}buffer:${g.name}`);
  }
}

/** Every message of a topic from the beginning, while it runs. */
async function collect(config: HourglassConfig, topic: string): Promise<{ messages: Incident[]; stop(): Promise<void> }> {
  const consumer = createKafka(config.kafka).consumer({ groupId: uniqueName('collector'), sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
  const messages: Incident[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void messages.push(JSON.parse(message.value!.toString()) as Incident) });
  return { messages, stop: () => consumer.disconnect() };
}

/** The newest message of each incident. */
function latest(messages: readonly Incident[]): Map<string, Incident> {
  const out = new Map<string, Incident>();
  for (const m of messages) if ((out.get(m.id)?.revision ?? 0) < m.revision) out.set(m.id, m);
  return out;
}

/**
 * What a replay must reproduce: the newest message of every incident, but its wall-clock
 * `detectedAt` and its `revision` (how many messages led there depends on how the partitions'
 * events interleaved: a member arriving after the others closed reopens the incident).
 */
function finalStates(messages: readonly Incident[]): string[] {
  return [...latest(messages).values()].map(({ detectedAt: _clock, revision: _revision, ...rest }) => JSON.stringify(rest)).sort();
}

test('incidents on real Kafka and Redis: four series of one group spiking together make one incident, a fifth alone its own; replays give the same ids', async (t) => {
  const infra = await integrationInfrastructure(t);
  if (!infra) return;
  const config = incidentsTestConfig(infra);
  const kafka = createKafka(config.kafka);
  await ensureTopics(kafka, [config.topics.windows, config.topics.anomalies, config.topics.incidents].map((topic) => ({ topic, numPartitions: 3 })));
  const redis = createRedis(config.redis.url);
  const running: { stop(): Promise<void> }[] = [];
  const collectors: { stop(): Promise<void> }[] = [];
  t.after(async () => {
    for (const r of running.reverse()) await r.stop().catch(() => undefined);
    for (const c of collectors) await c.stop();
    await deleteKeys(redis, config.redis.keyPrefix);
    redis.disconnect();
  });
  await installModels(config, redis);
  const anomalies = await collectAnomalies(config);
  const incidents = await collect(config, config.topics.incidents);
  collectors.push(anomalies, incidents);

  running.push(await startScorerService(config, log, { requireNative: false }));
  let service = await startIncidentsService(config, log);
  running.push(service);
  // The four db series spike at the same step (each a little differently), the web series too.
  const windows = [...DB, 'web-1'].flatMap((series, i) => sineWindows(series, 200, { seed: 20 + i, spikes: [SPIKE], group: series.split('-')[0]! }));
  await produceWindows(config, windows);

  // Done when all five episodes closed and both incidents with them (a partition ahead of another
  // can close an incident early; its late members reopen it).
  const closed = await eventually('both incidents to close with every episode', async () => {
    if (anomalies.events.filter((e) => e.state === 'closed').length < 5) return undefined;
    const done = [...latest(incidents.messages).values()].filter((m) => m.state === 'closed');
    return done.length >= 2 && done.reduce((n, m) => n + m.members.length, 0) === 5 ? done : undefined;
  }, 120_000, 300);
  const episodes = new Set(anomalies.events.map((e) => e.episodeId as string));
  assert.equal(episodes.size, 5, `one episode per spike: ${JSON.stringify(anomalies.events.map((e) => [e.series, e.state]))}`);
  const db = closed.find((m) => m.key === 'group:db')!;
  const web = closed.find((m) => m.key === 'group:web')!;
  assert.ok(db && web, JSON.stringify(closed));
  assert.deepEqual(db.members.map((m) => m.series).sort(), DB, 'one incident with the four db series');
  assert.equal(db.firstSeries, 'db-1');
  assert.deepEqual(web.members.map((m) => [m.series, m.state]), [['web-1', 'closed']], 'the fifth series is an incident of its own');
  assert.equal(latest(incidents.messages).size, 2, 'no other incident');
  assert.deepEqual(db.similar, [], 'nothing earlier');
  assert.ok(db.members.every((m) => episodes.has(m.episodeId) && m.severity > 0 && m.closedAt !== null));
  // Each episode's code at its peak is in Redis, with its hash and its window, for similarity lookups.
  const codes = new RedisCodeStore(redis, redisKeys(config.redis.keyPrefix), config.similar.maxCodesPerGroup);
  const stored = [...(await codes.read('db', null)).records, ...(await codes.read('web', null)).records];
  assert.deepEqual([...new Set(stored.map((r) => r.episodeId))].sort(), [...episodes].sort(), 'a code for every episode');
  for (const r of stored) assert.ok(r.code.length === 4 && /^[0-9a-f]{16}$/.test(r.hash) && r.window.length > 0 && r.verdict === null, JSON.stringify(r));
  // hourglass incidents list|show read the same thing back from Redis.
  const store = redisIncidentStore(config, redis);
  assert.deepEqual((await store.list(10)).map((i) => i.id).sort(), [db.id, web.id].sort());
  assert.deepEqual(await store.get(db.id), db);

  // A second round: the db series spike again. Each new open names earlier db episodes as similar
  // (the first round's: the others of its round opened at the same time, so they are not earlier),
  // and the new db incident names the first one; `hourglass similar` reads the same from Redis.
  await produceWindows(config, DB.flatMap((series, i) => sineWindows(series, 200, { from: 200, seed: 40 + i, spikes: [350], group: 'db' })));
  const again = await eventually('the second db incident to close with its four episodes', async () =>
    [...latest(incidents.messages).values()].find((m) => m.key === 'group:db' && m.id !== db.id && m.state === 'closed' && m.members.length === 4), 120_000, 300);
  assert.deepEqual(again.members.map((m) => m.series).sort(), DB);
  const firstRound = new Set(db.members.map((m) => m.episodeId));
  const secondOpens = anomalies.events.filter((e) => e.state === 'open' && e.group === 'db' && !firstRound.has(e.id as string));
  assert.equal(secondOpens.length, 4);
  for (const open of secondOpens) {
    const similar = open.similar as { episodeId: string; distance: number }[];
    assert.equal(similar.length, config.similar.k, JSON.stringify(open));
    assert.ok(similar.every((s) => firstRound.has(s.episodeId) && Number.isFinite(s.distance)), JSON.stringify(similar));
  }
  assert.deepEqual(again.similar.map((s) => s.incidentId), [db.id], 'the earlier incident, once');
  assert.ok(again.members.every((m) => m.similar.length === config.similar.k && m.similar.every((s) => s.incidentId === db.id)));
  const file = join(mkdtempSync(join(tmpdir(), 'hourglass-similar-')), 'config.json');
  writeFileSync(file, JSON.stringify(config));
  const cli = spawnSync(process.execPath, [join(repoRoot(), 'services', 'cli', 'dist', 'main.js'), 'similar', '--event', secondOpens[0]!.id as string, '--config', file, '--json'], {
    encoding: 'utf8', env: { ...process.env, KAFKA_BROKERS: '', REDIS_URL: '', PROMETHEUS_URL: '' },
  });
  assert.equal(cli.status, 0, cli.stderr);
  const answer = JSON.parse(cli.stdout) as { episode: { episodeId: string }; similar: { episodeId: string }[] };
  assert.equal(answer.episode.episodeId, secondOpens[0]!.id);
  assert.deepEqual(answer.similar.map((s) => s.episodeId), (secondOpens[0]!.similar as { episodeId: string }[]).map((s) => s.episodeId));

  // A crash replay: the service goes, its offsets go back to the start; the same state recognises every event.
  await service.stop();
  running.splice(running.indexOf(service), 1);
  const admin = kafka.admin();
  await admin.connect();
  await admin.resetOffsets({ groupId: config.incidents.groupId, topic: config.topics.anomalies, earliest: true });
  await admin.disconnect();
  const before = incidents.messages.length;
  service = await startIncidentsService(config, log);
  running.push(service);
  await eventually('the replay to be committed', async () => {
    const lag = await consumerGroupLag(kafka, config.incidents.groupId, config.topics.anomalies);
    return lag.size > 0 && [...lag.values()].every((l) => l === 0) ? true : undefined;
  }, 60_000, 300);
  assert.equal(incidents.messages.length, before, 'a replay with the state kept publishes nothing');

  // A replay from scratch: another consumer group (so no state) on the same anomalies gives the same incidents, message for message.
  const fresh = compileConfig({ ...config, incidents: { ...config.incidents, groupId: `${config.incidents.groupId}-replay` }, topics: { ...config.topics, incidents: `${config.topics.incidents}-replay` } });
  await ensureTopics(kafka, [{ topic: fresh.topics.incidents, numPartitions: 3 }]);
  const replayed = await collect(fresh, fresh.topics.incidents);
  collectors.push(replayed);
  running.push(await startIncidentsService(fresh, log));
  await eventually('the fresh replay to reach the same incidents', async () => (finalStates(replayed.messages).join() === finalStates(incidents.messages).join() ? true : undefined), 60_000, 300).catch(() => undefined);
  assert.deepEqual([...latest(replayed.messages).keys()].sort(), [db.id, web.id, again.id].sort(), 'the same incident ids');
  assert.deepEqual(finalStates(replayed.messages), finalStates(incidents.messages), 'the same members, times, severities and similar incidents');
});
