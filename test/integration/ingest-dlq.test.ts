import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileConfig, REJECT_REASONS, type DeadLetter, type RejectReason } from '@hourglass/core';
import { createKafka } from '@hourglass/kafka';
import { createLogger } from '@hourglass/runtime';
import { startIngest, type IngestService } from '@hourglass/ingest';
import { eventually, integrationInfrastructure, uniqueName } from '../support/fixtures';
import { BASE_MS, INTERVAL_MS, collectWindows, createTestTopics, expectedWindowKeys, ingestRawConfig, missing, pointMessage } from './ingest-harness';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const ts = (step: number) => BASE_MS + step * INTERVAL_MS;
const json = (v: unknown) => Buffer.from(JSON.stringify(v));

/** Bad messages by construction, each with the one reason it must be refused for. Random content where it cannot change the reason. */
function badMessage(): fc.Arbitrary<{ key: string | null; value: Buffer; reason: RejectReason }> {
  const key = fc.option(fc.string({ maxLength: 8 }).map((k) => `k${k}`), { nil: null });
  const step = fc.integer({ min: 0, max: 1000 });
  const pick = (reason: RejectReason, value: fc.Arbitrary<Buffer>, k: fc.Arbitrary<string | null> = key) => fc.record({ key: k, value, reason: fc.constant(reason) });
  return fc.oneof(
    pick('malformed_json', fc.uint8Array({ maxLength: 60 }).map((b) => Buffer.concat([Buffer.from([1]), b]))),
    pick('not_an_object', fc.oneof(fc.array(fc.integer()), fc.integer(), fc.string(), fc.constant(null)).map(json)),
    pick('missing_series', fc.record({ ts: step.map(ts), value: fc.double({ noNaN: true, noDefaultInfinity: true }) }).map(json), fc.constant(null)),
    pick('bad_series', fc.record({ series: fc.oneof(fc.integer(), fc.boolean()), ts: step.map(ts), value: fc.integer() }).map(json)),
    pick('bad_timestamp', fc.record({ series: fc.constant('s1'), ts: fc.constantFrom('yesterday', true, {}, [1], '2024-13-45T99:99:99Z', null), value: fc.integer() }).map(json)),
    pick('missing_value', fc.record({ series: fc.constant('s1'), ts: step.map(ts), value: fc.oneof(fc.string(), fc.constant(null), fc.boolean()) }).map(json)),
    pick('non_finite_value', step.map((s) => Buffer.from(`{"series":"s1","ts":${ts(s)},"value":-1e999}`))),
    pick('oversize', fc.string({ minLength: 1, maxLength: 8 }).map((p) => json({ series: 's1', ts: ts(1), value: 1, pad: p.repeat(3000) }))),
    pick('no_matching_group', fc.record({ series: fc.string({ maxLength: 6 }).map((s) => `other-${s}`), ts: step.map(ts), value: fc.integer() }).map(json)),
    pick('unknown_channel', fc.record({ series: fc.constant('s0'), ts: step.map((s) => ts(3000 + s)), values: fc.record({ value: fc.integer(), extra: fc.integer() }) }).map(json), fc.constant('s0')),
    pick('too_late', step.map((s) => json({ series: 's0', ts: ts(s), value: 1 })), fc.constant('s0')),
  );
}

