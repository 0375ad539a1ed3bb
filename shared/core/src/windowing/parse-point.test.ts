import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseConfigSchema } from '../config/ingest-config';
import { REJECT_REASONS } from '../contracts/dead-letter';
import { parsePoint } from './parse-point';

const config = parseConfigSchema.parse({});
const bytes = (s: string) => new TextEncoder().encode(s);
const parse = (doc: unknown, key: string | null = null, c = config) => parsePoint(bytes(JSON.stringify(doc)), key === null ? null : bytes(key), c);

test('the default shape: series, ts in ms, s or ISO-8601, value or values', () => {
  const ms = Date.UTC(2024, 0, 2, 3, 4, 5);
  for (const ts of [ms, ms / 1000, String(ms), '2024-01-02T03:04:05Z', '2024-01-02T05:04:05+02:00']) {
    assert.deepEqual(parse({ series: 'a', ts, value: 1.5 }), { ok: true, point: { series: 'a', timestampMs: ms, channels: ['value'], values: [1.5] } }, String(ts));
  }
  assert.deepEqual(parse({ ts: ms, values: { rx: 2, cpu: 1 } }, 'from-key'), { ok: true, point: { series: 'from-key', timestampMs: ms, channels: ['cpu', 'rx'], values: [1, 2] } });
});

test('a zone-less timestamp is UTC by default, or a wall-clock time in parse.timezone (Kafka ingest and hourglass run share this)', () => {
  const ms = Date.UTC(2014, 6, 1);
  for (const ts of ['2014-07-01 00:00:00', '2014-07-01T00:00:00', '2014-07-01']) {
    assert.deepEqual(parse({ series: 'a', ts, value: 1 }), { ok: true, point: { series: 'a', timestampMs: ms, channels: ['value'], values: [1] } }, ts);
  }
  const berlin = parseConfigSchema.parse({ timezone: 'Europe/Berlin' });
  const inBerlin = parse({ series: 'a', ts: '2014-07-01 00:00:00', value: 1 }, null, berlin);
  assert.ok(inBerlin.ok && inBerlin.point.timestampMs === ms - 2 * 3_600_000, 'CEST is UTC+2');
  const zoned = parse({ series: 'a', ts: '2014-07-01T00:00:00Z', value: 1 }, null, berlin);
  assert.ok(zoned.ok && zoned.point.timestampMs === ms, 'an explicit zone wins');
  assert.throws(() => parseConfigSchema.parse({ timezone: 'Mars/Olympus' }), /not a time zone/);
});

test('configurable dotted field paths and timestamp unit', () => {
  const custom = parseConfigSchema.parse({ seriesField: 'meta.host', timestampField: 'time', valueField: 'm.v', timestampUnit: 'ms' });
  assert.deepEqual(parse({ meta: { host: 'h1' }, time: 5, m: { v: 3 } }, null, custom), { ok: true, point: { series: 'h1', timestampMs: 5, channels: ['value'], values: [3] } });
});

test('every kind of bad message is refused with its reason', () => {
  const reason = (value: string | null, key: string | null = null, c = config) => {
    const r = parsePoint(value === null ? null : bytes(value), key === null ? null : bytes(key), c);
    return r.ok ? 'ok' : r.reason;
  };
  assert.equal(reason('{"series":"a","ts":1,'), 'malformed_json');
  assert.equal(reason(null), 'malformed_json');
  assert.equal(reason('[1,2]'), 'not_an_object');
  assert.equal(reason('{"ts":1,"value":1}'), 'missing_series');
  assert.equal(reason('{"series":7,"ts":1,"value":1}'), 'bad_series');
  assert.equal(reason('{"series":"a","value":1}'), 'bad_timestamp');
  assert.equal(reason('{"series":"a","ts":"yesterday","value":1}'), 'bad_timestamp');
  assert.equal(reason('{"series":"a","ts":"2024-02-30 03:04:05","value":1}'), 'bad_timestamp');
  assert.equal(reason('{"series":"a","ts":1e300,"value":1}'), 'bad_timestamp');
  assert.equal(reason('{"series":"a","ts":1}'), 'missing_value');
  assert.equal(reason('{"series":"a","ts":1,"value":"1"}'), 'missing_value');
  assert.equal(reason('{"series":"a","ts":1,"value":1e999}'), 'non_finite_value');
  assert.equal(reason('{"series":"a","ts":1,"values":{"x":null}}'), 'missing_value');
  assert.equal(reason('{"series":"a","ts":1,"values":{}}'), 'missing_value');
  assert.equal(reason(`{"series":"a","ts":1,"value":1,"pad":"${'x'.repeat(100)}"}`, null, parseConfigSchema.parse({ maxMessageBytes: 64 })), 'oversize');
  assert.equal(parsePoint(Uint8Array.from([0xff, 0xfe, 0x7b]), null, config).ok, false);
});

test('fuzz: arbitrary bytes and arbitrary JSON never throw, and every refusal names a known reason', () => {
  const known = new Set<string>(REJECT_REASONS);
  const check = (value: Uint8Array, key: Uint8Array | null) => {
    const result = parsePoint(value, key, config);
    if (!result.ok) assert.ok(known.has(result.reason) && result.detail.length > 0);
    else assert.ok(Number.isFinite(result.point.timestampMs) && result.point.values.every(Number.isFinite) && result.point.series.length > 0);
  };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.option(fc.uint8Array({ maxLength: 20 })), check), { numRuns: 2000 });
  const doc = fc.record(
    { series: fc.oneof(fc.string(), fc.integer(), fc.constant(null)), ts: fc.oneof(fc.double(), fc.string(), fc.date().map((d) => (Number.isNaN(d.getTime()) ? 'x' : d.toISOString()))), value: fc.oneof(fc.double(), fc.string(), fc.constant(null)), values: fc.dictionary(fc.string(), fc.oneof(fc.double(), fc.string())) },
    { requiredKeys: [] },
  );
  fc.assert(fc.property(fc.oneof(doc, fc.jsonValue()), fc.option(fc.string()), (d, k) => check(bytes(JSON.stringify(d) ?? 'null'), k === null ? null : bytes(k))), { numRuns: 2000 });
});
