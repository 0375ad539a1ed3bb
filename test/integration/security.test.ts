import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { compileConfig } from '@hourglass/core';
import { createKafka, ensureTopics, resolveKafkaSecurity } from '@hourglass/kafka';
import { ModelRegistry, RedisWindowBuffer, createRedis, redisKeys } from '@hourglass/redis';
import { secureInfraUnavailable, startSecureInfra, type SecureInfra } from '../infra/secure';
import { eventually, uniqueName, deleteKeys } from '../support/fixtures';
import { sineWindows } from '../support/pipeline-fixtures';
import { runCli, secondLoopback, secretLeaks, secureConnection, startCli, waitForLogLine, writeConfig, type CliProcess } from '../support/secure-fixtures';

/**
 * Issue 11, security: a second Kafka broker that only speaks SASL_SSL (SCRAM-SHA-512) and a second
 * Redis that only speaks TLS to an ACL user (test/infra/secure.ts), both started here and stopped
 * by their pids when this file ends. Secrets reach Hourglass only as files.
 */

let starting: Promise<SecureInfra> | undefined;
after(async () => {
  const infra = await starting?.catch(() => undefined);
  await infra?.stop();
});

async function secureInfra(t: TestContext): Promise<SecureInfra | undefined> {
  const missing = secureInfraUnavailable();
  if (missing) {
    if (process.env.CI === 'true') throw new Error(`secured infrastructure unavailable: ${missing}`);
    t.skip(`secured infrastructure unavailable: ${missing}`);
    return undefined;
  }
  starting ??= startSecureInfra((line) => t.diagnostic(line));
  return starting;
}

function scratch(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'hourglass-sectest-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface DoctorJson {
  ok: boolean;
  kafka: { status: string; detail: string; security?: string };
  redis: { status: string; detail: string; security?: string };
}

