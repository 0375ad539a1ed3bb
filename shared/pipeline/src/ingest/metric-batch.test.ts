import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileConfig, decodeWindow, Windower, type DeadLetter, type HourglassConfig } from '@hourglass/core';
import { processBatch, type InputBatch } from './batch';
import { TopicParsers } from './topic-parsers';

const T0 = Date.UTC(2024, 0, 1);
const W = 4;

function setup(parse: object, groups: object[] = [{ name: 'g', match: { glob: '*' }, window: { lengthSteps: W, strideSteps: 1, intervalMs: 1000 } }]) {
  const config: HourglassConfig = compileConfig({ ingest: { topics: ['in'], parse }, groups });
  const windower = new Windower({ groups: config.groups, maxLiveSeries: 1000, seriesIdleTimeoutMs: 1e12 });
  const parsers = new TopicParsers({ ingest: config.ingest, groups: config.groups });
  let offset = 0;
  const run = (values: (string | null)[], source = 0) => {
    const batch: InputBatch = { topic: 'in', partition: 0, source, messages: values.map((v) => ({ key: null, value: v === null ? null : Buffer.from(v), offset: String(offset++) })) };
    const out = processBatch(batch, windower, parsers, 1000);
    return {
      out,
      windows: out.windowMessages.map((m) => decodeWindow(m.value as Buffer)),
      letters: out.deadLetterMessages.map((m) => JSON.parse(String(m.value)) as DeadLetter),
    };
  };
  return { run, windower, parsers };
}

const influx = (t: number, fields: string, tags = ',host=a') => `cpu${tags} ${fields} ${(T0 + t * 1000) * 1e6}`;

test('influx: each field is a series; one bad field of a line is dead-lettered alone with its index and line, the rest kept', () => {
  const { run } = setup({ format: 'influx' });
  const lines = [0, 1, 2, 3, 4].map((t) => influx(t, `user=${t},system=${t === 2 ? '1e999' : 10 + t}`)).join('\n');
  const { out, windows, letters } = run([lines]);
  assert.equal(out.accepted, 9);
  assert.deepEqual(letters.map((l) => [l.reason, l.point, l.value, l.offset]), [['non_finite_value', 5, influx(2, 'user=2,system=1e999'), '0']]);
  assert.deepEqual([...new Set(windows.map((w) => w.series))].sort(), ['cpu.system{host="a"}', 'cpu.user{host="a"}']);
  assert.ok(windows.some((w) => w.series === 'cpu.user{host="a"}' && w.endMs === T0 + 3000 && [...w.values].join() === '0,1,2,3'));
});

test('channels: fields makes one multivariate point per line (Telegraf cpu), complete at the end of its line', () => {
  const { run } = setup({ format: 'influx', channels: 'fields' });
  const { windows, out } = run([[0, 1, 2, 3, 4].map((t) => influx(t, `user=${t},system=${10 + t}`)).join('\n')]);
  assert.equal(out.accepted, 10, 'each field is counted');
  const w = windows.find((x) => x.endMs === T0 + 3000)!;
  assert.equal(w.series, 'cpu{host="a"}');
  assert.deepEqual(w.channels, ['system', 'user']);
  assert.deepEqual([...w.values], [10, 0, 11, 1, 12, 2, 13, 3]);
});

test('channels: { label: mode } folds one sample per message (prometheus-kafka-adapter) into one point; counters become rates', () => {
  const { run, parsers } = setup({ format: 'prometheus-json', channels: { label: 'mode' } });
  const sample = (t: number, mode: string, v: number) => JSON.stringify({ timestamp: new Date(T0 + t * 1000).toISOString().replace('.000', ''), value: String(v), name: 'node_cpu_seconds_total', labels: { __name__: 'node_cpu_seconds_total', cpu: '0', mode } });
  const messages: string[] = [];
  // idle grows 0.9/s, user 0.1/s; user resets at t=4 (a process restart: the counter starts again at 0).
  for (let t = 0; t <= 6; t++) messages.push(sample(t, 'idle', 0.9 * t), sample(t, 'user', t < 4 ? 0.1 * t : 0.1 * (t - 4)));
  const { windows, out, letters } = run(messages);
  assert.deepEqual(letters, []);
  assert.equal(out.accepted, 14, 'every sample counted: the first counters seed their rates, the rest are in points');
  assert.equal(parsers.assembler.replayOffsets().get(0), 12, "the counters' last samples pin their offsets");
  const w = windows.find((x) => x.endMs === T0 + 4000)!;
  assert.equal(w.series, 'node_cpu_seconds_total{cpu="0"}');
  assert.deepEqual(w.channels, ['idle', 'user']);
  assert.deepEqual([...w.values].map((v) => Math.round(v * 1000) / 1000), [0.9, 0.1, 0.9, 0.1, 0.9, 0.1, 0.9, 0], 'the reset reads as the new value over the interval');
});

