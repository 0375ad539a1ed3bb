import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileConfig, decodeWindows, type DeadLetter, type Window } from '@hourglass/core';
import { createKafka, createTopicsAndWait } from '@hourglass/kafka';
import { createLogger } from '@hourglass/runtime';
import { startIngest, type IngestService } from '@hourglass/ingest';
import { eventually, integrationInfrastructure, uniqueName } from '../support/fixtures';
import {
  FORMAT_BASE_MS, FORMAT_INTERVAL_MS, idleSeconds, influxCpuLine, otlpJson, otlpProto, otlpTemplate, prometheusAdapterMessage, systemAt, userAt, userSeconds, utilizationAt,
} from '../support/format-producers';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const STEPS = 12;
const W = 4;
const at = (step: number) => FORMAT_BASE_MS + step * FORMAT_INTERVAL_MS;

/**
 * One ingest reads five topics in five formats (parseByTopic) on the real broker. Producers
 * (test/support/format-producers.ts says why these): Influx lines from @influxdata/influxdb-client's
 * Point (Telegraf's cpu input shape); prometheus-kafka-adapter's JSON shape (one sample per
 * message, node_exporter's CPU counters); OTLP from the OpenTelemetry JS SDK's own
 * ProtobufMetricsSerializer and JsonMetricsSerializer; Hourglass' JSON. It asserts the series ids,
 * the exact windows (rates and multivariate points included), every dead letter with its reason
 * and point index, and that the good points of a partly bad message are kept.
 */
