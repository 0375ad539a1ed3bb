import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { compileConfig, Windower } from '@hourglass/core';
import { createKafka, createTopicsAndWait } from '@hourglass/kafka';
import { createIngestMetrics } from '@hourglass/ingest';
import { createLogger, createMetricsRegistry } from '@hourglass/runtime';
import type { Kafka } from 'kafkajs';
import { infrastructureFromEnv, resolveInfrastructure } from '../support/infrastructure';
import { uniqueName } from '../support/fixtures';
import { formatRows, formatTable } from './ingest-formats';
import { startProfiler } from './bench-util';
import { timedIngest } from './ingest-timing';
import { benchPoints, pureIngest, stateBytesPerSeries } from './ingest-core';

/**
 * `npm run bench:ingest [-- --json] [-- --points N]`: points/s that the ingest consumer sustains
 * (parse, window with the default group W=64 S=1, produce windows with acks=all, commit) next to
 * a bare kafkajs consumer that only reads the same topic, in the same run. Infrastructure is
 * resolved like the tests (environment, else local processes).
 */
const args = process.argv.slice(2);
const json = args.includes('--json');
/** `--no-formats` skips the per-format rows (./ingest-formats.ts). */
const withFormats = !args.includes('--no-formats');
const points = Number(args[args.indexOf('--points') + 1]) || 200_000;
/** `--cpu-profile FILE`: a V8 CPU profile of the last ingest round only (profile-shares.js --ingest reads it). */
const profileFile = args.includes('--cpu-profile') ? args[args.indexOf('--cpu-profile') + 1] : undefined;
const SERIES = 100;
const PARTITIONS = 4;
const ROUNDS = 2;
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
/** kafkajs pins its version in package.json; read it without a require() import. */
const KAFKAJS_VERSION = (JSON.parse(readFileSync(join(dirname(require.resolve('kafkajs')), 'package.json'), 'utf8')) as { version: string }).version;

async function main(): Promise<void> {
  const infra = infrastructureFromEnv() ?? (await resolveInfrastructure(process.env, (l) => process.stderr.write(`${l}\n`)));
  const kafka = createKafka({ brokers: infra.kafkaBrokers, clientId: uniqueName('bench-ingest'), connectionTimeoutMs: 3000 });
  const input = uniqueName('bench-in');
  const windows = uniqueName('bench-windows');
  const admin = kafka.admin();
  await admin.connect();
  await createTopicsAndWait(admin, [{ topic: input, numPartitions: PARTITIONS }, { topic: windows, numPartitions: PARTITIONS }, { topic: `${windows}-dlq`, numPartitions: 1 }]);
  try {
    await fill(kafka, input);
    const bare: number[] = [];
    const ingest: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      bare.push(await bareRate(kafka, input));
      const profiler = profileFile && round === ROUNDS - 1 ? await startProfiler() : undefined;
      ingest.push(await ingestRate(kafka, infra.kafkaBrokers, input, windows));
      if (profiler && profileFile) writeFileSync(profileFile, JSON.stringify(await profiler()));
    }
    const best = (xs: number[]) => Math.max(...xs);
    // Without Kafka, in this process: the batch step with blocks and with one message per window, and the state's heap.
    const messages = benchPoints(points, SERIES);
    pureIngest(messages.slice(0, 20_000));
    const pureBlocks = pureIngest(messages);
    const purePerWindow = pureIngest(messages, false);
    const liveSeries = 100_000;
    const bytesPerSeries = Math.round(stateBytesPerSeries(liveSeries));
    const result = {
      points,
      series: SERIES,
      partitions: PARTITIONS,
      window: { lengthSteps: 64, strideSteps: 1 },
      bareConsumerPointsPerSecond: Math.round(best(bare)),
      ingestPointsPerSecond: Math.round(best(ingest)),
      ratio: Number((best(ingest) / best(bare)).toFixed(3)),
      rounds: { bare: bare.map(Math.round), ingest: ingest.map(Math.round) },
      batchStep: {
        blocks: { pointsPerSecond: Math.round(pureBlocks.pointsPerSecond), windowMessages: pureBlocks.windowMessages, bytesPerWindow: Number((pureBlocks.windowBytes / pureBlocks.windows).toFixed(1)) },
        oneMessagePerWindow: { pointsPerSecond: Math.round(purePerWindow.pointsPerSecond), windowMessages: purePerWindow.windowMessages, bytesPerWindow: Number((purePerWindow.windowBytes / purePerWindow.windows).toFixed(1)) },
      },
      stateBytesPerSeries: { liveSeries, bytes: bytesPerSeries },
      versions: { node: process.versions.node, kafkajs: KAFKAJS_VERSION },
    };
    const formats = withFormats ? await formatRows(kafka, infra.kafkaBrokers, points, SERIES, PARTITIONS) : [];
    if (json) process.stdout.write(`${JSON.stringify({ ...result, formats })}\n`);
    else {
      process.stdout.write(`| reader | points/s |\n| --- | ---: |\n`);
      process.stdout.write(`| bare kafkajs consumer (eachBatch, no work) | ${result.bareConsumerPointsPerSecond} |\n`);
      process.stdout.write(`| hourglass ingest (parse, window, produce acks=all, commit) | ${result.ingestPointsPerSecond} |\n`);
      process.stdout.write(`| ratio ingest / bare | ${result.ratio} |\n`);
      const b = result.batchStep;
      process.stdout.write(`| batch step alone, blocks (parse, window, encode; no Kafka) | ${b.blocks.pointsPerSecond} (${b.blocks.windowMessages} messages, ${b.blocks.bytesPerWindow} B per window) |\n`);
      process.stdout.write(`| batch step alone, one message per window | ${b.oneMessagePerWindow.pointsPerSecond} (${b.oneMessagePerWindow.windowMessages} messages, ${b.oneMessagePerWindow.bytesPerWindow} B per window) |\n`);
      process.stdout.write(`| state per live series, ${liveSeries} live (heap + array buffers) | ${bytesPerSeries} B |\n\n`);
      process.stdout.write(`${points} points, ${SERIES} series, ${PARTITIONS} partitions, W=64 S=1, best of ${ROUNDS}; node ${result.versions.node}, kafkajs ${result.versions.kafkajs}\n`);
      if (withFormats) process.stdout.write(`\nPer input format (the same ${points} points):\n\n${formatTable(formats)}\n`);
    }
  } finally {
    await admin.deleteTopics({ topics: [input, windows, `${windows}-dlq`] }).catch(() => undefined);
    await admin.disconnect();
  }
}