test('parser fuzz on the real broker: thousands of bad messages all land in the DLQ with their reason; every good one becomes a point', async (t) => {
  const infra = await integrationInfrastructure(t);
  if (!infra) return;
  const kafka = createKafka({ brokers: infra.kafkaBrokers, clientId: uniqueName('ingest-dlq'), connectionTimeoutMs: 3000 });
  const topics = await createTestTopics(kafka, 2);
  const reader = await collectWindows(kafka, topics.windows);
  const letters: DeadLetter[] = [];
  const dlqReader = kafka.consumer({ groupId: uniqueName('dlq-reader'), sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
  const services: IngestService[] = [];
  t.after(async () => {
    for (const s of services) await s.stop();
    await dlqReader.disconnect();
    await reader.stop();
    await topics.drop();
  });
  await dlqReader.connect();
  await dlqReader.subscribe({ topic: topics.dlq, fromBeginning: true });
  await dlqReader.run({ eachMessage: async ({ message }) => void letters.push(JSON.parse(message.value!.toString()) as DeadLetter) });

  // Good points for 4 series (steps 0..1999), with bad messages interleaved; too_late ones only after s0 has moved on.
  const bad = fc.sample(badMessage(), { numRuns: 3000, seed: 42 });
  const seriesCount = 4;
  const steps = 2000;
  const messages: { key: string | null; value: Buffer }[] = [];
  let b = 0;
  for (let step = 0; step < steps; step++) {
    for (let i = 0; i < seriesCount; i++) messages.push({ ...pointMessage(i, step), value: Buffer.from(pointMessage(i, step).value) });
    while (step > 1000 && b < bad.length && b < ((step - 1000) / 1000) * bad.length) messages.push(bad[b++]!);
  }
  while (b < bad.length) messages.push(bad[b++]!);
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < messages.length; i += 500) await producer.send({ topic: topics.input, messages: messages.slice(i, i + 500) });
  await producer.disconnect();

  const raw = ingestRawConfig(infra, topics);
  const config = compileConfig({ ...raw, ingest: { ...(raw.ingest as object), parse: { maxMessageBytes: 2048 } }, groups: [{ name: 'g', match: { glob: 's*' }, window: { lengthSteps: 8, strideSteps: 2, intervalMs: INTERVAL_MS } }] });
  const service = await startIngest({ config, log: createLogger({ level: process.env.INGEST_TEST_LOG ?? 'silent' }) });
  services.push(service);

  await eventually('every bad message in the DLQ', async () => (letters.length >= bad.length ? true : undefined), 45_000).catch(async (error: unknown) => {
    t.diagnostic(`dead letters: ${letters.length}/${bad.length}; windows: ${reader.keys.size}`);
    t.diagnostic((await (await fetch(`${service.ops.url}/metrics`)).text()).split('\n').filter((l) => l.startsWith('hourglass_ingest')).join('\n'));
    throw error;
  });
  const expected = expectedWindowKeys(seriesCount, steps);
  await eventually('every expected window', async () => (missing(expected, reader.keys).length === 0 ? true : undefined), 30_000);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(letters.length, bad.length, 'more dead letters than bad messages');
  // The same bytes, with the same reason, as a multiset: nothing lost, nothing mislabelled.
  // Oversize values are kept up to maxMessageBytes (2048 here), so a dead letter can never be too big for the broker.
  const want = bad.map((m) => `${m.reason} ${m.value.subarray(0, 2048).toString('base64')}`).sort();
  const got = letters.map((l) => `${l.reason} ${Buffer.from(l.value ?? '', l.valueEncoding === 'base64' ? 'base64' : 'utf8').toString('base64')}`).sort();
  assert.deepEqual(got, want);
  for (const l of letters) {
    assert.ok((REJECT_REASONS as readonly string[]).includes(l.reason) && l.detail.length > 0 && l.topic === topics.input);
    assert.ok(Number(l.offset) >= 0 && !Number.isNaN(Date.parse(l.receivedAt)));
    assert.equal(l.truncated, l.reason === 'oversize');
  }
  assert.ok(letters.some((l) => l.valueEncoding === 'base64'), 'some of the random bytes are not UTF-8');
  assert.deepEqual(reader.problems, []);
  assert.equal(reader.keys.size, expected.size);
  const metrics = await (await fetch(`${service.ops.url}/metrics`)).text();
  assert.match(metrics, new RegExp(`^hourglass_ingest_points_total\\{outcome="accepted"\\} ${seriesCount * steps}$`, 'm'));
  const tooLate = bad.filter((m) => m.reason === 'too_late').length;
  assert.match(metrics, new RegExp(`^hourglass_ingest_dead_letters_total\\{reason="too_late"\\} ${tooLate}$`, 'm'));
  assert.match(metrics, new RegExp(`^hourglass_ingest_late_points_total ${tooLate}$`, 'm'));
});
