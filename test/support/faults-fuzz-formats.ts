import { decodeWindows, REJECT_REASONS, type DeadLetter } from '@hourglass/core';
import { opentelemetry } from '@hourglass/otlp-proto';
import protobuf from 'protobufjs/minimal';
import { createKafka, createTopicsAndWait } from '@hourglass/kafka';
import type { Consumer } from 'kafkajs';
import { freePort } from '../infra/processes';
import { labelSetsPerMetric } from './faults-fuzz';
import { uniqueName } from './fixtures';
import { influxCpuLine, otlpJson, otlpProto, otlpTemplate, prometheusAdapterMessage } from './format-producers';
import { SupervisedIngest } from './fuzz-ingest';
import { uniformRng } from './spiky-sine';

/**
 * Hostile input in the metric formats against `hourglass ingest` (part of `npm run test:fuzz` and
 * test/integration/fuzz.test.ts): one topic per format (Influx line protocol, prometheus-json,
 * OTLP protobuf, OTLP/JSON), one partition each, with seeded generators of: garbage, truncated
 * protobuf of real requests (cut at every kind of place), protobuf of the wrong message type
 * (wrong wire types for every field), deep attribute nesting, wrong JSON types, NaN/Inf/huge values,
 * bad and valid escapes in tags, missing timestamps, and huge batches (thousands of points, near
 * maxMessageBytes) mixing good and bad points. Good points come from the real producers' encoders.
 *
 * It proves: ingest never exits and is ready at the end; RSS stays under a bound; every point is
 * counted once (accepted + duplicate + rejected = the dead letters' count + the good points, with
 * the good points known); every refusal is on the DLQ with a known reason, its source offset, and
 * a point index unless the message was refused whole; every message that must be refused whole,
 * or must lose a point, has its dead letter; every window decodes to finite values.
 */
export interface FormatFuzzOptions {
  readonly brokers: readonly string[];
  /** Hostile messages per format. */
  readonly perFormat: number;
  readonly seed: number;
  /** Points in each huge batch (Influx lines, adapter samples, OTLP data points). Default 2000. */
  readonly hugeBatchPoints?: number;
  readonly rssBoundMiB?: number;
  readonly log?: (line: string) => void;
}

export interface FormatFuzzSummary {
  readonly ok: boolean;
  readonly failures: string[];
  readonly messages: number;
  readonly byKind: Record<string, number>;
  readonly outcomes: { accepted: number; duplicate: number; rejected: number };
  readonly deadLetters: { total: number; wholeMessages: number; points: number; byReason: Record<string, number> };
  readonly windows: { total: number; nonFinite: number; undecodable: number };
  readonly ingest: { exits: number; peakRssMiB: number };
  readonly seconds: number;
}

type Format = 'influx' | 'prom' | 'otlpProto' | 'otlpJson';

interface FMsg {
  readonly format: Format;
  readonly kind: string;
  readonly value: Buffer | null;
  /** Refused whole: a dead letter without `point`. */
  readonly wholeRefusal: boolean;
  /** At least this many of its points must be refused alone. */
  readonly refusedPoints: number;
  /** Exactly this many good points it holds that must be accepted (or be duplicates). */
  readonly goodPoints: number;
}

const MAX_MESSAGE_BYTES = 262_144;
const T0_NS = BigInt(Date.UTC(2024, 0, 1)) * 1_000_000n;

