import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileConfig } from '@hourglass/core';
import { createKafka } from '@hourglass/kafka';
import { createLogger } from '@hourglass/runtime';
import { startIngest, type IngestService } from '@hourglass/ingest';
import { repoRoot } from '../infra/paths';
import { eventually, integrationInfrastructure, uniqueName } from '../support/fixtures';
import { collectWindows, createTestTopics, expectedWindowKeys, ingestRawConfig, missing, produceSteps } from './ingest-harness';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

test('SIGKILL midway, restart: every expected window arrives at least once, none malformed', async (t) => {
  const infra = await integrationInfrastructure(t);
  if (!infra) return;
  const kafka = createKafka({ brokers: infra.kafkaBrokers, clientId: uniqueName('ingest-kill'), connectionTimeoutMs: 3000 });
  const topics = await createTestTopics(kafka, 4);
  const dir = mkdtempSync(join(tmpdir(), 'hourglass-ingest-'));
  const configFile = join(dir, 'ingest.json'); // JSON is YAML
  writeFileSync(configFile, JSON.stringify(ingestRawConfig(infra, topics)));
  const reader = await collectWindows(kafka, topics.windows);
  const children: ChildProcess[] = [];
  t.after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await reader.stop();
    await topics.drop();
    rmSync(dir, { recursive: true, force: true });
  });
  const spawnIngest = (): ChildProcess => {
    const child = spawn(process.execPath, [join(repoRoot(), 'services', 'cli', 'dist', 'main.js'), 'ingest', '--config', configFile], {
      env: { ...process.env, KAFKA_BROKERS: infra.kafkaBrokers.join(','), KAFKAJS_NO_PARTITIONER_WARNING: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.on('exit', (code, signal) => t.diagnostic(`ingest exited code=${code} signal=${signal}${code ? `\n${stderr}` : ''}`));
    children.push(child);
    return child;
  };

  const seriesCount = 8;
  const steps = 3000; // 24,000 points
  const expected = expectedWindowKeys(seriesCount, steps);
  const first = spawnIngest();
  // The first third is in the topic before the first instance starts; the rest comes while it works.
  await produceSteps(kafka, topics.input, seriesCount, 0, 1000);
  await eventually('some windows from the first instance', async () => (reader.keys.size > 500 ? true : undefined), 30_000, 50);
  const producing = produceSteps(kafka, topics.input, seriesCount, 1000, steps);
  first.kill('SIGKILL');
  const killedAt = reader.keys.size;
  await producing;
  spawnIngest();
  await eventually('every expected window after the restart', async () => (missing(expected, reader.keys).length === 0 ? true : undefined), 45_000);
  assert.ok(killedAt < expected.size, `the kill came too late to test anything (${killedAt} of ${expected.size})`);
  assert.deepEqual(reader.problems, [], 'malformed or wrong windows');
  assert.equal(reader.keys.size, expected.size, 'a window that should not exist');
  t.diagnostic(`killed after ${killedAt}/${expected.size} windows; ${reader.total() - reader.keys.size} duplicates after the replay`);
});

test('a rebalance to a second instance and back loses nothing', async (t) => {
  const infra = await integrationInfrastructure(t);
  if (!infra) return;
  const kafka = createKafka({ brokers: infra.kafkaBrokers, clientId: uniqueName('ingest-rebalance'), connectionTimeoutMs: 3000 });
  const topics = await createTestTopics(kafka, 4);
  const reader = await collectWindows(kafka, topics.windows);
  const running = new Set<IngestService>();
  t.after(async () => {
    for (const s of running) await s.stop();
    await reader.stop();
    await topics.drop();
  });
  const start = async (): Promise<IngestService> => {
    const service = await startIngest({ config: compileConfig(ingestRawConfig(infra, topics)), log: createLogger({ level: 'silent' }) });
    running.add(service);
    return service;
  };
  const stop = async (s: IngestService): Promise<void> => {
    running.delete(s);
    await s.stop();
  };
  const readyCount = async (services: IngestService[]) => (await Promise.all(services.map((s) => fetch(`${s.ops.url}/readyz`)))).filter((r) => r.status === 200).length;

  const seriesCount = 10;
  const steps = 2400;
  const a = await start();
  await produceSteps(kafka, topics.input, seriesCount, 0, 800);
  await eventually('windows from instance A', async () => (reader.keys.size > 1000 ? true : undefined), 30_000, 50);
  const b = await start(); // the group rebalances: A gives up some partitions to B
  await eventually('both instances assigned', async () => ((await readyCount([a, b])) === 2 ? true : undefined), 30_000);
  await produceSteps(kafka, topics.input, seriesCount, 800, 1600);
  await stop(a); // graceful: A commits and leaves, B takes every partition
  await produceSteps(kafka, topics.input, seriesCount, 1600, steps);
  const expected = expectedWindowKeys(seriesCount, steps);
  await eventually('every expected window', async () => (missing(expected, reader.keys).length === 0 ? true : undefined), 45_000);
  assert.deepEqual(reader.problems, []);
  assert.equal(reader.keys.size, expected.size);
  t.diagnostic(`${reader.total() - reader.keys.size} duplicate windows from replays after the rebalances`);
});
