import type { ParseConfig } from '../config/ingest-config';
import { parseTimestampText } from '../windowing/timestamp';
import { checkValue, MAX_POINT_TEXT, type DecodedMessage, type PointRefusal, type Sample } from './sample';
import type { Labels } from './series-id';

/**
 * prometheus-kafka-adapter's JSON serialisation of remote-write samples, one per message:
 * `{"timestamp":"2024-01-01T00:00:00Z","value":"1.5","name":"up","labels":{"__name__":"up","job":"a"}}`.
 * `value` is a string (Go's FormatFloat, so `NaN`, `+Inf` and stale markers are refused as
 * non-finite) or a number; `timestamp` RFC 3339 text or epoch ms; the name is `name`, else the
 * `__name__` label, which never becomes a label of the id. A JSON array of such objects is read as
 * that many points. Names ending in `_total`, `_count`, `_sum` or `_bucket` are counters.
 */
export function decodePrometheusJson(value: Uint8Array | null, config: ParseConfig): DecodedMessage {
  if (value === null || value.byteLength === 0) return { ok: false, reason: 'malformed_json', detail: 'empty message (tombstone)' };
  if (value.byteLength > config.maxMessageBytes) return { ok: false, reason: 'oversize', detail: `${value.byteLength} bytes > maxMessageBytes ${config.maxMessageBytes}` };
  let doc: unknown;
  try {
    doc = JSON.parse(utf8.decode(value));
  } catch (error) {
    return { ok: false, reason: 'malformed_json', detail: error instanceof SyntaxError ? error.message.slice(0, 200) : 'not UTF-8' };
  }
  const many = Array.isArray(doc);
  const items: unknown[] = many ? (doc as unknown[]) : [doc];
  if (!many && (typeof doc !== 'object' || doc === null)) return { ok: false, reason: 'not_an_object', detail: `JSON ${typeof doc}, expected a sample object or an array of them` };
  if (items.length === 0) return { ok: false, reason: 'missing_value', detail: 'an empty array holds no samples' };
  const samples: Sample[] = [];
  const refusals: PointRefusal[] = [];
  items.forEach((item, index) => {
    const text = () => (many ? JSON.stringify(item).slice(0, MAX_POINT_TEXT) : utf8.decode(value).slice(0, MAX_POINT_TEXT));
    const s = readSample(item, index, text, config);
    if ('reason' in s) refusals.push({ index, reason: s.reason, detail: s.detail, text: text() });
    else samples.push(s);
  });
  return { ok: true, samples, refusals };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const MAX_TIME_MS = 8.64e15;
const COUNTER_SUFFIX = /_(total|count|sum|bucket)$/;

function readSample(item: unknown, index: number, text: () => string, config: ParseConfig): Sample | Pick<PointRefusal, 'reason' | 'detail'> {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return { reason: 'not_an_object', detail: 'a sample is not a JSON object' };
  const doc = item as Record<string, unknown>;
  const rawLabels = doc.labels ?? {};
  if (typeof rawLabels !== 'object' || rawLabels === null || Array.isArray(rawLabels)) return { reason: 'bad_series', detail: "'labels' is not an object of strings" };
  const labels: [string, string][] = [];
  let labelName: unknown;
  for (const [k, v] of Object.entries(rawLabels as Record<string, unknown>)) {
    if (typeof v !== 'string') return { reason: 'bad_series', detail: `label '${k.slice(0, 64)}' is a ${v === null ? 'null' : typeof v}, expected a string` };
    if (k === '__name__') labelName = v;
    else labels.push([k, v]);
  }
  const name = doc.name ?? labelName;
  if (typeof name !== 'string' || name.length === 0) return { reason: 'missing_series', detail: "no 'name' (and no __name__ label)" };
  let timestampMs: number | undefined;
  if (typeof doc.timestamp === 'number') timestampMs = doc.timestamp;
  else if (typeof doc.timestamp === 'string') timestampMs = /^-?\d+$/.test(doc.timestamp) ? Number(doc.timestamp) : parseTimestampText(doc.timestamp, config.timezone);
  if (timestampMs === undefined || !Number.isFinite(timestampMs) || Math.abs(timestampMs) > MAX_TIME_MS) return { reason: 'bad_timestamp', detail: "'timestamp' is not RFC 3339 text or epoch ms" };
  const raw = doc.value;
  const v = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
  if (typeof raw !== 'number' && typeof raw !== 'string') return { reason: 'missing_value', detail: `'value' is a ${raw === null ? 'null' : typeof raw}, expected a number or its text` };
  if (Number.isNaN(v) && typeof raw === 'string' && !/^[+-]?(nan|inf(inity)?)$/i.test(raw.trim())) return { reason: 'missing_value', detail: `'value' ${JSON.stringify(raw).slice(0, 40)} is not a number` };
  if (checkValue(v)) return { reason: 'non_finite_value', detail: `'value' ${JSON.stringify(raw).slice(0, 40)} is not finite as a 32-bit float (windows hold float32)` };
  const kind = COUNTER_SUFFIX.test(name) ? 'counter' : 'gauge';
  return { name: [name], labels: labels as Labels, timestampMs, value: v, kind, startMs: 0, index, text, endsLine: false };
}