test('doctor: SASL_SSL/SCRAM-SHA-512 and Redis TLS+ACL from secret files answer; a wrong password or an untrusted CA fails with a clear reason; no password is ever printed', async (t) => {
  const infra = await secureInfra(t);
  if (!infra) return;
  const dir = scratch(t);
  const wrong = { kafka: `wrongk-${uniqueName('x')}`, redis: `wrongr-${uniqueName('x')}` };
  writeFileSync(join(dir, 'wrong-kafka'), wrong.kafka, { mode: 0o600 });
  writeFileSync(join(dir, 'wrong-redis'), wrong.redis, { mode: 0o600 });
  // Prometheus is not under test: a closed port makes its line fail fast.
  const base = { prometheus: { url: 'http://127.0.0.1:9' } };
  const good = writeConfig(dir, 'good.json', { ...base, ...secureConnection(infra) });
  const bad = writeConfig(dir, 'bad.json', { ...base, ...secureConnection(infra, { kafkaPasswordFile: join(dir, 'wrong-kafka'), redisPasswordFile: join(dir, 'wrong-redis') }) });
  const untrusted = writeConfig(dir, 'untrusted.json', { ...base, ...secureConnection(infra, { trustCa: false }) });

  const [goodJson, goodText, badJson, badText, untrustedJson] = await Promise.all([
    runCli(['doctor', '--json', '--config', good]),
    runCli(['doctor', '--config', good]),
    runCli(['doctor', '--json', '--config', bad]),
    runCli(['doctor', '--config', bad]),
    runCli(['doctor', '--json', '--config', untrusted]),
  ]);
  const parse = (r: { stdout: string; stderr: string }): DoctorJson => {
    try {
      return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as DoctorJson;
    } catch {
      throw new Error(`doctor --json printed no JSON; stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    }
  };

  for (const line of badText.stdout.trim().split('\n')) t.diagnostic(`doctor with wrong passwords: ${line}`);
  t.diagnostic(`doctor without the CA: ${JSON.stringify(parse(untrustedJson))}`);
  const ok = parse(goodJson);
  assert.equal(ok.kafka.status, 'ok', ok.kafka.detail);
  assert.match(ok.kafka.detail, /SASL_SSL scram-sha-512 as hourglass/);
  assert.equal(ok.redis.status, 'ok', ok.redis.detail);
  assert.match(ok.redis.detail, /^rediss:\/\/127\.0\.0\.1:\d+ \(Redis 7[\d.]*; TLS, user hourglass\)$/);
  assert.match(goodText.stdout, /^ok +kafka .*SASL_SSL scram-sha-512 as hourglass/m);
  assert.match(goodText.stdout, /^ok +redis .*TLS, user hourglass/m);

  // Wrong password: the line says authentication failed, with the mechanism and the user.
  const refused = parse(badJson);
  assert.equal(refused.kafka.status, 'fail');
  assert.match(refused.kafka.detail, /authentication failed \(SASL SCRAM-SHA-512, user 'hourglass'\)/);
  assert.match(refused.kafka.detail, /invalid credentials/);
  assert.equal(refused.redis.status, 'fail');
  assert.match(refused.redis.detail, /refused authentication as user 'hourglass': WRONGPASS/);
  assert.match(badText.stdout, /^FAIL +kafka .*authentication failed \(SASL SCRAM-SHA-512, user 'hourglass'\)/m);
  assert.match(badText.stdout, /^FAIL +redis .*refused authentication as user 'hourglass': WRONGPASS/m);
  assert.equal(badText.code, 1);

  // No CA to trust: TLS verification fails, and says so.
  const strangers = parse(untrustedJson);
  assert.equal(strangers.kafka.status, 'fail');
  assert.match(strangers.kafka.detail, /certificate/i);
  assert.equal(strangers.redis.status, 'fail');
  assert.match(strangers.redis.detail, /certificate/i);

  const secrets = [infra.secrets.kafka, infra.secrets.redis, wrong.kafka, wrong.redis];
  const leaks = Object.entries({ goodJson, goodText, badJson, badText, untrustedJson }).flatMap(([name, r]) => [
    ...secretLeaks(`${name} stdout`, r.stdout, secrets), ...secretLeaks(`${name} stderr`, r.stderr, secrets),
  ]);
  assert.deepEqual(leaks, []);
});

test('ingest → scorer with a trainer-fitted model, all over SASL_SSL and Redis TLS+ACL with secret files; ops endpoints on ops.host; no secret in logs, metrics or health', async (t) => {
  const infra = await secureInfra(t);
  if (!infra) return;
  const dir = scratch(t);
  // Linux routes all of 127/8 to loopback: binding 127.0.0.2 shows ops.host is honoured, not 0.0.0.0.
  const host = (await secondLoopback()) ?? '127.0.0.1';
  const id = uniqueName('sec');
  const connection = secureConnection(infra);
  const raw = {
    kafka: { ...connection.kafka, clientId: id },
    redis: { ...connection.redis, keyPrefix: `${id}:` },
    ops: { host, port: 0 },
    log: { level: 'debug' }, // as chatty as an operator would make it while debugging a connection
    topics: { windows: `${id}.windows`, anomalies: `${id}.anomalies`, deadLetter: `${id}.dlq` },
    ingest: {
      groupId: `${id}-ingest`, topics: [`${id}.points`],
      sessionTimeoutMs: 6000, heartbeatIntervalMs: 500, maxWaitTimeMs: 100,
    },
    scorer: {
      groupId: `${id}-scorer`, batchMaxWaitMs: 20,
      warmupWindows: 400, modelPollIntervalMs: 1000, sessionTimeoutMs: 6000, heartbeatIntervalMs: 500,
    },
    trainer: { minWindows: 200, checkIntervalMs: 200, lockTtlMs: 20_000 },
    groups: [{
      name: 'g', match: { glob: '*' }, window: { lengthSteps: 16, intervalMs: 1000 },
      episodes: { openAfterWindows: 1, closeAfterWindows: 3, ongoingIntervalMs: 3_600_000 },
      model: { layers: [12], latentSize: 4, epochs: 30, batchSize: 64, seed: 5 },
    }],
  };
  const config = compileConfig(raw);
  const file = writeConfig(dir, 'hourglass.json', raw);

  // The test's own clients use the same config, through the same adapters.
  const kafka = createKafka({ ...config.kafka, clientId: `${id}-test` }, undefined, resolveKafkaSecurity(config.kafka.security));
  await ensureTopics(kafka, [
    { topic: `${id}.points`, numPartitions: 2 }, { topic: `${id}.windows`, numPartitions: 2 },
    { topic: `${id}.dlq`, numPartitions: 1 }, { topic: `${id}.anomalies`, numPartitions: 1 },
  ]);
  const redis = createRedis(config.redis);
  const keys = redisKeys(config.redis.keyPrefix);
  const buffer = new RedisWindowBuffer(redis, keys, config.scorer.bufferMaxWindows);
  const registry = new ModelRegistry(redis, keys);
  const services: CliProcess[] = [];
  const anomalies = await collectEvents(kafka, `${id}.anomalies`);
  t.after(async () => {
    await Promise.all(services.map((s) => s.stop()));
    await anomalies.stop();
    await deleteKeys(redis, config.redis.keyPrefix);
    redis.disconnect();
  });

  // Normal history in the clean buffer (over TLS, as the ACL user): the trainer fits v1 from it.
  await buffer.append('g', sineWindows('a', 500));
  const trainer = startCli(['trainer', '--config', file]);
  const scorer = startCli(['scorer', '--config', file]);
  const ingest = startCli(['ingest', '--config', file]);
  services.push(trainer, scorer, ingest);
  const [trainerUp, scorerUp, ingestUp] = await Promise.all([
    waitForLogLine(trainer, /^trainer started$/, 60_000),
    waitForLogLine(scorer, /^scorer started$/, 60_000),
    waitForLogLine(ingest, /^hourglass-ingest started$/, 60_000),
  ]);
  const ops = { trainer: String(trainerUp.ops), scorer: String(scorerUp.ops), ingest: String(ingestUp.ops) };
  await eventually('the trainer to promote v1 in the secured Redis', async () => ((await registry.current('g'))?.version === 'v1' ? true : undefined), 60_000, 500);
  await eventually('the scorer to load v1', async () => ((await getJson(`${ops.scorer}/readyz`)).models as Record<string, string> | undefined)?.g === 'v1' || undefined, 30_000);
  await eventually('ingest to be ready', async () => ((await fetch(`${ops.ingest}/readyz`)).ok ? true : undefined), 30_000);

  // Points on the secured input topic: ingest windows them, the scorer scores them and opens an episode on the spike.
  const steps = 240;
  const spikeStep = 200;
  const base = Date.UTC(2024, 0, 1);
  const producer = kafka.producer();
  await producer.connect();
  const messages = [];
  for (let step = 0; step < steps; step++) {
    for (const series of ['a', 'b']) {
      const phase = series === 'a' ? 0 : 7;
      const value = Math.sin((2 * Math.PI * (step + phase)) / 24) + (series === 'a' && step === spikeStep ? 6 : 0);
      messages.push({ key: series, value: JSON.stringify({ series, ts: base + step * 1000, value }) });
    }
  }
  await producer.send({ topic: `${id}.points`, acks: -1, messages });
  await producer.disconnect();

  const windowsPerSeries = steps - 16; // end steps 15 … steps-2 (the newest step stays open)
  await eventually('ingest to produce every window', async () => (metric(await getText(`${ops.ingest}/metrics`), 'hourglass_ingest_windows_total') >= 2 * windowsPerSeries ? true : undefined), 30_000);
  await eventually('the scorer to score every window', async () => (metric(await getText(`${ops.scorer}/metrics`), 'hourglass_scorer_windows_total{group="g"}') >= 2 * windowsPerSeries ? true : undefined), 30_000);
  const open = await eventually('an open episode for the spiked series', async () => anomalies.events.find((e) => e.series === 'a' && e.state === 'open'), 30_000);
  assert.equal(open.modelVersion, 'v1');
  assert.ok(!anomalies.events.some((e) => e.series === 'b'), 'the clean series raises nothing');
  // Normal windows went back to the clean buffer over TLS.
  await eventually('the scorer to append clean windows to the secured Redis', async () => ((await buffer.totalAdded('g')) > 500 ? true : undefined), 15_000);

  // ops.host: every service's endpoints listen on the configured address, and only there.
  const bodies: Record<string, string> = {};
  for (const [name, url] of Object.entries(ops)) {
    assert.equal(new URL(url).hostname, host, `${name} ops endpoint binds ${host}`);
    for (const path of ['/metrics', '/healthz', '/readyz']) bodies[`${name} ${path}`] = await getText(`${url}${path}`);
    assert.match(bodies[`${name} /healthz`]!, /"status":"ok"/);
    if (host !== '127.0.0.1') {
      await assert.rejects(fetch(`http://127.0.0.1:${new URL(url).port}/healthz`), `${name} must not answer on 127.0.0.1 when ops.host is ${host}`);
    }
  }
  assert.match(bodies['scorer /metrics']!, /hourglass_scorer_windows_total/);

  // Stop gracefully, then look for the passwords everywhere the services wrote to.
  const codes = await Promise.all(services.map((s) => s.stop('SIGTERM')));
  assert.deepEqual(codes, [0, 0, 0], 'every service stops cleanly on SIGTERM');
  const outputs: Record<string, string> = {};
  for (const [name, s] of Object.entries({ trainer, scorer, ingest })) {
    outputs[`${name} stdout`] = s.stdout();
    outputs[`${name} stderr`] = s.stderr();
    assert.match(s.stderr(), /started/, `${name} logged, so the check below has something to read`);
  }
  const secrets = [infra.secrets.kafka, infra.secrets.redis];
  const leaks = Object.entries({ ...outputs, ...bodies }).flatMap(([where, text]) => secretLeaks(where, text, secrets));
  assert.deepEqual(leaks, []);
});

async function collectEvents(kafka: Kafka, topic: string): Promise<{ events: Record<string, unknown>[]; stop(): Promise<void> }> {
  const consumer = kafka.consumer({ groupId: uniqueName('sec-collector'), sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
  const events: Record<string, unknown>[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void events.push(JSON.parse(message.value!.toString()) as Record<string, unknown>) });
  return { events, stop: () => consumer.disconnect() };
}

async function getText(url: string): Promise<string> {
  return (await fetch(url, { signal: AbortSignal.timeout(5000) })).text();
}

async function getJson(url: string): Promise<Record<string, unknown>> {
  return JSON.parse(await getText(url)) as Record<string, unknown>;
}

/** The value of one sample line (`name{labels} value`) in a Prometheus text exposition; 0 when absent. */
function metric(text: string, sample: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line ? Number(line.slice(sample.length + 1)) : 0;
}
