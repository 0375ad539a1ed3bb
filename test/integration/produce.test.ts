import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createKafka, ensureTopics } from '@hourglass/kafka';
import { repoRoot } from '../infra/paths';
import { eventually, integrationInfrastructure, uniqueName } from '../support/fixtures';
import { infrastructureEnv } from '../support/infrastructure';

const cli = join(repoRoot(), 'services', 'cli', 'dist', 'main.js');

test('hourglass produce sends a CSV file to a topic, keyed by series, in the input-topic shape', async (t) => {
  const infra = await integrationInfrastructure(t);
  if (!infra) return;
  const topic = uniqueName('produce');
  const kafka = createKafka({ brokers: infra.kafkaBrokers, clientId: topic, connectionTimeoutMs: 3000 });
  await ensureTopics(kafka, [{ topic, numPartitions: 2 }]);
  const file = join(mkdtempSync(join(tmpdir(), 'produce-')), 'points.csv');
  writeFileSync(file, 'series,ts,value\n' + Array.from({ length: 300 }, (_, i) => `s${i % 3},${1_700_000_000_000 + i * 1000},${i}`).join('\n') + '\n');
  const { stderr } = await promisify(execFile)(process.execPath, [cli, 'produce', '--input', file, '--topic', topic, '--rate', '2000'], { env: { ...process.env, ...infrastructureEnv(infra) } });
  assert.match(stderr, new RegExp(`sent 300 points to ${topic}`));
  const consumer = kafka.consumer({ groupId: uniqueName('produce-check'), sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
  const seen: { key: string; value: { series: string; ts: number; value: number } }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void seen.push({ key: message.key!.toString(), value: JSON.parse(message.value!.toString()) as never }) });
  t.after(() => consumer.disconnect());
  await eventually('all 300 messages', async () => (seen.length >= 300 ? true : undefined), 30_000);
  assert.ok(seen.every((m) => m.key === m.value.series));
  assert.deepEqual(seen.map((m) => m.value.value).sort((a, b) => a - b), Array.from({ length: 300 }, (_, i) => i));
});

test('hourglass produce against an unreachable broker fails with one line naming the address', async () => {
  const result = await promisify(execFile)(process.execPath, [cli, 'produce', '--demo', '--topic', 'x'], { env: { ...process.env, KAFKA_BROKERS: '127.0.0.1:1' } }).then(
    () => assert.fail('expected a failure'),
    (error: { code: number; stderr: string }) => error,
  );
  assert.equal(result.code, 1);
  assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  assert.match(result.stderr, /^hourglass: cannot reach Kafka at 127\.0\.0\.1:1/);
});
