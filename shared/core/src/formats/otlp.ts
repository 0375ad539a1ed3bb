import { opentelemetry } from '@hourglass/otlp-proto';
import type { ParseConfig } from '../config/ingest-config';
import type { RejectReason } from '../contracts/dead-letter';
import { checkValue, MAX_POINT_TEXT, type DecodedMessage, type PointRefusal, type Sample } from './sample';

/**
 * OTLP metrics, one `ExportMetricsServiceRequest` per message (what the OpenTelemetry Collector's
 * Kafka exporter writes): `otlp-proto` is its protobuf encoding, `otlp-json` the OTLP/JSON one.
 * Both decode through the code generated from the official schema (@hourglass/otlp-proto), so one
 * extraction reads them. Labels are the resource's attributes with the data point's over them (the
 * scope is not part of the id). Gauges are taken as they are; sums that are monotonic are counters
 * (cumulative) or increases (delta), non-monotonic ones gauges; histograms, exponential histograms
 * and summaries give `NAME_count` and `NAME_sum` (counters), summaries also the configured
 * `quantiles` as `NAME{quantile="q"}` gauges, unless `histograms: refuse`.
 */
export function decodeOtlp(value: Uint8Array | null, encoding: 'proto' | 'json', config: ParseConfig): DecodedMessage {
  if (value === null || value.byteLength === 0) return { ok: false, reason: encoding === 'proto' ? 'malformed_protobuf' : 'malformed_json', detail: 'empty message (tombstone)' };
  if (value.byteLength > config.maxMessageBytes) return { ok: false, reason: 'oversize', detail: `${value.byteLength} bytes > maxMessageBytes ${config.maxMessageBytes}` };
  let request: Request;
  if (encoding === 'proto') {
    try {
      request = Request.decode(value);
    } catch (error) {
      return { ok: false, reason: 'malformed_protobuf', detail: `not an ExportMetricsServiceRequest: ${error instanceof Error ? error.message.slice(0, 160) : 'undecodable'}` };
    }
  } else {
    let doc: unknown;
    try {
      doc = JSON.parse(utf8.decode(value));
    } catch (error) {
      return { ok: false, reason: 'malformed_json', detail: error instanceof SyntaxError ? error.message.slice(0, 200) : 'not UTF-8' };
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return { ok: false, reason: 'not_an_object', detail: 'expected an ExportMetricsServiceRequest object' };
    try {
      request = Request.fromObject(doc);
    } catch (error) {
      return { ok: false, reason: 'malformed_json', detail: `not an ExportMetricsServiceRequest: ${error instanceof Error ? error.message.slice(0, 160) : 'wrong types'}` };
    }
  }
  const out = new Extraction(config);
  try {
    for (const rm of request.resourceMetrics ?? []) {
      const resource = attributes(rm.resource?.attributes);
      for (const sm of rm.scopeMetrics ?? []) for (const metric of sm.metrics ?? []) out.metric(metric as Metric, resource);
    }
  } catch (error) {
    // Only a hostile message gets here (a structure the schema allows but no exporter writes, e.g. deep kvlists).
    return { ok: false, reason: encoding === 'proto' ? 'malformed_protobuf' : 'malformed_json', detail: `unreadable metrics: ${error instanceof Error ? error.message.slice(0, 160) : 'error'}` };
  }
  if (out.samples.length === 0 && out.refusals.length === 0) return { ok: false, reason: 'missing_value', detail: 'the request holds no data points' };
  return { ok: true, samples: out.samples, refusals: out.refusals };
}

const Request = opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
type Request = opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
type Metric = opentelemetry.proto.metrics.v1.Metric;
type KeyValue = opentelemetry.proto.common.v1.KeyValue.$Properties;
type AnyValue = opentelemetry.proto.common.v1.AnyValue.$Properties;
const DELTA = opentelemetry.proto.metrics.v1.AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA;
const NO_RECORDED_VALUE = opentelemetry.proto.metrics.v1.DataPointFlags.DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK;
const utf8 = new TextDecoder('utf-8', { fatal: true });
const MAX_TIME_MS = 8.64e15;
/** Deepest array/kvlist nesting rendered into a label value. */
const MAX_ANY_DEPTH = 8;

interface PointLike {
  attributes?: KeyValue[] | null;
  startTimeUnixNano?: unknown;
  timeUnixNano?: unknown;
  flags?: number | null;
}

/** A 64-bit field as a number: protobufjs gives numbers, or Long objects where `long` is loaded. */
function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'object' && v !== null && typeof (v as { toNumber?: unknown }).toNumber === 'function') return (v as { toNumber(): number }).toNumber();
  if (typeof v === 'string') return Number(v);
  return v === undefined || v === null ? 0 : Number.NaN;
}

function attributes(list: readonly KeyValue[] | null | undefined): [string, string][] {
  const out: [string, string][] = [];
  for (const kv of list ?? []) if (kv.key) out.push([kv.key, anyText(kv.value, 0)]);
  return out;
}

/** An attribute value as label text: strings as they are, numbers and booleans as JSON, arrays and kvlists as JSON. */
function anyText(v: AnyValue | null | undefined, depth: number): string {
  if (!v) return '';
  if (typeof v.stringValue === 'string') return v.stringValue;
  if (typeof v.boolValue === 'boolean') return String(v.boolValue);
  if (v.intValue !== undefined && v.intValue !== null) return String(num(v.intValue));
  if (typeof v.doubleValue === 'number') return String(v.doubleValue);
  if (depth >= MAX_ANY_DEPTH) return '…';
  if (v.arrayValue) return `[${(v.arrayValue.values ?? []).map((x) => JSON.stringify(anyText(x, depth + 1))).join(',')}]`;
  if (v.kvlistValue) return `{${(v.kvlistValue.values ?? []).map((kv) => `${JSON.stringify(kv.key ?? '')}:${JSON.stringify(anyText(kv.value, depth + 1))}`).join(',')}}`;
  if (v.bytesValue) return Buffer.from(v.bytesValue).toString('base64');
  return '';
}