test('formats on the real broker: Telegraf lines, prometheus-kafka-adapter samples, OTLP proto and JSON, beside plain JSON', { timeout: 120_000 }, async (t) => {
  const infra = await integrationInfrastructure(t);
  if (!infra) return;
  const kafka = createKafka({ brokers: infra.kafkaBrokers, clientId: uniqueName('formats'), connectionTimeoutMs: 3000 });
  const id = uniqueName('formats');
  const topic = { influx: `${id}.telegraf`, prom: `${id}.prom`, otlpJson: `${id}.otlp-json`, otlpProto: `${id}.otlp-proto`, json: `${id}.points`, windows: `${id}.windows`, dlq: `${id}.dlq` };
  const admin = kafka.admin();
  await admin.connect();
  await createTopicsAndWait(admin, Object.values(topic).map((name) => ({ topic: name, numPartitions: 1 })));
  const windows: Window[] = [];
  const letters: DeadLetter[] = [];
  const readers = [kafka.consumer({ groupId: uniqueName('formats-w'), maxWaitTimeInMs: 100 }), kafka.consumer({ groupId: uniqueName('formats-d'), maxWaitTimeInMs: 100 })];
  const services: IngestService[] = [];
  t.after(async () => {
    for (const s of services) await s.stop();
    for (const r of readers) await r.disconnect();
    await admin.deleteTopics({ topics: Object.values(topic) }).catch(() => undefined);
    await admin.disconnect();
  });
  for (const [reader, name, sink] of [[readers[0]!, topic.windows, (v: Buffer) => windows.push(...decodeWindows(v))], [readers[1]!, topic.dlq, (v: Buffer) => letters.push(JSON.parse(v.toString()) as DeadLetter)]] as const) {
    await reader.connect();
    await reader.subscribe({ topic: name, fromBeginning: true });
    await reader.run({ eachMessage: async ({ message }) => void sink(message.value!) });
  }

  // Produce every step of every format, with a few bad points among good ones.
  const otlp = await otlpTemplate(2);
  const producer = kafka.producer();
  await producer.connect();
  for (let step = 0; step < STEPS; step++) {
    const influx = [0, 1].map((h) => ({ key: `h${h}`, value: influxCpuLine(h, step) }));
    if (step === 6) {
      influx[0]!.value += `\ncpu,host=h0 usage_user= 1\nmem,host=h0 used=1e999 ${BigInt(at(step)) * 1_000_000n}`; // a malformed line and a non-finite field after a good line
    }
    const prom = [0, 1].flatMap((c) => [
      { key: null, value: prometheusAdapterMessage('node_cpu_seconds_total', { cpu: String(c), instance: 'n1:9100', job: 'node', mode: 'idle' }, step, idleSeconds(c, step)) },
      { key: null, value: prometheusAdapterMessage('node_cpu_seconds_total', { cpu: String(c), instance: 'n1:9100', job: 'node', mode: 'user' }, step, userSeconds(c, step)) },
    ]);
    if (step === 6) prom.push({ key: null, value: prometheusAdapterMessage('up', { job: 'node' }, step, Number.NaN) }); // a stale marker
    let json: string | Buffer = Buffer.from(otlpJson(otlp(step)));
    if (step === 6) {
      const doc = JSON.parse(json.toString()) as { resourceMetrics: { scopeMetrics: { metrics: object[] }[] }[] };
      doc.resourceMetrics[0]!.scopeMetrics[0]!.metrics.push({ name: 'broken.gauge', gauge: { dataPoints: [{ timeUnixNano: '0', asDouble: 1 }] } });
      json = JSON.stringify(doc);
    }
    await producer.sendBatch({
      topicMessages: [
        { topic: topic.influx, messages: influx },
        { topic: topic.prom, messages: prom },
        { topic: topic.otlpJson, messages: [{ key: 'api', value: json }] },
        { topic: topic.otlpProto, messages: [{ key: 'api', value: Buffer.from(otlpProto(otlp(step))) }, ...(step === 6 ? [{ key: 'api', value: Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]) }] : [])] },
        { topic: topic.json, messages: [{ key: 'plain', value: JSON.stringify({ series: 'plain', ts: at(step), value: step }) }] },
      ],
    });
  }
  await producer.disconnect();

  const config = compileConfig({
    kafka: { brokers: [...infra.kafkaBrokers], clientId: id },
    ops: { host: '127.0.0.1', port: 0 },
    log: { level: 'warn' },
    topics: { windows: topic.windows, deadLetter: topic.dlq },
    ingest: {
      groupId: `${id}-ingest`,
      topics: [topic.influx, topic.prom, topic.otlpJson, topic.otlpProto, topic.json],
      parseByTopic: {
        [topic.influx]: { format: 'influx', channels: 'fields' },
        [topic.prom]: { format: 'prometheus-json', channels: { label: 'mode' }, labels: ['cpu', 'mode'] },
        [topic.otlpJson]: { format: 'otlp-json', labels: ['route'] },
        [topic.otlpProto]: { format: 'otlp-proto', labels: ['route', 'service.name'], maxMessageBytes: 1_000_000 },
      },
      sessionTimeoutMs: 6000, heartbeatIntervalMs: 500, maxWaitTimeMs: 100,
    },
    groups: [{ name: 'g', match: { glob: '*' }, window: { lengthSteps: W, strideSteps: 1, intervalMs: FORMAT_INTERVAL_MS } }],
  });
  const service = await startIngest({ config, log: createLogger({ level: process.env.INGEST_TEST_LOG ?? 'silent' }) });
  services.push(service);

  // Each series: windows end at every step from its first point + W-1 to the step before its last (the newest stays open).
  const series: Record<string, { first: number; channels: string[]; values: (step: number) => number[] }> = {
    'cpu{cpu="cpu-total",host="h0"}': { first: 0, channels: ['usage_system', 'usage_user'], values: (s) => [systemAt(0, s), userAt(0, s)] },
    'cpu{cpu="cpu-total",host="h1"}': { first: 0, channels: ['usage_system', 'usage_user'], values: (s) => [systemAt(1, s), userAt(1, s)] },
    'node_cpu_seconds_total{cpu="0"}': { first: 1, channels: ['idle', 'user'], values: () => [0.75, 0.25] },
    'node_cpu_seconds_total{cpu="1"}': { first: 1, channels: ['idle', 'user'], values: () => [0.75, 0.25] },
    plain: { first: 0, channels: ['value'], values: (s) => [s] },
  };
  for (const [route, i] of [['/r0', 0], ['/r1', 1]] as const) {
    for (const labels of [`{route="${route}"}`, `{route="${route}",service.name="api"}`]) {
      series[`http.server.requests${labels}`] = { first: 1, channels: ['value'], values: () => [3] };
      series[`http.server.duration_count${labels}`] = { first: 1, channels: ['value'], values: () => [2] };
      series[`http.server.duration_sum${labels}`] = { first: 1, channels: ['value'], values: () => [30] };
      series[`process.cpu.utilization${labels}`] = { first: 0, channels: ['value'], values: (s) => [Math.fround(utilizationAt(i, s))] };
    }
  }
  const expected = new Map<string, number[]>();
  for (const [name, s] of Object.entries(series)) for (let e = s.first + W - 1; e <= STEPS - 2; e++) expected.set(`${name}@${at(e)}`, Array.from({ length: W }, (_, k) => s.values(e - W + 1 + k)).flat());
  await eventually('every expected window and dead letter', async () => (windows.length >= expected.size && letters.length >= 5 ? true : undefined), 45_000).catch((error: unknown) => {
    t.diagnostic(`windows ${windows.length}/${expected.size}: ${[...new Set(windows.map((w) => w.series))].join(' ')}; letters ${JSON.stringify(letters)}`);
    throw error;
  });
  await new Promise((r) => setTimeout(r, 500));
  const got = new Map(windows.map((w) => [`${w.series}@${w.endMs}`, w]));
  assert.deepEqual([...got.keys()].sort(), [...expected.keys()].sort());
  assert.equal(windows.length, expected.size, 'no window twice');
  for (const [key, values] of expected) {
    const w = got.get(key)!;
    assert.deepEqual(w.channels, series[w.series]!.channels, key);
    assert.deepEqual([...w.values].map((v) => Math.round(v * 1e4) / 1e4), values.map((v) => Math.round(Math.fround(v) * 1e4) / 1e4), key);
  }

  const byTopic = (name: string) => letters.filter((l) => l.topic === name).map((l) => ({ reason: l.reason, point: l.point, value: l.value }));
  assert.deepEqual(byTopic(topic.influx), [
    { reason: 'malformed_line', point: 2, value: 'cpu,host=h0 usage_user= 1' },
    { reason: 'non_finite_value', point: 3, value: `mem,host=h0 used=1e999 ${BigInt(at(6)) * 1_000_000n}` },
  ]);
  assert.deepEqual(byTopic(topic.prom), [{ reason: 'non_finite_value', point: 0, value: prometheusAdapterMessage('up', { job: 'node' }, 6, Number.NaN) }]);
  const [broken] = byTopic(topic.otlpJson);
  assert.equal(broken?.reason, 'bad_timestamp');
  assert.equal(typeof broken?.point, 'number');
  assert.equal((JSON.parse(broken!.value!) as { metric: string }).metric, 'broken.gauge');
  assert.deepEqual(byTopic(topic.otlpProto).map((l) => [l.reason, l.point]), [['malformed_protobuf', undefined]]);
  assert.equal(letters.length, 5);

  const metrics = await (await fetch(`${service.ops.url}/metrics`)).text();
  assert.match(metrics, /^hourglass_ingest_points_total\{outcome="accepted"\} 300$/m, 'every good point is counted: 48 Influx fields, 48 samples, 96 and 96 OTLP values, 12 JSON points');
  assert.match(metrics, /^hourglass_ingest_points_total\{outcome="rejected"\} 5$/m);
});
