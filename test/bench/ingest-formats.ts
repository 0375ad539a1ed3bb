import { performance } from 'node:perf_hooks';
import { createTopicsAndWait } from '@hourglass/kafka';
import { Point } from '@influxdata/influxdb-client';
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { compileConfig, Windower, type InputFormat } from '@hourglass/core';
import { createIngestMetrics } from '@hourglass/ingest';
import { processBatch, TopicParsers } from '@hourglass/pipeline';
import { createLogger, createMetricsRegistry } from '@hourglass/runtime';
import type { Kafka } from 'kafkajs';
import { uniqueName } from '../support/fixtures';
import { prometheusAdapterMessage } from '../support/format-producers';
import { timedIngest } from './ingest-timing';

/**
 * bench:ingest's per-format part: the same points (`series` series, 1 s apart) in each input
 * format, as its real producer writes them (test/support/format-producers.ts): Hourglass JSON and
 * Influx lines and prometheus-kafka-adapter samples one point per message (as Telegraf's and the
 * adapter's Kafka outputs write them), OTLP one ExportMetricsServiceRequest of `series` gauge
 * points per step (as the Collector batches them), encoded by the OTel JS SDK's serializers.
 * Two figures per format: points/s of the pure batch step (decode, ids, window, encode) in memory,
 * and points/s of the ingest consumer through the broker (produce windows acks=all, commit).
 */
export const FORMATS: readonly InputFormat[] = ['json', 'influx', 'prometheus-json', 'otlp-proto', 'otlp-json'];
const BASE_MS = Date.UTC(2024, 0, 1);

export interface FormatRow {
  readonly format: InputFormat;
  readonly messages: number;
  readonly bytesPerPoint: number;
  readonly inMemoryPointsPerSecond: number;
  readonly kafkaPointsPerSecond: number;
}

class CollectingReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** The messages of one format holding `points` points of `series` series. */
export async function formatMessages(format: InputFormat, points: number, series: number): Promise<Buffer[]> {
  const steps = Math.ceil(points / series);
  const value = (step: number, s: number) => Math.sin(step / 10) + s;
  const out: Buffer[] = [];
  if (format === 'otlp-proto' || format === 'otlp-json') {
    const reader = new CollectingReader();
    const provider = new MeterProvider({ readers: [reader] });
    provider.getMeter('bench').createObservableGauge('bench.value').addCallback((r) => {
      for (let s = 0; s < series; s++) r.observe(0, { s: `s${s}` });
    });
    const { resourceMetrics } = await reader.collect();
    await provider.shutdown();
    const serialize = format === 'otlp-proto' ? ProtobufMetricsSerializer : JsonMetricsSerializer;
    for (let step = 0; step < steps; step++) {
      const t = BASE_MS + step * 1000;
      const rm = { ...resourceMetrics, scopeMetrics: resourceMetrics.scopeMetrics.map((sm) => ({ ...sm, metrics: sm.metrics.map((m) => ({ ...m, dataPoints: (m.dataPoints as unknown as { attributes: { s: string } }[]).slice(0, Math.min(series, points - step * series)).map((dp) => ({ ...dp, startTime: [t / 1000, 0], endTime: [Math.floor(t / 1000), 0], value: value(step, Number(dp.attributes.s.slice(1))) })) })) })) } as unknown as ResourceMetrics;
      out.push(Buffer.from(serialize.serializeRequest(rm)!));
    }
    return out;
  }
  for (let i = 0; i < points; i++) {
    const step = Math.floor(i / series);
    const s = i % series;
    const v = value(step, s);
    if (format === 'json') out.push(Buffer.from(JSON.stringify({ series: `s${s}`, ts: BASE_MS + step * 1000, value: v })));
    else if (format === 'influx') out.push(Buffer.from(new Point('bench').tag('s', `s${s}`).floatField('value', v).timestamp(`${BigInt(BASE_MS + step * 1000) * 1_000_000n}`).toLineProtocol()!));
    else out.push(Buffer.from(prometheusAdapterMessage('bench_value', { s: `s${s}` }, step, v)));
  }
  return out;
}

function configFor(format: InputFormat, topic: string, windowsTopic: string, brokers: readonly string[]) {
  return compileConfig({
    kafka: { brokers: [...brokers] },
    topics: { windows: windowsTopic, deadLetter: `${windowsTopic}-dlq` },
    ingest: { groupId: uniqueName('bench-fmt'), topics: [topic], maxWaitTimeMs: 100, sessionTimeoutMs: 6000, heartbeatIntervalMs: 500, parseByTopic: format === 'json' ? {} : { [topic]: { format, maxMessageBytes: 4_000_000 } } },
  });
}