/** Walks one request's metrics into samples and refusals, numbering the points in reading order. */
class Extraction {
  readonly samples: Sample[] = [];
  readonly refusals: PointRefusal[] = [];
  private index = 0;

  constructor(private readonly config: ParseConfig) {}

  metric(m: Metric, resource: readonly [string, string][]): void {
    const name = m.name ?? '';
    const refuseAll = (points: readonly PointLike[] | null | undefined, reason: RejectReason, detail: string) => {
      for (const p of points?.length ? points : [{}]) this.refuse(reason, detail, name, resource, p, undefined);
    };
    if (m.gauge) return this.numbers(name, m.gauge.dataPoints, 'gauge', resource);
    if (m.sum) return this.numbers(name, m.sum.dataPoints, m.sum.isMonotonic ? (m.sum.aggregationTemporality === DELTA ? 'delta' : 'counter') : 'gauge', resource);
    const histogram = m.histogram ?? m.exponentialHistogram;
    const summary = m.summary;
    if ((histogram || summary) && this.config.histograms === 'refuse') {
      return refuseAll((histogram ?? summary)!.dataPoints as PointLike[], 'unsupported_metric', `${histogram ? 'histogram' : 'summary'} '${name.slice(0, 64)}' refused (parse.histograms: refuse)`);
    }
    if (histogram) {
      const kind = histogram.aggregationTemporality === DELTA ? 'delta' : 'counter';
      for (const p of histogram.dataPoints ?? []) {
        this.one(`${name}_count`, p, num(p.count), kind, resource);
        if (p.sum !== undefined && p.sum !== null) this.one(`${name}_sum`, p, p.sum, kind, resource);
      }
      return;
    }
    if (summary) {
      for (const p of summary.dataPoints ?? []) {
        this.one(`${name}_count`, p, num(p.count), 'counter', resource);
        this.one(`${name}_sum`, p, p.sum ?? 0, 'counter', resource);
        for (const q of this.config.quantiles) {
          const found = (p.quantileValues ?? []).find((x) => (x.quantile ?? 0) === q);
          if (found) this.one(name, p, found.value ?? 0, 'gauge', resource, ['quantile', String(q)]);
        }
      }
      return;
    }
    refuseAll([], 'unsupported_metric', `metric '${name.slice(0, 64)}' has no gauge, sum, histogram or summary data`);
  }

  private numbers(name: string, points: readonly opentelemetry.proto.metrics.v1.NumberDataPoint.$Properties[] | null | undefined, kind: Sample['kind'], resource: readonly [string, string][]): void {
    for (const p of points ?? []) {
      const which = (p as { value?: string }).value;
      if (which === 'asDouble') this.one(name, p, p.asDouble as number, kind, resource);
      else if (which === 'asInt') this.one(name, p, num(p.asInt), kind, resource);
      else if (typeof p.asDouble === 'number') this.one(name, p, p.asDouble, kind, resource);
      else if (p.asInt !== undefined && p.asInt !== null) this.one(name, p, num(p.asInt), kind, resource);
      else this.refuse('missing_value', `data point of '${name.slice(0, 64)}' has no value`, name, resource, p, undefined);
    }
  }

  private one(name: string, p: PointLike, value: number, kind: Sample['kind'], resource: readonly [string, string][], extra?: [string, string]): void {
    if (!name) return this.refuse('missing_series', 'metric without a name', name, resource, p, value);
    if (((p.flags ?? 0) & NO_RECORDED_VALUE) !== 0) return this.refuse('missing_value', `data point of '${name.slice(0, 64)}' has no recorded value (flag)`, name, resource, p, value);
    const timeNs = num(p.timeUnixNano);
    const timestampMs = timeNs / 1e6;
    if (!(timeNs > 0) || !Number.isFinite(timestampMs) || timestampMs > MAX_TIME_MS) return this.refuse('bad_timestamp', `data point of '${name.slice(0, 64)}' has no time_unix_nano`, name, resource, p, value);
    if (typeof value !== 'number' || checkValue(value)) return this.refuse('non_finite_value', `data point of '${name.slice(0, 64)}' is not finite as a 32-bit float (windows hold float32)`, name, resource, p, value);
    const labels = [...resource, ...attributes(p.attributes)];
    if (extra) labels.push(extra);
    const startMs = num(p.startTimeUnixNano) / 1e6;
    this.samples.push({ name: [name], labels, timestampMs, value, kind, startMs: Number.isFinite(startMs) ? startMs : 0, index: this.index++, text: () => pointText(name, labels, p, value), endsLine: false });
  }

  private refuse(reason: RejectReason, detail: string, name: string, resource: readonly [string, string][], p: PointLike, value: number | undefined): void {
    const labels = [...resource, ...attributes(p.attributes)];
    this.refusals.push({ index: this.index++, reason, detail, text: pointText(name, labels, p, value) });
  }
}

/** A refused or windowed-then-refused OTLP point as JSON text for its dead letter. */
function pointText(name: string, labels: readonly [string, string][], p: PointLike, value: number | undefined): string {
  const v = value === undefined || Number.isFinite(value) ? value : String(value);
  return JSON.stringify({ metric: name, labels: Object.fromEntries(labels), timeUnixNano: String(num(p.timeUnixNano)), value: v }).slice(0, MAX_POINT_TEXT);
}
