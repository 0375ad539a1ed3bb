import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Point } from '@influxdata/influxdb-client';
import { parseConfigSchema } from '../config/ingest-config';
import { decodeInflux } from './influx';

const config = parseConfigSchema.parse({ format: 'influx' });
const bytes = (s: string) => Buffer.from(s);
const decode = (s: string, c = config) => decodeInflux(bytes(s), c);
const ok = (s: string, c = config) => {
  const r = decode(s, c);
  assert.ok(r.ok, `${s}: ${JSON.stringify(r)}`);
  return r;
};
const simple = (s: string, c = config) => ok(s, c).samples.map((x) => ({ name: x.name, labels: x.labels, ts: x.timestampMs, value: x.value }));

test("Telegraf's line: one point per numeric field, tags as labels, ns timestamps", () => {
  assert.deepEqual(simple('cpu,host=a,region=eu usage_user=1.5,usage_system=0.5 1700000000000000000'), [
    { name: ['cpu', 'usage_user'], labels: [['host', 'a'], ['region', 'eu']], ts: 1_700_000_000_000, value: 1.5 },
    { name: ['cpu', 'usage_system'], labels: [['host', 'a'], ['region', 'eu']], ts: 1_700_000_000_000, value: 0.5 },
  ]);
});

test('field types: floats, integers (i), unsigned (u), booleans; strings are metadata and skipped', () => {
  const values = simple('m f=-1.5e3,i=-42i,u=42u,t=t,T=TRUE,f2=False,s="text, with = and \\"quotes\\"",e=1. 1000000').map((x) => [x.name[1], x.value]);
  assert.deepEqual(values, [['f', -1500], ['i', -42], ['u', 42], ['t', 1], ['T', 1], ['f2', 0], ['e', 1]]);
});

test('escapes: measurement commas and spaces; tag and field key commas, equals and spaces; newlines in strings', () => {
  const [s] = ok('my\\ meas\\,x,ta\\ g\\=1=v\\,a\\ l\\=ue fi\\,eld\\ k=1,str="line1\nline2" 5000000\nnext v=2 6000000').samples;
  assert.deepEqual(s!.name, ['my meas,x', 'fi,eld k']);
  assert.deepEqual(s!.labels, [['ta g=1', 'v,a l=ue']]);
  assert.equal(ok('my\\ meas\\,x,t=v f=1,str="a\nb" 5000000\nnext v=2 6000000').samples.length, 2, 'the newline inside the string does not end the line');
  assert.deepEqual(ok('m,t=a\\b f=1 1').samples[0]!.labels, [['t', 'a\\b']], 'a backslash before anything else is literal');
  assert.deepEqual(ok('m,t=a\\nb f=1 1').samples[0]!.labels, [['t', 'a\nb']], 'Telegraf writes a newline in a tag as \\n');
});

test('timestamps: ns by default, timestampPrecision us/ms/s; none is refused (event time is needed)', () => {
  for (const [precision, ts] of [['us', '1700000000000000'], ['ms', '1700000000000'], ['s', '1700000000']] as const) {
    assert.equal(ok(`m v=1 ${ts}`, parseConfigSchema.parse({ format: 'influx', timestampPrecision: precision })).samples[0]!.timestampMs, 1_700_000_000_000, precision);
  }
  const r = ok('m v=1,w=2');
  assert.deepEqual(r.refusals.map((x) => x.reason), ['bad_timestamp', 'bad_timestamp'], 'each field is a point, each refused');
});

test('a message of many lines keeps the good ones and refuses each bad line or field alone, numbered in reading order', () => {
  const r = ok(['# a comment', 'cpu v=1 1000000', 'cpu v= 1000000', 'cpu,t v=1 1000000', '', 'cpu a=1,b=1e999 2000000', 'cpu v="s" 3000000', 'cpu v=2 x', 'cpu v=3 4000000\r'].join('\n'));
  assert.deepEqual(r.samples.map((s) => [s.index, s.name[1], s.value]), [[0, 'v', 1], [3, 'a', 1], [6, 'v', 3]]);
  assert.deepEqual(r.refusals.map((x) => [x.index, x.reason]), [[1, 'malformed_line'], [2, 'malformed_line'], [4, 'non_finite_value'], [5, 'malformed_line']]);
  assert.equal(r.refusals.find((x) => x.reason === 'non_finite_value')!.text, 'cpu a=1,b=1e999 2000000', 'a refusal carries its own line');
  assert.ok(r.refusals.some((x) => x.text === 'cpu v=2 x' && x.reason === 'malformed_line'));
});

