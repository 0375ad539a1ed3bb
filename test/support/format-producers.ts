import { Point } from '@influxdata/influxdb-client';
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';

/**
 * Messages of the metric formats as their real producers write them, for the format tests, the
 * ingest benchmark and the fuzzing. No Telegraf, OpenTelemetry Collector or prometheus-kafka-adapter
 * binary can be had on these machines (no downloads but the package registries, and the Collector
 * takes far longer than a test to build from Go modules on two cores), so:
 * - Influx line protocol: `@influxdata/influxdb-client`'s `Point.toLineProtocol()`, InfluxData's own
 *   line-protocol writer (the same escaping as Telegraf's serializer);
 * - OTLP: the OpenTelemetry JS SDK (`@opentelemetry/sdk-metrics`) records real instruments, and its
 *   OTLP exporters' serializers (`@opentelemetry/otlp-transformer`'s ProtobufMetricsSerializer and
 *   JsonMetricsSerializer) encode the ExportMetricsServiceRequest; only the data points' times and
 *   values are set, so that the windows are known exactly;
 * - prometheus-kafka-adapter: no library encodes its JSON, so the messages are written in the shape
 *   its serializer produces (Go's json.Marshal of a map: sorted keys; `timestamp` RFC 3339 in
 *   seconds; `value` strconv.FormatFloat(v, 'f', -1, 64); labels with `__name__`), one sample each.
 */

export const FORMAT_BASE_MS = Date.UTC(2024, 0, 1);
export const FORMAT_INTERVAL_MS = 1000;
const at = (step: number) => FORMAT_BASE_MS + step * FORMAT_INTERVAL_MS;

/** Telegraf's `cpu` input for host `h<host>` at `step`, through influxdb-client's Point (ns timestamps). */
export function influxCpuLine(host: number, step: number): string {
  return new Point('cpu')
    .tag('cpu', 'cpu-total')
    .tag('host', `h${host}`)
    .floatField('usage_user', userAt(host, step))
    .floatField('usage_system', systemAt(host, step))
    .timestamp(`${BigInt(at(step)) * 1_000_000n}`)
    .toLineProtocol()!;
}

export const userAt = (host: number, step: number) => host * 10 + (step % 7) + 0.5;
export const systemAt = (host: number, step: number) => host * 10 + (step % 3) + 0.25;

/** One prometheus-kafka-adapter message: one sample, in its serializer's JSON shape. */
export function prometheusAdapterMessage(name: string, labels: Record<string, string>, step: number, value: number): string {
  const sortedLabels = Object.fromEntries(Object.entries({ ...labels, __name__: name }).sort(([a], [b]) => (a < b ? -1 : 1)));
  const formatted = Number.isNaN(value) ? 'NaN' : value === Infinity ? '+Inf' : value === -Infinity ? '-Inf' : String(value);
  return JSON.stringify({ labels: sortedLabels, name, timestamp: new Date(at(step)).toISOString().replace(/\.\d{3}Z$/, 'Z'), value: formatted });
}

/** node_exporter's idle and user CPU seconds of cpu `c` at `step` (counters: 0.75/s and 0.25/s). */
export const idleSeconds = (c: number, step: number) => 1000 * c + 0.75 * step;
export const userSeconds = (c: number, step: number) => 1000 * c + 0.25 * step;

/** A reader that hands over what the SDK collected, as an exporter gets it. */
class CollectingReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/**
 * A real SDK collection of an `api` service with `instances` instances' worth of attributes: a
 * counter `http.server.requests` (by route), an observable gauge `process.cpu.utilization`, and a
 * histogram `http.server.duration`. Returns a function that re-times it at `step` with known values.
 */
export async function otlpTemplate(instances = 1): Promise<(step: number) => ResourceMetrics> {
  const reader = new CollectingReader();
  const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 'api', 'host.name': 'node-1' }), readers: [reader] });
  const meter = provider.getMeter('hourglass-format-test', '1.0.0');
  const requests = meter.createCounter('http.server.requests');
  const duration = meter.createHistogram('http.server.duration', { unit: 'ms' });
  for (let i = 0; i < instances; i++) {
    requests.add(1, { route: `/r${i}` });
    duration.record(10, { route: `/r${i}` });
  }
  meter.createObservableGauge('process.cpu.utilization').addCallback((r) => {
    for (let i = 0; i < instances; i++) r.observe(0.5, { route: `/r${i}` });
  });
  const { resourceMetrics } = await reader.collect();
  await provider.shutdown();
  return (step: number) => {
    const copy = structuredClone(resourceMetrics) as ResourceMetrics;
    (copy as { resource: unknown }).resource = resourceMetrics.resource; // keeps its methods
    const end: [number, number] = [Math.floor(at(step) / 1000), (at(step) % 1000) * 1_000_000];
    const start: [number, number] = [Math.floor(FORMAT_BASE_MS / 1000) - 60, 0];
    for (const sm of copy.scopeMetrics) {
      for (const m of sm.metrics) {
        for (const dp of m.dataPoints as { attributes: Record<string, string>; startTime: [number, number]; endTime: [number, number]; value: unknown }[]) {
          const i = Number(String(dp.attributes.route).slice(2));
          dp.startTime = start;
          dp.endTime = end;
          if (m.descriptor.name === 'http.server.requests') dp.value = requestsAt(i, step);
          else if (m.descriptor.name === 'process.cpu.utilization') dp.value = utilizationAt(i, step);
          else dp.value = { ...(dp.value as object), count: 2 * step + 2, sum: 30 * step + 30, min: 10, max: 20 };
        }
      }
    }
    return copy;
  };
}

/** Cumulative requests of route `/r<i>`: 3 per second. */
export const requestsAt = (i: number, step: number) => 100 * i + 3 * step;
export const utilizationAt = (i: number, step: number) => ((i + step) % 10) / 10;

export const otlpProto = (rm: ResourceMetrics): Uint8Array => ProtobufMetricsSerializer.serializeRequest(rm)!;
export const otlpJson = (rm: ResourceMetrics): Uint8Array => JsonMetricsSerializer.serializeRequest(rm)!;