async function fill(kafka: Kafka, topic: string): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  const base = Date.UTC(2024, 0, 1);
  const steps = Math.ceil(points / SERIES);
  for (let start = 0; start < steps; start += 100) {
    const messages = [];
    for (let step = start; step < Math.min(steps, start + 100); step++) {
      for (let s = 0; s < SERIES && step * SERIES + s < points; s++) messages.push({ key: `s${s}`, value: JSON.stringify({ series: `s${s}`, ts: base + step * 1000, value: Math.sin(step / 10) + s }) });
    }
    await producer.send({ topic, messages });
  }
  await producer.disconnect();
}

/** Points/s from the first batch to the last, for a consumer that does nothing with them. */
async function bareRate(kafka: Kafka, topic: string): Promise<number> {
  const consumer = kafka.consumer({ groupId: uniqueName('bench-bare'), sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let first = 0;
  const done = new Promise<number>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        if (seen === 0) first = performance.now();
        seen += batch.messages.length;
        if (seen >= points) resolve(performance.now());
      },
    });
  });
  const end = await done;
  await consumer.disconnect();
  return (points / (end - first)) * 1000;
}

/** Points/s from the first batch to the moment every point is counted (windows produced and acknowledged). */
async function ingestRate(kafka: Kafka, brokers: readonly string[], input: string, windowsTopic: string): Promise<number> {
  const config = compileConfig({
    kafka: { brokers: [...brokers] }, topics: { windows: windowsTopic, deadLetter: `${windowsTopic}-dlq` },
    ingest: { groupId: uniqueName('bench-ingest'), topics: [input], maxWaitTimeMs: 100, sessionTimeoutMs: 6000, heartbeatIntervalMs: 500 },
    groups: [{ name: 'default', match: { glob: '*' }, window: { lengthSteps: 64 } }],
  });
  // As startIngest builds it: blocks, one windows-topic message per series run per batch.
  const windower = new Windower({ groups: config.groups, maxLiveSeries: config.ingest.maxLiveSeries, seriesIdleTimeoutMs: config.ingest.seriesIdleTimeoutMs, blocks: true });
  const metrics = createIngestMetrics(createMetricsRegistry('bench'), () => windower.liveSeries);
  return timedIngest({ kafka, config: config.ingest, topics: config.topics, windower, metrics, log: createLogger({ level: 'warn' }) }, points);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:ingest failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
