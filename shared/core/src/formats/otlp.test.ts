import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { opentelemetry } from '@hourglass/otlp-proto';
import { parseConfigSchema } from '../config/ingest-config';
import { decodeOtlp } from './otlp';

/** A reader that hands over what the SDK collected, as an exporter would get it. */
class CollectingReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** Metrics recorded with the OpenTelemetry JS SDK: a counter, an up-down counter, a gauge and a histogram. */
async function sdkMetrics(): Promise<ResourceMetrics> {
  const reader = new CollectingReader();
  const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 'checkout', 'host.name': 'h1' }), readers: [reader] });
  const meter = provider.getMeter('hourglass-test');
  meter.createCounter('requests').add(5, { route: '/a' });
  meter.createUpDownCounter('queue.depth').add(-2);
  meter.createObservableGauge('cpu.utilization').addCallback((r) => r.observe(0.25, { cpu: '0' }));
  const h = meter.createHistogram('latency');
  h.record(10);
  h.record(30);
  const { resourceMetrics } = await reader.collect();
  await provider.shutdown();
  return resourceMetrics;
}

const config = parseConfigSchema.parse({ format: 'otlp-proto' });
const view = (r: ReturnType<typeof decodeOtlp>) => {
  assert.ok(r.ok, JSON.stringify(r));
  return r.samples.map((s) => ({ name: s.name[0], labels: Object.fromEntries(s.labels), value: s.value, kind: s.kind })).sort((a, b) => (a.name! < b.name! ? -1 : 1));
};

test("the OTel JS SDK's own serializers (ProtobufMetricsSerializer, JsonMetricsSerializer): both encodings give the same samples", async () => {
  const rm = await sdkMetrics();
  const proto = decodeOtlp(ProtobufMetricsSerializer.serializeRequest(rm)!, 'proto', config);
  const json = decodeOtlp(JsonMetricsSerializer.serializeRequest(rm)!, 'json', config);
  const resource = { 'service.name': 'checkout', 'host.name': 'h1' };
  const expected = [
    { name: 'cpu.utilization', labels: { ...resource, cpu: '0' }, value: 0.25, kind: 'gauge' },
    { name: 'latency_count', labels: resource, value: 2, kind: 'counter' },
    { name: 'latency_sum', labels: resource, value: 40, kind: 'counter' },
    { name: 'queue.depth', labels: resource, value: -2, kind: 'gauge' },
    { name: 'requests', labels: { ...resource, route: '/a' }, value: 5, kind: 'counter' },
  ];
  const protoView = view(proto);
  for (const s of protoView) for (const k of Object.keys(s.labels)) if (k.startsWith('telemetry.sdk.')) delete (s.labels as Record<string, string>)[k];
  assert.deepEqual(protoView, expected);
  assert.deepEqual(view(json), view(proto));
  assert.ok(proto.ok && proto.samples.every((s) => Math.abs(s.timestampMs - Date.now()) < 60_000 && s.startMs > 0));
});

const M = opentelemetry.proto.metrics.v1;
const encode = (metrics: object[]) => opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest.encode({ resourceMetrics: [{ resource: { attributes: [{ key: 'host', value: { stringValue: 'a' } }] }, scopeMetrics: [{ metrics }] }] }).finish();
const T = 1_700_000_000_000_000_000;

test('one request, many points: the bad ones are refused alone with their reason, in reading order', () => {
  const r = decodeOtlp(encode([
    { name: 'g', gauge: { dataPoints: [{ timeUnixNano: T, asDouble: 1 }, { timeUnixNano: 0, asDouble: 2 }, { timeUnixNano: T, asDouble: Infinity }, { timeUnixNano: T }, { timeUnixNano: T, asInt: 7, flags: 1 }] } },
    { name: 'nothing' },
    { name: 'd', sum: { isMonotonic: true, aggregationTemporality: M.AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA, dataPoints: [{ startTimeUnixNano: T - 10e9, timeUnixNano: T, asInt: 20 }] } },
  ]), 'proto', config);
  assert.ok(r.ok);
  assert.deepEqual(r.samples.map((s) => [s.index, s.name[0], s.value, s.kind, s.timestampMs]), [[0, 'g', 1, 'gauge', 1_700_000_000_000], [6, 'd', 20, 'delta', 1_700_000_000_000]]);
  assert.deepEqual(r.refusals.map((x) => [x.index, x.reason]), [[1, 'bad_timestamp'], [2, 'non_finite_value'], [3, 'missing_value'], [4, 'missing_value'], [5, 'unsupported_metric']]);
  assert.deepEqual(JSON.parse(r.refusals[0]!.text), { metric: 'g', labels: { host: 'a' }, timeUnixNano: '0', value: 2 });
});

test('histograms and summaries: count and sum, the configured quantiles, or refused with parse.histograms: refuse', () => {
  const metrics = [{ name: 's', summary: { dataPoints: [{ timeUnixNano: T, count: 4, sum: 8, quantileValues: [{ quantile: 0.5, value: 1 }, { quantile: 0.99, value: 3 }] }] } }];
  const taken = decodeOtlp(encode(metrics), 'proto', parseConfigSchema.parse({ format: 'otlp-proto', quantiles: [0.99, 0.9] }));
  assert.ok(taken.ok);
  assert.deepEqual(taken.samples.map((s) => [s.name[0], s.labels.find(([k]) => k === 'quantile')?.[1], s.value]), [['s_count', undefined, 4], ['s_sum', undefined, 8], ['s', '0.99', 3]]);
  const refused = decodeOtlp(encode(metrics), 'proto', parseConfigSchema.parse({ format: 'otlp-proto', histograms: 'refuse' }));
  assert.ok(refused.ok && refused.samples.length === 0 && refused.refusals[0]!.reason === 'unsupported_metric');
});

test('whole-message refusals: garbage, truncated protobuf, wrong JSON types, empty requests; never a throw', async () => {
  const good = ProtobufMetricsSerializer.serializeRequest(await sdkMetrics())!;
  let truncatedRefused = 0;
  for (let n = 1; n < good.length; n += 7) {
    const r = decodeOtlp(good.subarray(0, n), 'proto', config);
    if (!r.ok) {
      truncatedRefused++;
      assert.ok(['malformed_protobuf', 'missing_value'].includes(r.reason), r.reason);
    }
  }
  assert.ok(truncatedRefused > 0);
  const json = parseConfigSchema.parse({ format: 'otlp-json' });
  assert.equal((decodeOtlp(Buffer.from('{"resourceMetrics":{}}'), 'json', json) as { reason: string }).reason, 'malformed_json');
  assert.equal((decodeOtlp(Buffer.from('[1]'), 'json', json) as { reason: string }).reason, 'not_an_object');
  assert.equal((decodeOtlp(Buffer.from('{}'), 'json', json) as { reason: string }).reason, 'missing_value');
  const wrong = decodeOtlp(Buffer.from(JSON.stringify({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'x', gauge: { dataPoints: [{ timeUnixNano: 'soon', asDouble: 'high' }] } }] }] }] })), 'json', json);
  assert.ok(wrong.ok && wrong.samples.length === 0 && wrong.refusals.length === 1, JSON.stringify(wrong));
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const r = decodeOtlp(bytes, 'proto', config);
      if (r.ok) for (const s of r.samples) assert.ok(Number.isFinite(s.value) && Number.isFinite(s.timestampMs));
    }),
    { numRuns: 3000 },
  );
});
