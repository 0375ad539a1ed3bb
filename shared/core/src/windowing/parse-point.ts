import type { ParseConfig } from '../config/ingest-config';
import type { RejectReason } from '../contracts/dead-letter';
import type { Point } from '../contracts/point';
import { parseTimestampText } from './timestamp';

/** The parser's answer: a point, or a rejection with its reason and a short detail for the dead letter. */
export type ParseResult = { readonly ok: true; readonly point: Point } | { readonly ok: false; readonly reason: RejectReason; readonly detail: string };

/** Timestamps outside ±8.64e15 ms are not dates (ECMAScript's own range). */
const MAX_TIME_MS = 8.64e15;
/** `auto`: numbers below this magnitude are epoch seconds (that is until year 5138), others epoch ms. */
const SECONDS_BELOW = 1e11;
const DECIMAL = /^-?\d+(\.\d+)?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

const fail = (reason: RejectReason, detail: string): ParseResult => ({ ok: false, reason, detail });

/**
 * Parses one input message into a Point, never throwing: every way a message can be bad maps to a
 * RejectReason. `key` is the message key, the fallback series id.
 */
export function parsePoint(value: Uint8Array | null, key: Uint8Array | null, config: ParseConfig): ParseResult {
  if (value === null || value.byteLength === 0) return fail('malformed_json', 'empty message (tombstone)');
  if (value.byteLength > config.maxMessageBytes) return fail('oversize', `${value.byteLength} bytes > maxMessageBytes ${config.maxMessageBytes}`);
  let doc: unknown;
  try {
    doc = JSON.parse(utf8.decode(value));
  } catch (error) {
    return fail('malformed_json', error instanceof SyntaxError ? error.message.slice(0, 200) : 'not UTF-8');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return fail('not_an_object', `JSON ${Array.isArray(doc) ? 'array' : typeof doc}, expected an object`);

  const series = readSeries(doc, key, config);
  if (typeof series !== 'string') return series;
  const timestampMs = readTimestamp(lookup(doc, config.timestampField), config);
  if (typeof timestampMs !== 'number') return timestampMs;

  const multi = lookup(doc, config.valuesField);
  if (multi !== undefined) return readValues(multi, series, timestampMs, config);
  const single = lookup(doc, config.valueField);
  if (single === undefined || single === null) return fail('missing_value', `no '${config.valueField}' or '${config.valuesField}' field`);
  if (typeof single !== 'number') return fail('missing_value', `'${config.valueField}' is a ${typeof single}, expected a number`);
  if (!Number.isFinite(Math.fround(single))) return fail('non_finite_value', `'${config.valueField}' is not finite as a 32-bit float (windows hold float32)`);
  return { ok: true, point: { series, timestampMs, channels: ['value'], values: [single] } };
}

function readSeries(doc: object, key: Uint8Array | null, config: ParseConfig): string | ParseResult {
  const field = lookup(doc, config.seriesField);
  let series: string;
  if (field === undefined || field === null) {
    if (key === null || key.byteLength === 0) return fail('missing_series', `no '${config.seriesField}' field and no message key`);
    try {
      series = utf8.decode(key);
    } catch {
      return fail('bad_series', 'message key is not UTF-8');
    }
  } else if (typeof field === 'string') {
    series = field;
  } else {
    return fail('bad_series', `'${config.seriesField}' is a ${typeof field}, expected a string`);
  }
  if (series.length === 0) return fail('missing_series', 'empty series id');
  if (Buffer.byteLength(series) > config.maxSeriesBytes) return fail('bad_series', `series id longer than ${config.maxSeriesBytes} bytes`);
  return series;
}

/**
 * Epoch ms from a number (ms or s per timestampUnit), a decimal string (the same), or an ISO-8601
 * text; one without a zone is a wall-clock time in `config.timezone` (see ./timestamp).
 */
function readTimestamp(raw: unknown, config: ParseConfig): number | ParseResult {
  let ms: number | undefined;
  if (raw === undefined || raw === null) return fail('bad_timestamp', `no '${config.timestampField}' field`);
  if (typeof raw === 'number' || (typeof raw === 'string' && DECIMAL.test(raw))) {
    const n = Number(raw);
    const seconds = config.timestampUnit === 's' || (config.timestampUnit === 'auto' && Math.abs(n) < SECONDS_BELOW);
    ms = seconds ? n * 1000 : n;
  } else if (typeof raw === 'string') {
    ms = parseTimestampText(raw, config.timezone);
  }
  // Short, since every dead letter carries it; TIMESTAMP_FORMATS spells out the accepted forms.
  if (ms === undefined) return fail('bad_timestamp', `'${config.timestampField}' is not epoch ms/s or an ISO-8601 date or date-time`);
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_TIME_MS) return fail('bad_timestamp', `'${config.timestampField}' is out of range`);
  return ms;
}

function readValues(raw: unknown, series: string, timestampMs: number, config: ParseConfig): ParseResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('missing_value', `'${config.valuesField}' is not an object of named numbers`);
  const channels = Object.keys(raw).sort();
  if (channels.length === 0) return fail('missing_value', `'${config.valuesField}' is empty`);
  if (channels.length > config.maxChannels) return fail('oversize', `${channels.length} channels > maxChannels ${config.maxChannels}`);
  const values: number[] = [];
  for (const channel of channels) {
    if (channel.length === 0 || Buffer.byteLength(channel) > 255) return fail('unknown_channel', 'channel names must be 1 to 255 bytes');
    const v = (raw as Record<string, unknown>)[channel];
    if (typeof v !== 'number') return fail('missing_value', `channel '${channel.slice(0, 64)}' is a ${v === null ? 'null' : typeof v}, expected a number`);
    if (!Number.isFinite(Math.fround(v))) return fail('non_finite_value', `channel '${channel.slice(0, 64)}' is not finite as a 32-bit float (windows hold float32)`);
    values.push(v);
  }
  return { ok: true, point: { series, timestampMs, channels, values } };
}

/** Follows a dotted path (`meta.host`) through nested objects; a literal key containing dots wins. */
function lookup(doc: object, path: string): unknown {
  const record = doc as Record<string, unknown>;
  if (Object.prototype.hasOwnProperty.call(record, path)) return record[path];
  let node: unknown = doc;
  for (const part of path.split('.')) {
    if (typeof node !== 'object' || node === null || Array.isArray(node) || !Object.prototype.hasOwnProperty.call(node, part)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}