test('otlp: a monotonic cumulative sum is a rate; a counter sample older than its series last one is too_late', () => {
  const { run } = setup({ format: 'otlp-json' });
  const req = (t: number, v: number) => JSON.stringify({ resourceMetrics: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'api' } }] }, scopeMetrics: [{ metrics: [{ name: 'http.requests', sum: { isMonotonic: true, aggregationTemporality: 2, dataPoints: [{ startTimeUnixNano: String(T0 * 1e6), timeUnixNano: String((T0 + t * 1000) * 1e6), asInt: String(v) }] } }] }] }] });
  const { windows, letters, out } = run([0, 1, 2, 3, 4, 5].map((t) => req(t, 5 * t)).concat([req(2, 10)]));
  assert.equal(out.accepted, 6);
  assert.deepEqual(letters.map((l) => [l.reason, l.point]), [['too_late', 0]]);
  assert.ok(windows.length > 0 && windows.every((w) => w.series === 'http.requests{service.name="api"}' && [...w.values].every((v) => v === 5)));
});

test('a message refused whole keeps its bytes; the json format on another topic is unchanged', () => {
  const { run } = setup({ format: 'otlp-proto' });
  const { letters } = run(['\u0008\u00ff garbage']);
  assert.equal(letters[0]!.reason, 'malformed_protobuf');
  assert.equal(letters[0]!.point, undefined);
  assert.equal(letters[0]!.value, '\u0008\u00ff garbage');
});

/**
 * The replay property of the metric formats: stop anywhere, re-read from the lowest of the
 * windower's and the assembler's replay offsets, and every window after the stop comes again,
 * identical, with rates and folded channels intact; nothing the uninterrupted run lacks.
 */
test('restarting from the replay offsets re-creates every later window, with rates and multivariate points', () => {
  const stream = fc.array(fc.record({ dt: fc.integer({ min: 1, max: 2 }), idle: fc.integer({ min: 0, max: 5 }), user: fc.integer({ min: 0, max: 5 }), reset: fc.boolean(), order: fc.boolean() }), { minLength: 3, maxLength: 30 });
  fc.assert(
    fc.property(stream, fc.nat(), (steps, cutSeed) => {
      const messages: string[] = [];
      let t = 0;
      let idle = 0;
      let user = 0;
      for (const s of steps) {
        t += s.dt;
        idle += s.idle;
        user = s.reset ? s.user : user + s.user;
        const m = (mode: string, v: number) => JSON.stringify({ timestamp: T0 + t * 1000, value: String(v), name: 'c_total', labels: { mode } });
        messages.push(...(s.order ? [m('idle', idle), m('user', user)] : [m('user', user), m('idle', idle)]));
      }
      const make = () => setup({ format: 'prometheus-json', channels: { label: 'mode' } });
      const feed = (h: ReturnType<typeof make>, msgs: string[], from: number) => msgs.slice(from).flatMap((m) => h.run([m]).windows.map((w) => JSON.stringify(w)));
      const cut = cutSeed % (messages.length + 1);
      const whole = make();
      const before = feed(whole, messages.slice(0, cut), 0);
      const replay = [whole.windower.replayOffsets().get(0), whole.parsers.assembler.replayOffsets().get(0)].filter((x) => x !== undefined) as number[];
      const from = Math.min(cut, ...replay);
      const after = feed(whole, messages, cut);
      const restarted = make();
      const again = feed(restarted, messages, from);
      const againSet = new Set(again);
      for (const w of after) assert.ok(againSet.has(w), 'a window after the restart point was lost or changed');
      const all = new Set([...before, ...after]);
      for (const w of again) assert.ok(all.has(w), 'the replay made a window the uninterrupted run never made');
    }),
    { numRuns: 300 },
  );
});