test('whole-message refusals: empty, oversize, not UTF-8, nothing numeric', () => {
  assert.equal(decodeInflux(null, config).ok, false);
  const small = parseConfigSchema.parse({ format: 'influx', maxMessageBytes: 10 });
  assert.deepEqual(decode('m v=1 1000000000', small), { ok: false, reason: 'oversize', detail: '16 bytes > maxMessageBytes 10' });
  assert.deepEqual(decodeInflux(Uint8Array.from([0x6d, 0x20, 0xff]), config), { ok: false, reason: 'malformed_line', detail: 'not UTF-8' });
  assert.deepEqual(decode('# only\nm s="x" 1'), { ok: false, reason: 'missing_value', detail: 'no numeric field in any line' });
});

/** Names and values that exercise every escape: commas, equals, spaces, quotes, backslashes, tabs, newlines, unicode. */
const text = fc.stringOf(fc.constantFrom('a', 'Z', '0', '_', ',', '=', ' ', '"', '\\', '\t', '\n', 'é', '☃', '.', '-'), { minLength: 1, maxLength: 8 });
const key = text.filter((s) => !s.endsWith('\\') && !/^[#\s]/.test(s));

test("property: every Point that @influxdata/influxdb-client writes reads back exactly (names, tags, fields, timestamp)", () => {
  fc.assert(
    fc.property(
      key,
      fc.uniqueArray(fc.tuple(key, key), { selector: ([k]) => k, maxLength: 4 }),
      fc.uniqueArray(fc.tuple(key, fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true, min: -3e38, max: 3e38 }), fc.integer(), fc.boolean(), text)), { selector: ([k]) => k, minLength: 1, maxLength: 4 }),
      fc.bigInt({ min: 1n, max: 4_000_000_000_000_000_000n }),
      (measurement, tags, fields, ns) => {
        const p = new Point(measurement);
        for (const [k, v] of tags) p.tag(k, v);
        for (const [k, v] of fields) {
          if (typeof v === 'boolean') p.booleanField(k, v);
          else if (typeof v === 'string') p.stringField(k, v);
          else if (Number.isSafeInteger(v)) p.intField(k, v);
          else p.floatField(k, v);
        }
        p.timestamp(String(ns));
        const line = p.toLineProtocol();
        if (line === undefined) return; // the client drops points it cannot write
        const r = decodeInflux(Buffer.from(line), config);
        const numeric = fields.filter(([, v]) => typeof v !== 'string').sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        if (numeric.length === 0) return assert.ok(!r.ok && r.reason === 'missing_value', line);
        assert.ok(r.ok, line);
        assert.deepEqual(r.refusals, [], line);
        assert.deepEqual(r.samples.map((s) => s.name), numeric.map(([k]) => [measurement, k]), line);
        assert.deepEqual(r.samples.map((s) => s.value), numeric.map(([, v]) => (typeof v === 'boolean' ? Number(v) : (v as number) + 0)), line); // -0 is written as 0i
        const sortedTags = [...tags].filter(([, v]) => v.length > 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        for (const s of r.samples) {
          assert.deepEqual(s.labels, sortedTags, line);
          assert.equal(s.timestampMs, Number(ns) / 1e6, line);
        }
      },
    ),
    { numRuns: 400 },
  );
});

test('property: hostile text never throws, and every refusal has a reason, a detail and an index of its own', () => {
  fc.assert(
    fc.property(fc.stringOf(fc.constantFrom('m', ',', '=', ' ', '"', '\\', '\n', '1', 'i', 'u', '.', 'e', 't', '#', '\r', '-'), { maxLength: 80 }), (s) => {
      const r = decodeInflux(Buffer.from(s), config);
      if (!r.ok) return;
      const indices = [...r.samples.map((x) => x.index), ...r.refusals.map((x) => x.index)].sort((a, b) => a - b);
      assert.deepEqual(indices, indices.map((_, i) => i));
      for (const x of r.refusals) assert.ok(x.detail.length > 0 && x.reason.length > 0);
      for (const x of r.samples) assert.ok(Number.isFinite(x.value) && Number.isFinite(x.timestampMs));
    }),
    { numRuns: 2000 },
  );
});
