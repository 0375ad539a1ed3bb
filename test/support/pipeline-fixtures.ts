import { compileConfig, encodeWindow, seededRng, type HourglassConfig, type Window } from '@hourglass/core';
import { createKafka, ensureTopics } from '@hourglass/kafka';
import assert from 'node:assert/strict';
import { refitPolicy } from '@hourglass/pipeline';
import type { Redis } from '@hourglass/redis';
import { createLogger } from '@hourglass/runtime';
import { createRedisTrainer } from '@hourglass/trainer';
import type { Infrastructure } from './infrastructure';
import { uniqueName } from './fixtures';

/** Windows of a noisy sine for one series; `spikes` lists window indices whose newest value jumps. */
export function sineWindows(series: string, count: number, options: { from?: number; steps?: number; spikes?: readonly number[]; level?: number; seed?: number; group?: string } = {}): Window[] {
  const steps = options.steps ?? 16;
  const from = options.from ?? 0;
  const rng = seededRng(options.seed ?? 1);
  const spikes = new Set(options.spikes ?? []);
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    const values = Float32Array.from({ length: steps }, (_, t) => (options.level ?? 0) + Math.sin((2 * Math.PI * (i + t)) / 24) + 0.05 * rng.normal());
    if (spikes.has(i)) values[steps - 1] = values[steps - 1]! + 6;
    return {
      formatVersion: 1, series, group: options.group ?? 'g', startMs: i * 1000, endMs: (i + steps - 1) * 1000, intervalMs: 1000,
      channels: ['value'], values, mask: new Uint8Array(steps).fill(1), ingestedAtMs: Date.now(),
    } satisfies Window;
  });
}

/** A config for one test: its own topics, consumer groups and Redis key prefix, one small fast group. */
export function pipelineTestConfig(infra: Infrastructure, overrides: { scorer?: object; trainer?: object; model?: object; episodes?: object } = {}): HourglassConfig {
  const id = uniqueName('p');
  return compileConfig({
    kafka: { brokers: [...infra.kafkaBrokers], clientId: id },
    redis: { url: infra.redisUrl, keyPrefix: `${id}:` },
    log: { level: process.env.HOURGLASS_TEST_LOG ?? 'silent' },
    topics: { windows: `${id}.windows`, anomalies: `${id}.anomalies`, deadLetter: `${id}.dlq` },
    scorer: {
      groupId: `${id}-scorer`, batchMaxWaitMs: 20,
      warmupWindows: 400, modelPollIntervalMs: 1000, sessionTimeoutMs: 6000, heartbeatIntervalMs: 500, ...overrides.scorer,
    },
    trainer: { minWindows: 200, checkIntervalMs: 200, lockTtlMs: 5000, ...overrides.trainer },
    groups: [{
      name: 'g', match: { glob: '*' }, window: { lengthSteps: 16, intervalMs: 1000 },
      episodes: { openAfterWindows: 1, closeAfterWindows: 3, ongoingIntervalMs: 3_600_000, ...overrides.episodes },
      model: { layers: [12], latentSize: 4, epochs: 30, batchSize: 64, seed: 5, ...overrides.model },
    }],
  });
}

/** Creates the config's windows and anomalies topics. */
export async function createPipelineTopics(config: HourglassConfig, partitions = 3): Promise<void> {
  const kafka = createKafka(config.kafka);
  await ensureTopics(kafka, [{ topic: config.topics.windows, numPartitions: partitions }, { topic: config.topics.anomalies, numPartitions: partitions }]);
}

/** Produces windows to the config's windows topic, keyed by series, in one acknowledged send. */
export async function produceWindows(config: HourglassConfig, windows: readonly Window[]): Promise<void> {
  const producer = createKafka(config.kafka).producer();
  await producer.connect();
  try {
    await producer.send({ topic: config.topics.windows, acks: -1, messages: windows.map((w) => ({ key: w.series, value: encodeWindow(w) })) });
  } finally {
    await producer.disconnect();
  }
}

/** Collects every message of the anomalies topic from the beginning, while it runs. */
export async function collectAnomalies(config: HourglassConfig): Promise<{ events: Record<string, unknown>[]; stop(): Promise<void> }> {
  const consumer = createKafka(config.kafka).consumer({ groupId: uniqueName('collector'), sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
  const events: Record<string, unknown>[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: config.topics.anomalies, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void events.push(JSON.parse(message.value!.toString()) as Record<string, unknown>) });
  return { events, stop: () => consumer.disconnect() };
}

/**
 * Installs a model for group `g` as the trainer would (fitted on 500 windows of another series,
 * promoted through the gate), then empties the clean buffer, so a test starts with a model and
 * nothing buffered. Returns the promoted version.
 */
export async function installTrainedModel(config: HourglassConfig, redis: Redis): Promise<string> {
  const trainer = createRedisTrainer(config, redis, createLogger({ level: 'silent' }));
  await trainer.buffer.append('g', sineWindows('training', 500, { seed: 9 }));
  const fitted = await trainer.stage.refit('g', config.groups[0]!.model, refitPolicy(config));
  assert.equal(fitted.status, 'promoted', JSON.stringify(fitted));
  await redis.del(`${config.redis.keyPrefix}buffer:g`);
  return fitted.status === 'promoted' ? fitted.version : '';
}
