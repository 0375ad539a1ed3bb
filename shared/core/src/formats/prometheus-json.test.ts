import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigSchema } from '../config/ingest-config';
import { decodePrometheusJson } from './prometheus-json';

const config = parseConfigSchema.parse({ format: 'prometheus-json' });
const decode = (doc: unknown) => decodePrometheusJson(Buffer.from(typeof doc === 'string' ? doc : JSON.stringify(doc)), config);

test("prometheus-kafka-adapter's shape: RFC 3339 seconds, the value as Go formats it, __name__ not a label", () => {
  const r = decode({ timestamp: '2024-01-01T00:00:10Z', value: '0.25', name: 'node_cpu_seconds_total', labels: { __name__: 'node_cpu_seconds_total', cpu: '0', mode: 'idle', instance: 'h:9100' } });
  assert.ok(r.ok);
  assert.deepEqual(r.samples.map((s) => ({ name: s.name, labels: s.labels, ts: s.timestampMs, value: s.value, kind: s.kind })), [
    { name: ['node_cpu_seconds_total'], labels: [['cpu', '0'], ['mode', 'idle'], ['instance', 'h:9100']], ts: Date.UTC(2024, 0, 1, 0, 0, 10), value: 0.25, kind: 'counter' },
  ]);
  const gauge = decode({ timestamp: 1704067200000, value: 3, labels: { __name__: 'up' } });
  assert.ok(gauge.ok && gauge.samples[0]!.kind === 'gauge' && gauge.samples[0]!.name[0] === 'up', 'epoch ms and a numeric value are read too; the name may be only __name__');
});

test('refusals: NaN, +Inf and stale markers are non-finite; text that is not a number, bad labels, no name, bad time', () => {
  const reason = (doc: unknown) => {
    const r = decode(doc);
    return r.ok ? r.refusals.map((x) => x.reason).join() : r.reason;
  };
  const base = { timestamp: '2024-01-01T00:00:00Z', name: 'up', labels: {} };
  assert.equal(reason({ ...base, value: 'NaN' }), 'non_finite_value');
  assert.equal(reason({ ...base, value: '+Inf' }), 'non_finite_value');
  assert.equal(reason({ ...base, value: 'high' }), 'missing_value');
  assert.equal(reason({ ...base, value: null }), 'missing_value');
  assert.equal(reason({ ...base, value: '1', labels: { job: 1 } }), 'bad_series');
  assert.equal(reason({ ...base, value: '1', name: undefined }), 'missing_series');
  assert.equal(reason({ ...base, value: '1', timestamp: 'yesterday' }), 'bad_timestamp');
  assert.equal(reason('{"value":'), 'malformed_json');
  assert.equal(reason('7'), 'not_an_object');
});

test('an array of samples is many points: each refused alone, the rest kept', () => {
  const r = decode([{ timestamp: 1, value: '1', name: 'a' }, { timestamp: 1, value: 'x', name: 'b' }, 5, { timestamp: 2, value: '2', name: 'c' }]);
  assert.ok(r.ok);
  assert.deepEqual(r.samples.map((s) => [s.index, s.name[0]]), [[0, 'a'], [3, 'c']]);
  assert.deepEqual(r.refusals.map((x) => [x.index, x.reason, x.text]), [[1, 'missing_value', '{"timestamp":1,"value":"x","name":"b"}'], [2, 'not_an_object', '5']]);
});
