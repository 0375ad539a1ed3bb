import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Counter } from 'prom-client';
import { createKafka, createTopicsAndWait } from '@hourglass/kafka';
import { createRedis } from '@hourglass/redis';
import { createMetricsRegistry, startOpsServer } from '@hourglass/runtime';
import { repoRoot } from '../infra/paths';
import { addScrapeTarget, eventually, integrationInfrastructure, uniqueName } from '../support/fixtures';
import { infrastructureEnv } from '../support/infrastructure';

test('Kafka: messages produced to the real broker are consumed back, in order per partition', async (t) => {
  const infra = await integrationInfrastructure(t);
  if (!infra) return;
  t.diagnostic(`infrastructure: ${infra.source}`);
  const kafka = createKafka({ brokers: infra.kafkaBrokers, clientId: uniqueName('foundation'), connectionTimeoutMs: 3000 });
  const topic = uniqueName('foundation-roundtrip');
  const admin = kafka.admin();
  await admin.connect();
  t.after(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });
  await createTopicsAndWait(admin, [{ topic, numPartitions: 3 }]);

  const producer = kafka.producer();
  await producer.connect();
  const sent = Array.from({ length: 300 }, (_, i) => ({ key: `series-${i % 7}`, value: JSON.stringify({ i }) }));
  await producer.send({ topic, messages: sent });
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: uniqueName('foundation-group'), sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const received: { key: string; i: number }[] = [];
  await consumer.run({
    eachMessage: async ({ message }) => {
      received.push({ key: message.key!.toString(), i: (JSON.parse(message.value!.toString()) as { i: number }).i });
    },
  });
  try {
    await eventually('all 300 messages', async () => (received.length >= 300 ? true : undefined), 60_000);
  } finally {
    await consumer.disconnect();
  }
  assert.equal(received.length, 300);
  // One key always maps to one partition, so each series' messages arrive in the order sent.
  for (let s = 0; s < 7; s++) {
    const order = received.filter((m) => m.key === `series-${s}`).map((m) => m.i);
    assert.deepEqual(order, [...order].sort((a, b) => a - b), `series-${s} out of order`);
    assert.equal(order.length, sent.filter((m) => m.key === `series-${s}`).length);
  }
});

test('Redis: a capped stream round-trips entries and trims to its MAXLEN', async (t) => {
  const infra = await integrationInfrastructure(t);
  if (!infra) return;
  const redis = createRedis(infra.redisUrl);
  const key = `${uniqueName('test')}:buffer:foundation`;
  t.after(async () => {
    await redis.del(key);
    redis.disconnect();
  });
  for (let i = 0; i < 50; i++) await redis.xadd(key, 'MAXLEN', '=', '20', '*', 'window', JSON.stringify({ i }));
  const entries = await redis.xrange(key, '-', '+');
  assert.equal(entries.length, 20);
  const values = entries.map(([, fields]) => (JSON.parse(fields[1]!) as { i: number }).i);
  assert.deepEqual(values, Array.from({ length: 20 }, (_, k) => 30 + k));
});

test('Prometheus: the real server scrapes a prom-client /metrics endpoint', async (t) => {
  const infra = await integrationInfrastructure(t);
  if (!infra) return;
  const run = uniqueName('scrape');
  const registry = createMetricsRegistry('foundation-test');
  new Counter({ name: 'hourglass_test_probe_total', help: 'Counts nothing; proves that a scrape arrived.', labelNames: ['run'], registers: [registry] }).inc({ run }, 42);
  const server = await startOpsServer({ registry, host: '127.0.0.1', port: 0, readiness: () => ({ ready: true, details: {} }) });
  const removeTarget = addScrapeTarget(infra, run, `127.0.0.1:${server.port}`);
  t.after(async () => {
    removeTarget();
    await server.close();
  });
  const query = new URL('/api/v1/query', infra.prometheusUrl);
  query.searchParams.set('query', `hourglass_test_probe_total{run="${run}"}`);
  const value = await eventually(
    'Prometheus to report the scraped sample',
    async () => {
      const body = (await (await fetch(query)).json()) as { data: { result: { value: [number, string] }[] } };
      return body.data.result[0]?.value[1];
    },
    60_000,
    500,
  );
  assert.equal(value, '42');
});

test('hourglass doctor --json reports every configured dependency as reachable', async (t) => {
  const infra = await integrationInfrastructure(t);
  if (!infra) return;
  const cli = join(repoRoot(), 'services', 'cli', 'dist', 'main.js');
  const { stdout } = await promisify(execFile)(process.execPath, [cli, 'doctor', '--json'], { env: { ...process.env, ...infrastructureEnv(infra) } });
  const report = JSON.parse(stdout) as Record<string, { status: string; address?: string }>;
  for (const name of ['node', 'kafka', 'redis', 'prometheus']) assert.equal(report[name]?.status, 'ok', `${name}: ${JSON.stringify(report[name])}`);
  assert.equal(report.kafka?.address, infra.kafkaBrokers.join(','));
  // Groups without a model are named (a warning: every deployment starts so), not hidden or failed.
  const models = report.models as { status: string; models?: Record<string, string | null>; withoutModel?: string[] } | undefined;
  assert.ok(models && ['ok', 'warn'].includes(models.status), JSON.stringify(models));
  assert.ok(models.models && Object.keys(models.models).length > 0, 'every configured group is listed');
  if (models.status === 'warn') assert.ok((models.withoutModel ?? []).length > 0);
});