/** The seeded generators of each format's hostile messages, with what must happen to each. */
export async function formatFuzzGenerators(rng: () => number, huge = 2000): Promise<Record<Format, { kind: string; make: () => Omit<FMsg, 'format' | 'kind'> }[]>> {
  const int = (n: number) => Math.floor(rng() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const b = (s: string) => Buffer.from(s);
  const garbage = (n: number) => {
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) out[i] = int(256);
    out[0] = 0xff; // never UTF-8, never a valid protobuf field tag start for field 0
    return out;
  };
  const otlp = await otlpTemplate(3);
  // Distinct series per message so that the points of separate messages never collide as duplicates.
  let serial = 0;
  const step = () => 1 + int(100_000);
  const good = (host: number) => influxCpuLine(host, step());
  const Request = opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
  const gauge = (name: string, points: object[]) => ({ resourceMetrics: [{ resource: { attributes: [{ key: 'fz', value: { stringValue: `m${serial++}` } }] }, scopeMetrics: [{ metrics: [{ name, gauge: { dataPoints: points } }] }] }] });
  // Data points of the generated requests move forward in time, so their good points are never too late.
  let tick = 0n;
  const dp = (v: number | undefined, timeNs: bigint = T0_NS + ++tick * 1_000_000_000n) => (v === undefined ? { timeUnixNano: timeNs.toString() } : { timeUnixNano: timeNs.toString(), asDouble: v });
  const nested = (depth: number): object => (depth === 0 ? { stringValue: 'leaf' } : { kvlistValue: { values: [{ key: 'k', value: nested(depth - 1) }] } });
  const protoOf = (doc: object) => Buffer.from(Request.encode(Request.fromObject(doc)).finish());
  /** A request whose one data point has an attribute nested `depth` kvlists deep, written field by field (the encoder itself refuses such depth). */
  const deepProto = (depth: number): Buffer => {
    const writer = () => protobuf.Writer.create();
    let value = writer().uint32(10).string('leaf').finish(); // AnyValue.string_value (1)
    for (let d = 0; d < depth; d++) {
      const kv = writer().uint32(10).string('k').uint32(18).bytes(value).finish(); // KeyValue.key (1), value (2)
      const list = writer().uint32(10).bytes(kv).finish(); // KeyValueList.values (1)
      value = writer().uint32(50).bytes(list).finish(); // AnyValue.kvlist_value (6)
    }
    const attribute = writer().uint32(10).string('deep').uint32(18).bytes(value).finish();
    const point = writer().uint32(25).fixed64(Number(T0_NS) + 1e9).uint32(33).double(1).uint32(58).bytes(attribute).finish(); // time (3), as_double (4), attributes (7)
    const gaugeBytes = writer().uint32(10).bytes(point).finish(); // Gauge.data_points (1)
    const metric = writer().uint32(10).string(`fz.deep${serial++}`).uint32(42).bytes(gaugeBytes).finish(); // Metric.name (1), gauge (5)
    const scope = writer().uint32(18).bytes(metric).finish(); // ScopeMetrics.metrics (2)
    const resource = writer().uint32(18).bytes(scope).finish(); // ResourceMetrics.scope_metrics (2)
    return Buffer.from(writer().uint32(10).bytes(resource).finish()); // request.resource_metrics (1)
  };
  return {
    influx: [
      { kind: 'garbage', make: () => ({ value: garbage(1 + int(500)), wholeRefusal: true, refusedPoints: 0, goodPoints: 0 }) },
      { kind: 'tombstone', make: () => ({ value: null, wholeRefusal: true, refusedPoints: 0, goodPoints: 0 }) },
      { kind: 'comments-only', make: () => ({ value: b('# nothing\n\n# here'), wholeRefusal: true, refusedPoints: 0, goodPoints: 0 }) },
      {
        kind: 'bad-lines-among-good', make: () => {
          const bad = pick(['cpu,host=a usage= 1', 'cpu,host usage=1 1', 'cpu,=a usage=1 1', 'cpu usage=1 notatime', 'cpu usage="unterminated 1', 'cpu,host=a=b usage=1 1', ' ', 'cpu  ', 'cpu,host=a\\', 'cpu usage=1x 1', 'cpu usage=tru 1']);
          const h = 1000 + serial++;
          const lines = [good(h), bad, good(h + 1)];
          // An unterminated string runs to the end of the message (strings may span lines), taking the last line with it.
          return { value: b(lines.join('\n')), wholeRefusal: false, refusedPoints: bad.trim() === '' ? 0 : 1, goodPoints: bad.includes('"') ? 2 : 4 };
        },
      },
      {
        kind: 'escaped-tags', make: () => {
          const tag = pick(['a\\ b', 'a\\,b', 'a\\=b', 'a\\\\,b', 'a\\nb', 'é☃', 'a\\tb', 'x\\']);
          return { value: b(`fz,t=${tag},u=m${serial++} v=1 ${T0_NS}`), wholeRefusal: false, refusedPoints: 0, goodPoints: tag === 'x\\' ? -1 : 1 };
        },
      },
      { kind: 'non-finite', make: () => ({ value: b(`fz,u=m${serial++} ok=1,bad=${pick(['1e999', '-1e999', '3.5e38', '1e39'])} ${T0_NS}`), wholeRefusal: false, refusedPoints: 1, goodPoints: 1 }) },
      { kind: 'no-timestamp', make: () => ({ value: b(`fz,u=m${serial++} a=1,b=2i,c=t`), wholeRefusal: false, refusedPoints: 3, goodPoints: 0 }) },
      { kind: 'huge-timestamp', make: () => ({ value: b(`fz,u=m${serial++} a=1 ${pick(['99999999999999999999999', '-99999999999999999999999'])}`), wholeRefusal: false, refusedPoints: 1, goodPoints: 0 }) },
      {
        kind: 'huge-batch', make: () => {
          const lines: string[] = [];
          let bad = 0;
          const h = 100_000 + serial++ * 1000;
          for (let i = 0; i < huge; i++) {
            if (i % 97 === 5) {
              lines.push(`cpu,host=z${h} usage=NaN 1`);
              bad++;
            } else lines.push(influxCpuLine(h, i));
          }
          return { value: b(lines.join('\n')), wholeRefusal: false, refusedPoints: bad, goodPoints: (huge - bad) * 2 };
        },
      },
      { kind: 'oversize', make: () => ({ value: b(Array.from({ length: 4000 }, (_, i) => influxCpuLine(9, i)).join('\n')), wholeRefusal: true, refusedPoints: 0, goodPoints: 0 }) },
    ],
    prom: [
      { kind: 'garbage', make: () => ({ value: garbage(1 + int(300)), wholeRefusal: true, refusedPoints: 0, goodPoints: 0 }) },
      { kind: 'not-an-object', make: () => ({ value: b(pick(['1', '"x"', 'null', 'true'])), wholeRefusal: true, refusedPoints: 0, goodPoints: 0 }) },
      { kind: 'stale-or-nan', make: () => ({ value: b(prometheusAdapterMessage('up', { job: `m${serial++}` }, step(), pick([Number.NaN, Infinity, -Infinity]))), wholeRefusal: false, refusedPoints: 1, goodPoints: 0 }) },
      {
        kind: 'wrong-types', make: () => {
          const doc = JSON.parse(prometheusAdapterMessage('up', { job: `m${serial++}` }, step(), 1)) as Record<string, unknown>;
          doc[pick(['value', 'timestamp', 'labels', 'name'])] = pick([{}, [], true, 12e300, null, 'x']);
          return { value: b(JSON.stringify(doc)), wholeRefusal: false, refusedPoints: -1, goodPoints: -1 };
        },
      },
      {
        kind: 'huge-array', make: () => {
          const items = Array.from({ length: huge }, (_, i) => JSON.parse(prometheusAdapterMessage('fz_gauge', { i: `m${serial}-${i}` }, 10, i % 50 === 3 ? Number.NaN : i)) as object);
          serial++;
          const bad = items.filter((_, i) => i % 50 === 3).length;
          return { value: b(JSON.stringify(items)), wholeRefusal: false, refusedPoints: bad, goodPoints: huge - bad };
        },
      },
      { kind: 'good', make: () => ({ value: b(prometheusAdapterMessage('fz_gauge', { job: `m${serial++}` }, step(), rng())), wholeRefusal: false, refusedPoints: 0, goodPoints: 1 }) },
    ],
    otlpProto: [
      { kind: 'garbage', make: () => ({ value: garbage(1 + int(400)), wholeRefusal: false, refusedPoints: -1, goodPoints: -1 }) },
      {
        kind: 'truncated', make: () => {
          const whole = Buffer.from(otlpProto(otlp(step())));
          return { value: whole.subarray(0, 1 + int(whole.length - 1)), wholeRefusal: false, refusedPoints: -1, goodPoints: -1 };
        },
      },
      {
        kind: 'wrong-message-type', make: () => {
          // A valid protobuf of another message: every field number lands on a field of another wire type.
          const other = opentelemetry.proto.metrics.v1.NumberDataPoint.encode({ timeUnixNano: 1, asDouble: 2, attributes: [{ key: 'a', value: { intValue: 3 } }] }).finish();
          return { value: Buffer.from(other), wholeRefusal: false, refusedPoints: -1, goodPoints: -1 };
        },
      },
      { kind: 'deep-attributes', make: () => ({ value: deepProto(5 + int(2000)), wholeRefusal: false, refusedPoints: -1, goodPoints: -1 }) },
      { kind: 'bad-points-among-good', make: () => ({ value: protoOf(gauge('fz.mixed', [dp(1), dp(undefined), dp(Infinity), dp(2, 0n), dp(3)])), wholeRefusal: false, refusedPoints: 3, goodPoints: 2 }) },
      {
        kind: 'huge-batch', make: () => {
          const points = Array.from({ length: huge }, (_, i) => (i % 100 === 7 ? dp(undefined) : { ...dp(i), attributes: [{ key: 'i', value: { intValue: String(i) } }] }));
          const bad = points.filter((_, i) => i % 100 === 7).length;
          return { value: protoOf(gauge('fz.huge', points)), wholeRefusal: false, refusedPoints: bad, goodPoints: huge - bad };
        },
      },
      { kind: 'good', make: () => ({ value: Buffer.from(otlpProto(otlp(step()))), wholeRefusal: false, refusedPoints: 0, goodPoints: -1 }) },
    ],
    otlpJson: [
      { kind: 'garbage', make: () => ({ value: garbage(1 + int(300)), wholeRefusal: true, refusedPoints: 0, goodPoints: 0 }) },
      { kind: 'wrong-types', make: () => ({ value: b(pick(['{"resourceMetrics":{}}', '{"resourceMetrics":[{"scopeMetrics":7}]}', '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"x","gauge":{"dataPoints":"no"}}]}]}]}', '[]', '"x"'])), wholeRefusal: true, refusedPoints: 0, goodPoints: 0 }) },
      { kind: 'wrong-field-types', make: () => ({ value: b(JSON.stringify(gauge('fz.types', [{ timeUnixNano: 'soon', asDouble: 1 }, { timeUnixNano: '1', asDouble: 'high' }, { timeUnixNano: {}, asInt: [] }]))), wholeRefusal: false, refusedPoints: 3, goodPoints: 0 }) },
      { kind: 'deep-attributes', make: () => ({ value: b(JSON.stringify(gauge('fz.deep', [{ ...dp(1), attributes: [{ key: 'deep', value: nested(20 + int(200)) }] }]))), wholeRefusal: false, refusedPoints: -1, goodPoints: -1 }) },
      { kind: 'good', make: () => ({ value: Buffer.from(otlpJson(otlp(step()))), wholeRefusal: false, refusedPoints: 0, goodPoints: -1 }) },
    ],
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runFormatFuzz(options: FormatFuzzOptions): Promise<FormatFuzzSummary> {
  const log = options.log ?? (() => undefined);
  const t0 = Date.now();
  const failures: string[] = [];
  const id = uniqueName('fuzzfmt');
  const topics: Record<Format | 'windows' | 'dlq', string> = { influx: `${id}.telegraf`, prom: `${id}.prom`, otlpProto: `${id}.otlp`, otlpJson: `${id}.otlpjson`, windows: `${id}.windows`, dlq: `${id}.dlq` };
  const formats: Format[] = ['influx', 'prom', 'otlpProto', 'otlpJson'];
  const kafka = createKafka({ brokers: [...options.brokers], clientId: id, connectionTimeoutMs: 3000 });
  const admin = kafka.admin();
  await admin.connect();
  let ingest: SupervisedIngest | undefined;
  const readers: Consumer[] = [];
  try {
    await createTopicsAndWait(admin, Object.values(topics).map((topic) => ({ topic, numPartitions: 1 })));
    const port = await freePort();
    const config = {
      kafka: { brokers: [...options.brokers], clientId: id },
      ops: { host: '127.0.0.1', port },
      log: { level: 'warn' },
      topics: { windows: topics.windows, deadLetter: topics.dlq },
      ingest: {
        groupId: `${id}-ingest`, topics: formats.map((f) => topics[f]), maxLiveSeries: 50_000,
        parse: { maxMessageBytes: MAX_MESSAGE_BYTES },
        parseByTopic: { [topics.influx]: { format: 'influx' }, [topics.prom]: { format: 'prometheus-json' }, [topics.otlpProto]: { format: 'otlp-proto' }, [topics.otlpJson]: { format: 'otlp-json' } },
        sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1000, maxWaitTimeMs: 100, maxBytesPerPartition: 4 * 1024 * 1024,
      },
      groups: [{ name: 'fz', match: { glob: '*' }, window: { lengthSteps: 8, strideSteps: 4, intervalMs: 1000 } }],
    };
    const url = `http://127.0.0.1:${port}`;
    ingest = new SupervisedIngest(config, failures);
    await ingest.start(url);

    const letters: DeadLetter[] = [];
    let windowsTotal = 0;
    let nonFinite = 0;
    let undecodable = 0;
    const read = async (topic: string, each: (value: Buffer) => void): Promise<void> => {
      const consumer = kafka.consumer({ groupId: uniqueName('fuzzfmt-reader'), sessionTimeout: 10_000, heartbeatInterval: 1000, maxWaitTimeInMs: 200, maxBytesPerPartition: 8 * 1024 * 1024 });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachBatch: async ({ batch }) => { for (const m of batch.messages) each(m.value!); } });
      readers.push(consumer);
    };
    await read(topics.dlq, (value) => void letters.push(JSON.parse(value.toString()) as DeadLetter));
    await read(topics.windows, (value) => {
      try {
        for (const w of decodeWindows(value)) {
          windowsTotal++;
          if (!w.values.every((v) => Number.isFinite(v))) nonFinite++;
        }
      } catch {
        undecodable++;
      }
    });

    ingest.startSampling();

    // Produce each format's stream to its topic; remember per offset what must happen.
    const rng = uniformRng(options.seed);
    const gens = await formatFuzzGenerators(rng, options.hugeBatchPoints ?? 2000);
    const plan = new Map<string, FMsg[]>();
    const byKind: Record<string, number> = {};
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    let messages = 0;
    for (const format of formats) {
      const list: FMsg[] = [];
      let batch: { value: Buffer | null }[] = [];
      let bytes = 0;
      const flush = async () => {
        if (batch.length === 0) return;
        await producer.send({ topic: topics[format], acks: -1, messages: batch });
        batch = [];
        bytes = 0;
      };
      for (let i = 0; i < options.perFormat; i++) {
        const g = gens[format][Math.floor(rng() * gens[format].length)]!;
        const m = { ...g.make(), format, kind: g.kind };
        list.push(m);
        byKind[`${format}:${m.kind}`] = (byKind[`${format}:${m.kind}`] ?? 0) + 1;
        batch.push({ value: m.value });
        bytes += (m.value?.length ?? 0) + 64;
        if (batch.length >= 500 || bytes > 512 * 1024) await flush();
      }
      await flush();
      plan.set(format, list);
      messages += list.length;
    }
    await producer.disconnect();
    log(`produced ${messages} hostile metric-format messages; waiting for ingest`);

    // Drain: ingest's lag is 0 on every input topic and its counts and the DLQ stopped moving.
    const metricsText = async (): Promise<string> => (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    const counts = (text: string) => {
      const o = (outcome: string) => Number(new RegExp(`^hourglass_ingest_points_total\\{outcome="${outcome}"\\} ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? 0);
      return { accepted: o('accepted'), duplicate: o('duplicate'), rejected: o('rejected') };
    };
    let outcomes = counts('');
    let stable = 0;
    let last = '';
    // Ingest manages a few thousand points a second on a busy 2-core machine; the known points bound the wait.
    const known = [...plan.values()].flat().reduce((n, m) => n + Math.max(0, m.goodPoints) + Math.max(0, m.refusedPoints), 0);
    const deadline = Date.now() + 120_000 + known;
    for (;;) {
      const text = await metricsText().catch(() => '');
      outcomes = counts(text);
      const lags = [...text.matchAll(/^hourglass_ingest_consumer_lag\{[^}]*\} ([0-9.e+-]+)$/gm)].map((m) => Number(m[1]));
      const now = JSON.stringify([outcomes, letters.length]);
      stable = now === last && lags.length === formats.length && lags.every((l) => l === 0) && letters.length >= outcomes.rejected ? stable + 1 : 0;
      last = now;
      if (stable >= 4) break;
      if (Date.now() > deadline) {
        failures.push(`timed out draining: ${now}, lags ${lags.join(',')}`);
        break;
      }
      await sleep(500);
    }
    await ingest.stopSampling();
    const peakRss = ingest.peakRssMiB;
    const exits = ingest.exits;
    const ready = await fetch(`${url}/readyz`).then((r) => r.status, () => 0);
    const finalText = await metricsText().catch(() => '');

    // Checks.
    if (exits > 0) failures.push(`ingest exited ${exits} time(s)`);
    if (ready !== 200) failures.push(`ingest is not ready at the end (/readyz ${ready})`);
    if (peakRss > (options.rssBoundMiB ?? 512)) failures.push(`ingest peak RSS ${Math.round(peakRss)} MiB is over its bound`);
    if (letters.length !== outcomes.rejected) failures.push(`${letters.length} dead letters, ${outcomes.rejected} points rejected`);
    const keys = new Set(letters.map((l) => `${l.topic}/${l.offset}/${l.point ?? '-'}`));
    if (keys.size !== letters.length) failures.push(`${letters.length - keys.size} dead letters twice (no replay happened)`);
    const byReason: Record<string, number> = {};
    const at = new Map<string, DeadLetter[]>();
    for (const l of letters) {
      byReason[l.reason] = (byReason[l.reason] ?? 0) + 1;
      if (!(REJECT_REASONS as readonly string[]).includes(l.reason) || !l.detail) failures.push(`a dead letter without a known reason or detail: ${JSON.stringify(l).slice(0, 300)}`);
      at.set(`${l.topic}/${l.offset}`, [...(at.get(`${l.topic}/${l.offset}`) ?? []), l]);
    }
    let good = 0;
    let exact = true;
    const problems: string[] = [];
    for (const format of formats) {
      plan.get(format)!.forEach((m, offset) => {
        const list = at.get(`${topics[format]}/${offset}`) ?? [];
        const whole = list.filter((l) => l.point === undefined);
        if (m.wholeRefusal && whole.length !== 1) problems.push(`${format} offset ${offset} (${m.kind}) must be refused whole`);
        if (!m.wholeRefusal && m.refusedPoints >= 0 && whole.length > 0) problems.push(`${format} offset ${offset} (${m.kind}) was refused whole: ${whole[0]!.detail}`);
        if (m.refusedPoints > 0 && list.filter((l) => l.point !== undefined).length < m.refusedPoints) problems.push(`${format} offset ${offset} (${m.kind}): ${list.length} point dead letters, at least ${m.refusedPoints} expected`);
        if (m.goodPoints >= 0) good += m.goodPoints;
        else exact = false;
      });
    }
    if (problems.length > 0) failures.push(`${problems.length} messages without the dead letters they must have, e.g. ${problems.slice(0, 5).join('; ')}`);
    if (outcomes.accepted + outcomes.duplicate < good) failures.push(`${outcomes.accepted + outcomes.duplicate} points accepted or duplicate, fewer than the ${good} good points produced`);
    if (nonFinite > 0) failures.push(`${nonFinite} windows hold non-finite values`);
    if (undecodable > 0) failures.push(`${undecodable} windows do not decode`);
    for (const [name, n] of Object.entries(labelSetsPerMetric(finalText))) if (n > 64) failures.push(`${name} has ${n} label sets`);
    void exact;
    return {
      ok: failures.length === 0,
      failures,
      messages,
      byKind,
      outcomes,
      deadLetters: { total: letters.length, wholeMessages: letters.filter((l) => l.point === undefined).length, points: letters.filter((l) => l.point !== undefined).length, byReason },
      windows: { total: windowsTotal, nonFinite, undecodable },
      ingest: { exits, peakRssMiB: Math.round(peakRss) },
      seconds: Math.round((Date.now() - t0) / 100) / 10,
    };
  } finally {
    await ingest?.stop();
    for (const r of readers) await r.disconnect().catch(() => undefined);
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await admin.disconnect();
  }
}
