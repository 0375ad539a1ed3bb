// Topics an operator can read about: a missing topic is one line that names it and the setting
// that creates it, after a bounded wait; `createTopics` creates every topic a service names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { compileConfig } from '@hourglass/core';
import { startIngest } from '@hourglass/ingest';
import { createKafka } from '@hourglass/kafka';
import { createLogger } from '@hourglass/runtime';
import { repoRoot } from '../infra/paths';
import { integrationInfrastructure, uniqueName } from '../support/fixtures';
import { startServiceProcess } from '../support/processes';

const cli = join(repoRoot(), 'services', 'cli', 'dist', 'main.js');

test('hourglass produce to a missing topic waits kafka.topicWaitMs, then names the topic and what creates it, in one line', async (t) => {
  const infra = await integrationInfrastructure(t);
  if (!infra) return;
  const topic = uniqueName('absent');
  const file = join(mkdtempSync(join(tmpdir(), 'missing-topics-')), 'config.json');
  writeFileSync(file, JSON.stringify({ kafka: { brokers: infra.kafkaBrokers, topicWaitMs: 2000 } }));
  const started = Date.now();
  const result = await promisify(execFile)(process.execPath, [cli, 'produce', '--config', file, '--demo', '--topic', topic], { env: { ...process.env, KAFKA_BROKERS: '' } }).then(
    () => assert.fail('expected a failure'),
    (error: { code: number; stderr: string }) => error,
  );
  assert.equal(result.code, 1);
  assert.ok(Date.now() - started >= 2000, 'it waited for the topic');
  assert.deepEqual(result.stderr.trim().split('\n'), [
    `hourglass produce: waiting up to 2s for topic '${topic}' to be created`,
    `hourglass: Kafka topic '${topic}' does not exist (waited 2s); create it with your Kafka tools, or start ingest with ingest.createTopics: true (it creates its input topics)`,
  ]);
});

test('ingest without createTopics and a missing input topic exits 1 with one error line naming it and ingest.createTopics, and no kafkajs errors', async (t) => {
  const infra = await integrationInfrastructure(t);
  if (!infra) return;
  const id = uniqueName('absent-ingest');
  const service = startServiceProcess('ingest', {
    kafka: { brokers: infra.kafkaBrokers, clientId: id, topicWaitMs: 3000 },
    topics: { windows: `${id}.windows`, deadLetter: `${id}.dlq`, anomalies: `${id}.anomalies` },
    ingest: { groupId: id, topics: [`${id}.points`] },
  });
  t.after(() => service.kill('SIGKILL'));
  const code = await new Promise<number | null>((resolve) => service.child.once('exit', (c) => resolve(c)));
  assert.equal(code, 1, service.logs());
  const lines = service.logs().trim().split('\n').map((l) => JSON.parse(l) as { level: number; msg: string });
  const errors = lines.filter((l) => l.level >= 50);
  assert.equal(errors.length, 1, service.logs());
  assert.equal(errors[0]!.msg, `hourglass ingest did not start: Kafka topics '${id}.points', '${id}.windows', '${id}.dlq' do not exist (waited 3s); create them with your Kafka tools, or set ingest.createTopics: true and ingest creates its input, windows and dead-letter topics`);
  assert.deepEqual(lines.filter((l) => l.level === 40).map((l) => l.msg), ['waiting for topics to be created (ingest.createTopics is off)']);
});

test('ingest with createTopics creates its input topics as well as the windows and dead-letter topics', async (t) => {
  const infra = await integrationInfrastructure(t);
  if (!infra) return;
  const id = uniqueName('create-ingest');
  const topics = [`${id}.a`, `${id}.b`, `${id}.windows`, `${id}.dlq`];
  const kafka = createKafka({ brokers: infra.kafkaBrokers, clientId: id, connectionTimeoutMs: 3000 });
  const admin = kafka.admin();
  await admin.connect();
  t.after(async () => {
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  });
  const config = compileConfig({
    kafka: { brokers: infra.kafkaBrokers, clientId: id },
    topics: { windows: topics[2], deadLetter: topics[3], anomalies: `${id}.anomalies` },
    ingest: { groupId: id, topics: topics.slice(0, 2), createTopics: true, topicPartitions: 2, sessionTimeoutMs: 6000, heartbeatIntervalMs: 500 },
  });
  const service = await startIngest({ config, log: createLogger({ level: 'silent' }) });
  await service.stop();
  const metadata = await admin.fetchTopicMetadata({ topics });
  assert.deepEqual(metadata.topics.map((m) => [m.name, m.partitions.length]).sort(), topics.map((name) => [name, 2]).sort());
});