/** Points/s of processBatch alone over the messages, in batches of 500 messages, best of `rounds`. */
function inMemoryRate(format: InputFormat, messages: readonly Buffer[], points: number, rounds: number): number {
  let best = 0;
  for (let r = 0; r < rounds; r++) {
    const config = configFor(format, 'bench', 'bench-windows', ['127.0.0.1:9092']);
    const windower = new Windower({ groups: config.groups, maxLiveSeries: config.ingest.maxLiveSeries, seriesIdleTimeoutMs: config.ingest.seriesIdleTimeoutMs });
    const parsers = new TopicParsers({ ingest: config.ingest, groups: config.groups });
    const t0 = performance.now();
    for (let i = 0; i < messages.length; i += 500) {
      processBatch({ topic: 'bench', partition: 0, source: 0, messages: messages.slice(i, i + 500).map((value, j) => ({ key: null, value, offset: String(i + j) })) }, windower, parsers, Date.now());
    }
    best = Math.max(best, (points / (performance.now() - t0)) * 1000);
  }
  return best;
}

/** Points/s of the ingest consumer through the broker: from the first batch to the last point counted. */
async function kafkaRate(kafka: Kafka, brokers: readonly string[], format: InputFormat, messages: readonly Buffer[], points: number, partitions: number): Promise<number> {
  const input = uniqueName(`bench-${format}`);
  const windows = uniqueName('bench-fmt-windows');
  const admin = kafka.admin();
  await admin.connect();
  await createTopicsAndWait(admin, [{ topic: input, numPartitions: partitions }, { topic: windows, numPartitions: partitions }, { topic: `${windows}-dlq`, numPartitions: 1 }]);
  try {
    const producer = kafka.producer();
    await producer.connect();
    const per = format.startsWith('otlp') ? 20 : 2000;
    for (let i = 0; i < messages.length; i += per) await producer.send({ topic: input, messages: messages.slice(i, i + per).map((value, j) => ({ key: `k${(i + j) % 100}`, value })) });
    await producer.disconnect();
    const config = configFor(format, input, windows, brokers);
    const windower = new Windower({ groups: config.groups, maxLiveSeries: config.ingest.maxLiveSeries, seriesIdleTimeoutMs: config.ingest.seriesIdleTimeoutMs });
    const metrics = createIngestMetrics(createMetricsRegistry('bench'), () => windower.liveSeries);
    const parsers = new TopicParsers({ ingest: config.ingest, groups: config.groups });
    return await timedIngest({ kafka, config: config.ingest, topics: config.topics, windower, parsers, metrics, log: createLogger({ level: 'warn' }) }, points);
  } finally {
    await admin.deleteTopics({ topics: [input, windows, `${windows}-dlq`] }).catch(() => undefined);
    await admin.disconnect();
  }
}

/** Every format's row; progress on stderr. */
export async function formatRows(kafka: Kafka, brokers: readonly string[], points: number, series: number, partitions: number, formats: readonly InputFormat[] = FORMATS): Promise<FormatRow[]> {
  const rows: FormatRow[] = [];
  for (const format of formats) {
    const messages = await formatMessages(format, points, series);
    const bytes = messages.reduce((n, m) => n + m.length, 0);
    const inMemory = inMemoryRate(format, messages, points, 2);
    const overKafka = await kafkaRate(kafka, brokers, format, messages, points, partitions);
    rows.push({ format, messages: messages.length, bytesPerPoint: Math.round(bytes / points), inMemoryPointsPerSecond: Math.round(inMemory), kafkaPointsPerSecond: Math.round(overKafka) });
    process.stderr.write(`bench:ingest ${format}: ${JSON.stringify(rows[rows.length - 1])}\n`);
  }
  return rows;
}

/** The rows as a Markdown table, with the window the default group uses. */
export function formatTable(rows: readonly FormatRow[]): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const w = compileConfig({}).groups[0]!.window;
  return [`Default model group: W=${w.lengthSteps}, S=${w.strideSteps}; in memory best of 2, through Kafka one round.`, '','| format | messages | bytes/point | in memory (decode, window, encode), points/s | through Kafka (ingest consumer), points/s |', '| --- | ---: | ---: | ---: | ---: |', ...rows.map((r) => `| ${r.format} | ${n(r.messages)} | ${r.bytesPerPoint} | ${n(r.inMemoryPointsPerSecond)} | ${n(r.kafkaPointsPerSecond)} |`)].join('\n');
}
