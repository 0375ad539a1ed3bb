import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileConfig } from '@hourglass/core';
import { createKafka } from '@hourglass/kafka';
import { createLogger } from '@hourglass/runtime';
import { startIngest, type IngestService } from '@hourglass/ingest';
import { eventually, integrationInfrastructure, uniqueName } from '../support/fixtures';
import { collectWindows, createTestTopics, expectedWindowKeys, ingestRawConfig, missing, produceSteps } from './ingest-harness';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

test('tens of thousands of points over several series and partitions give exactly the expected windows', async (t) => {
  const infra = await integrationInfrastructure(t);
  if (!infra) return;
  const kafka = createKafka({ brokers: infra.kafkaBrokers, clientId: uniqueName('ingest-e2e'), connectionTimeoutMs: 3000 });
  const topics = await createTestTopics(kafka, 4);
  const services: IngestService[] = [];
  const reader = await collectWindows(kafka, topics.windows);
  t.after(async () => {
    for (const s of services) await s.stop();
    await reader.stop();
    await topics.drop();
  });
  const seriesCount = 12;
  const steps = 2500; // 30,000 points
  await produceSteps(kafka, topics.input, seriesCount, 0, steps);
  const config = compileConfig(ingestRawConfig(infra, topics));
  const service = await startIngest({ config, log: createLogger({ level: 'silent' }) });
  services.push(service);

  const expected = expectedWindowKeys(seriesCount, steps);
  await eventually('every expected window', async () => (reader.keys.size >= expected.size ? true : undefined), 45_000);
  await new Promise((r) => setTimeout(r, 500)); // anything extra would show up now
  assert.deepEqual(reader.problems, []);
  assert.deepEqual(missing(expected, reader.keys), []);
  assert.equal(reader.keys.size, expected.size, 'a window that should not exist');
  assert.equal(reader.total(), expected.size, 'without a restart, no window is produced twice');

  const metrics = await (await fetch(`${service.ops.url}/metrics`)).text();
  assert.match(metrics, new RegExp(`^hourglass_ingest_points_total\\{outcome="accepted"\\} ${seriesCount * steps}$`, 'm'));
  assert.match(metrics, new RegExp(`^hourglass_ingest_windows_total ${expected.size}$`, 'm'));
  assert.match(metrics, /^hourglass_ingest_live_series 12$/m);
  assert.match(metrics, /^hourglass_ingest_consumer_lag\{topic="[^"]+",partition="\d"\} 0$/m);
  assert.equal((await fetch(`${service.ops.url}/readyz`)).status, 200);

  // The committed offsets hold back exactly the points still inside a window buffer (W-1 per series
  // plus the open step). The commit follows the acks, so it may land just after the last window.
  const admin = kafka.admin();
  await admin.connect();
  t.after(() => admin.disconnect());
  const heldBack = async (): Promise<number> => {
    const [committed] = await admin.fetchOffsets({ groupId: topics.group, topics: [topics.input] });
    const ends = await admin.fetchTopicOffsets(topics.input);
    return committed!.partitions.reduce((n, p) => {
      const end = ends.find((e) => e.partition === p.partition)!;
      return n + Number(end.high) - Math.max(Number(p.offset), Number(end.low)); // -1: nothing committed (an empty partition)
    }, 0);
  };
  const settled = await eventually('the final commit', async () => ((await heldBack()) === seriesCount * 8 ? true : undefined), 5000).catch(() => false);
  assert.ok(settled, `held back ${await heldBack()} messages, expected ${seriesCount * 8}: each series its last W-1 resolved points and its open one`);
});
