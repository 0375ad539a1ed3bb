import { decodeWindows, REJECT_REASONS, type DeadLetter } from '@hourglass/core';
import { createKafka, createTopicsAndWait } from '@hourglass/kafka';
import type { Consumer } from 'kafkajs';
import { freePort } from '../infra/processes';
import { uniqueName } from './fixtures';
import { uniformRng } from './spiky-sine';
import { SupervisedIngest } from './fuzz-ingest';

/**
 * Hostile input against `hourglass ingest` (`npm run test:fuzz`, and the bounded form in
 * test/integration/fuzz.test.ts). Seeded generators make malformed and adversarial messages:
 * garbage bytes, deep JSON nesting, huge numbers, NaN and Infinity in every field (as JSON cannot
 * carry them: bare literals, strings, 1e999), timestamps far in the past and future, wrong types,
 * prototype keys, ids and channel lists at and over their limits, messages of exactly the maximum
 * size and one byte over, tombstones; and a cardinality attack of many distinct series ids (valid
 * points), spread over the run. One input partition, so a message's offset is its index.
 *
 * It proves: ingest never exits and is ready at the end; its RSS (sampled every second) stays under
 * a stated bound and `hourglass_ingest_live_series` never exceeds `maxLiveSeries`; every message is
 * counted exactly once (accepted + duplicate + rejected = messages); every rejected message is on the
 * DLQ with a known reason and a detail (distinct DLQ offsets = rejected), and every message that must
 * be refused is there; every window produced decodes and holds only finite values; and every
 * hourglass_ metric has at most `labelSetCap` label sets.
 */
export interface FuzzOptions {
  readonly brokers: readonly string[];
  /** Malformed or adversarial messages. */
  readonly hostile: number;
  /** Distinct series ids of the cardinality attack (one valid point each, interleaved). */
  readonly distinctSeries: number;
  readonly seed: number;
  readonly maxLiveSeries?: number;
  readonly rssBoundMiB?: number;
  readonly labelSetCap?: number;
  readonly log?: (line: string) => void;
}

export interface FuzzSummary {
  readonly ok: boolean;
  readonly failures: string[];
  readonly messages: number;
  readonly hostile: number;
  readonly distinctSeries: number;
  readonly byKind: Record<string, number>;
  readonly outcomes: { accepted: number; duplicate: number; rejected: number };
  /** accepted + duplicate + rejected - messages: points counted twice (held, then merged as duplicates). */
  readonly outcomeOverCount: number;
  readonly deadLetters: { distinct: number; total: number; byReason: Record<string, number> };
  readonly mustRejectMissingFromDlq: number;
  readonly windows: { total: number; nonFinite: number; undecodable: number };
  readonly ingest: { exits: number; peakRssMiB: number; maxLiveSeriesSeen: number; maxLiveSeries: number; evictions: number };
  readonly labelSets: Record<string, number>;
  readonly seconds: { produce: number; drain: number; total: number; messagesPerSecond: number };
}

interface Msg {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly kind: string;
  /** True when no reading of the contract lets it through. */
  readonly mustReject: boolean;
}

const BASE_MS = Date.UTC(2024, 0, 1);
const MAX_MESSAGE_BYTES = 65_536;

/** The hostile generators: each returns one message. */
function hostileGenerators(rng: () => number): { kind: string; weight: number; make: () => Omit<Msg, 'kind'> }[] {
  const int = (n: number) => Math.floor(rng() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const b = (s: string) => Buffer.from(s);
  /** Random bytes; the first has its high bit set, so the message is never valid JSON. */
  const bytes = (n: number, highFirst: boolean): Buffer => {
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) out[i] = int(256);
    if (highFirst) out[0] = out[0]! | 0x80;
    return out;
  };
  const key = () => (rng() < 0.5 ? b(`k${int(1000)}`) : null);
  const ts = () => BASE_MS + int(100_000) * 1000;
  const nonFiniteText = ['NaN', 'Infinity', '-Infinity', '1e999', '-1e999', '"NaN"', '"Infinity"', 'null', '"-Infinity"', '1e400'];
  const series = () => `h${int(200)}`;
  return [
    { kind: 'garbage-bytes', weight: 12, make: () => ({ key: key(), value: bytes(1 + int(2000), true), mustReject: true }) },
    { kind: 'garbage-ascii', weight: 5, make: () => ({ key: key(), value: b(`{${Array.from({ length: 1 + int(200) }, () => String.fromCharCode(32 + int(95))).join('')}`), mustReject: true }) },
    { kind: 'tombstone-or-empty', weight: 2, make: () => ({ key: key(), value: rng() < 0.5 ? null : Buffer.alloc(0), mustReject: true }) },
    {
      kind: 'deep-nesting', weight: 6, make: () => {
        const depth = 1000 + int(30_000);
        const [o, c] = rng() < 0.5 ? ['[', ']'] : ['{"a":', '}'];
        const inner = `${o.repeat(depth)}1${c.repeat(depth)}`;
        // Either the whole message is the nest (not an object, or malformed when cut), or a valid point carries it.
        if (rng() < 0.5) return { key: key(), value: b(inner), mustReject: true };
        return { key: null, value: b(`{"series":"${series()}","ts":${ts()},"value":1,"deep":${inner}}`), mustReject: false };
      },
    },
    {
      kind: 'deep-nesting-in-field', weight: 3, make: () => {
        const depth = 1000 + int(20_000);
        const field = pick(['series', 'ts', 'value', 'values']);
        const nest = `${'{"x":'.repeat(depth)}1${'}'.repeat(depth)}`;
        const doc: Record<string, string> = { series: `"${series()}"`, ts: String(ts()), value: '1' };
        doc[field] = nest;
        if (field === 'values') delete doc.value;
        return { key: null, value: b(`{${Object.entries(doc).map(([k, v]) => `"${k}":${v}`).join(',')}}`), mustReject: true };
      },
    },
    {
      kind: 'huge-numbers', weight: 8, make: () => {
        const v = pick(['1e308', '-1e308', '1.7976931348623157e308', '3.5e38', '-3.5e38', '1e39', '123456789012345678901234567890', '5e-324', '-0', '3.4e38', '1e-45']);
        return { key: null, value: b(`{"series":"huge${int(50)}","ts":${ts()},"value":${v}}`), mustReject: false };
      },
    },
    {
      kind: 'huge-timestamp', weight: 4, make: () => {
        const t = pick(['1e300', '-1e300', '8.64e15', '-8.64e15', '8.640000000000001e15', '9007199254740993', '"99999999999999999999"', '1e21', '-1']);
        return { key: null, value: b(`{"series":"ht${int(50)}","ts":${t},"value":1}`), mustReject: false };
      },
    },
    {
      kind: 'non-finite-everywhere', weight: 10, make: () => {
        const bad = pick(nonFiniteText);
        const where = pick(['series', 'ts', 'value', 'values', 'channel', 'all']);
        const good: Record<string, string> = { series: `"${series()}"`, ts: String(ts()), value: '1.5' };
        if (where === 'values' || where === 'channel') {
          delete good.value;
          good.values = where === 'values' ? bad : `{"a":1,"b":${bad}}`;
        } else if (where === 'all') {
          good.series = bad;
          good.ts = bad;
          good.value = bad;
        } else good[where] = bad;
        // Series may legitimately be the string "NaN"; a null series falls back to the key (none here).
        const lets = where === 'series' && bad.startsWith('"');
        return { key: null, value: b(`{${Object.entries(good).map(([k, v]) => `"${k}":${v}`).join(',')}}`), mustReject: !lets };
      },
    },
    {
      kind: 'far-timestamps', weight: 6, make: () => {
        const t = pick(['"0001-01-01T00:00:00Z"', '"9999-12-31T23:59:59.999Z"', '"275760-09-13T00:00:00Z"', '-62135596800000', '253402300799999', '0', '1', '"1970-01-01T00:00:00+14:00"', '"2024-01-01T00:00:00"', '"2024-02-30T00:00:00Z"']);
        // The same few series jump back and forth in time: far future closes their steps, far past is too late.
        return { key: null, value: b(`{"series":"far${int(5)}","ts":${t},"value":${rng()}}`), mustReject: false };
      },
    },
    {
      kind: 'wrong-types', weight: 6, make: () => {
        const v = pick(['true', '[]', '{}', '"1"', 'null', '[1,2]', '{"value":1}']);
        const where = pick(['series', 'ts', 'value']);
        const good: Record<string, string> = { series: `"${series()}"`, ts: String(ts()), value: '1' };
        good[where] = v;
        // A null series with no key is missing_series; a string "1" is a fine id (only there).
        const lets = (where === 'series' || where === 'ts') && v === '"1"'; // "1" is an id, and epoch second 1
        return { key: null, value: b(`{${Object.entries(good).map(([k, x]) => `"${k}":${x}`).join(',')}}`), mustReject: !lets };
      },
    },
    {
      kind: 'prototype-keys', weight: 3, make: () => {
        const v = pick([
          `{"__proto__":{"series":"p","ts":${ts()},"value":1}}`,
          `{"constructor":{"prototype":{"value":1}},"series":"p1","ts":${ts()}}`,
          `{"series":"p2","ts":${ts()},"values":{"__proto__":1,"constructor":2,"toString":3}}`,
          `{"series":"p3","ts":${ts()},"value":1,"__proto__":null}`,
          `{"series.x":"p4","ts":${ts()},"value":1}`,
        ]);
        return { key: null, value: b(v), mustReject: v.startsWith('{"__proto__"') || v.startsWith('{"constructor"') || v.includes('"series.x"') };
      },
    },
    {
      kind: 'limits', weight: 8, make: () => {
        const which = int(8);
        if (which === 0) return { key: null, value: b(`{"series":"${'s'.repeat(512)}","ts":${ts()},"value":1}`), mustReject: false };
        if (which === 1) return { key: null, value: b(`{"series":"${'s'.repeat(513)}","ts":${ts()},"value":1}`), mustReject: true };
        if (which === 2) return { key: Buffer.from([0xff, 0xfe, 0x80]), value: b(`{"ts":${ts()},"value":1}`), mustReject: true };
        if (which === 3) return { key: null, value: b(`{"series":"","ts":${ts()},"value":1}`), mustReject: true };
        if (which === 4) return { key: null, value: b(`{"series":"ch${int(20)}","ts":${ts()},"values":{${Array.from({ length: 257 }, (_, i) => `"c${i}":1`).join(',')}}}`), mustReject: true };
        if (which === 5) return { key: null, value: b(`{"series":"ch256-${int(5)}","ts":${ts()},"values":{${Array.from({ length: 256 }, (_, i) => `"c${i}":${i}`).join(',')}}}`), mustReject: false };
        if (which === 6) return { key: null, value: b(`{"series":"ch${int(20)}","ts":${ts()},"values":{"":1}}`), mustReject: true };
        return { key: null, value: b(`{"series":"ch${int(20)}","ts":${ts()},"values":{"${'c'.repeat(256)}":1}}`), mustReject: true };
      },
    },
    {
      kind: 'max-size', weight: 2, make: () => {
        const head = `{"series":"big${int(10)}","ts":${ts()},"value":1,"pad":"`;
        const exact = rng() < 0.5;
        const size = exact ? MAX_MESSAGE_BYTES : MAX_MESSAGE_BYTES + 1 + int(200_000);
        return { key: null, value: b(`${head}${'x'.repeat(size - head.length - 2)}"}`), mustReject: !exact };
      },
    },
    {
      kind: 'max-size-garbage', weight: 1, make: () => ({ key: key(), value: bytes(MAX_MESSAGE_BYTES, true), mustReject: true }),
    },
  ];
}

/** The stream: `hostile` hostile messages with `distinctSeries` one-point series spread among them. */
export function* fuzzStream(hostile: number, distinctSeries: number, seed: number): Generator<Msg> {
  const rng = uniformRng(seed);
  const gens = hostileGenerators(rng);
  const total = gens.reduce((n, g) => n + g.weight, 0);
  let h = 0;
  let c = 0;
  while (h < hostile || c < distinctSeries) {
    // Interleave so that both kinds run over the whole stream.
    if (c < distinctSeries && (h >= hostile || c / distinctSeries <= h / hostile)) {
      const ts = BASE_MS + c * 1000;
      yield { key: null, value: Buffer.from(`{"series":"card-${c}-${seed}","ts":${ts},"value":${(c % 997) / 10}}`), kind: 'cardinality', mustReject: false };
      c++;
      continue;
    }
    let r = rng() * total;
    const g = gens.find((x) => (r -= x.weight) < 0) ?? gens[0]!;
    yield { ...g.make(), kind: g.kind };
    h++;
  }
}


/** Label sets per hourglass_ metric family in a Prometheus text exposition (`le`/`quantile` and _bucket/_sum/_count folded). */
export function labelSetsPerMetric(text: string): Record<string, number> {
  const sets = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('hourglass_')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? /.exec(line);
    if (!m) continue;
    const name = m[1]!.replace(/_(bucket|sum|count)$/, '');
    const labels = (m[3] ?? '').split(/,(?=[a-zA-Z_]+=")/).filter((l) => l && !l.startsWith('le=') && !l.startsWith('quantile=')).sort().join(',');
    const set = sets.get(name) ?? new Set<string>();
    set.add(labels);
    sets.set(name, set);
  }
  return Object.fromEntries([...sets].map(([k, v]) => [k, v.size]));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round1 = (x: number) => Math.round(x * 10) / 10;

export async function runFuzz(options: FuzzOptions): Promise<FuzzSummary> {
  const log = options.log ?? (() => undefined);
  const maxLiveSeries = options.maxLiveSeries ?? 20_000;
  const rssBound = options.rssBoundMiB ?? 512;
  const labelSetCap = options.labelSetCap ?? 64;
  const t00 = Date.now();
  const failures: string[] = [];
  const id = uniqueName('fuzz');
  const topics = { input: `${id}.points`, windows: `${id}.windows`, dlq: `${id}.dlq` };
  const kafka = createKafka({ brokers: [...options.brokers], clientId: id, connectionTimeoutMs: 3000 });
  const admin = kafka.admin();
  await admin.connect();
  let ingest: SupervisedIngest | undefined;
  const readers: Consumer[] = [];
  try {
    await createTopicsAndWait(admin, [{ topic: topics.input, numPartitions: 1 }, { topic: topics.windows, numPartitions: 2 }, { topic: topics.dlq, numPartitions: 2 }]);
    const port = await freePort();
    const config = {
      kafka: { brokers: [...options.brokers], clientId: id },
      ops: { host: '127.0.0.1', port },
      log: { level: 'warn' },
      topics: { windows: topics.windows, deadLetter: topics.dlq },
      ingest: {
        groupId: `${id}-ingest`, topics: [topics.input], maxLiveSeries,
        parse: { maxMessageBytes: MAX_MESSAGE_BYTES }, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1000, maxWaitTimeMs: 100,
      },
      groups: [
        { name: 'multi', match: { regex: 'ch.*' }, window: { lengthSteps: 4, strideSteps: 1 } },
        { name: 'fz', match: { glob: '*' }, window: { lengthSteps: 8, strideSteps: 2 } },
      ],
    };
    const url = `http://127.0.0.1:${port}`;
    ingest = new SupervisedIngest(config, failures);
    await ingest.start(url);

    // Readers of the DLQ and the windows topic.
    const letters = new Map<number, DeadLetter[]>();
    let letterCount = 0;
    let windowsTotal = 0;
    let nonFinite = 0;
    let undecodable = 0;
    const nonFiniteExamples: string[] = [];
    const read = async (topic: string, each: (value: Buffer) => void): Promise<void> => {
      const consumer = kafka.consumer({ groupId: uniqueName('fuzz-reader'), sessionTimeout: 10_000, heartbeatInterval: 1000, maxWaitTimeInMs: 200, maxBytesPerPartition: 4 * 1024 * 1024 });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachBatch: async ({ batch }) => { for (const m of batch.messages) each(m.value!); } });
      readers.push(consumer);
    };
    await read(topics.dlq, (value) => {
      const l = JSON.parse(value.toString()) as DeadLetter;
      letterCount++;
      const list = letters.get(Number(l.offset)) ?? [];
      list.push(l);
      letters.set(Number(l.offset), list);
    });
    await read(topics.windows, (value) => {
      try {
        for (const w of decodeWindows(value)) {
          windowsTotal++;
          if (!w.values.every((v) => Number.isFinite(v))) {
            nonFinite++;
            if (nonFiniteExamples.length < 3) nonFiniteExamples.push(`${w.series}@${w.endMs}: ${[...w.values].slice(0, 8).join(',')}`);
          }
        }
      } catch {
        windowsTotal++;
        undecodable++;
      }
    });

    // Sample RSS and live series every second.
    let maxLive = 0;
    const metricsText = async (): Promise<string> => (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    const metric = (text: string, name: string): number => Number(new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? 0);
    ingest.startSampling(async () => {
      const text = await metricsText().catch(() => '');
      maxLive = Math.max(maxLive, metric(text, 'hourglass_ingest_live_series'));
    });

    // Produce, in order, to the one input partition; remember which offsets must be refused.
    log(`producing ${options.hostile} hostile messages and ${options.distinctSeries} distinct series`);
    const tProduce = Date.now();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const mustReject: number[] = [];
    const kindAt: string[] = [];
    const byKind: Record<string, number> = {};
    let offset = 0;
    let batch: { key: Buffer | null; value: Buffer | null }[] = [];
    let batchBytes = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      await producer.send({ topic: topics.input, acks: -1, messages: batch });
      batch = [];
      batchBytes = 0;
    };
    for (const m of fuzzStream(options.hostile, options.distinctSeries, options.seed)) {
      byKind[m.kind] = (byKind[m.kind] ?? 0) + 1;
      if (m.mustReject) mustReject.push(offset);
      kindAt.push(m.kind);
      offset++;
      batch.push({ key: m.key, value: m.value });
      batchBytes += (m.value?.length ?? 0) + 64;
      if (batch.length >= 2000 || batchBytes > 512 * 1024) await flush();
    }
    await flush();
    await producer.disconnect();
    const messages = offset;
    const produceSeconds = (Date.now() - tProduce) / 1000;
    const first = (await admin.fetchTopicOffsets(topics.input))[0]!;
    if (Number(first.high) !== messages) failures.push(`the input topic holds ${first.high} messages, ${messages} were produced`);

    // Wait until ingest has counted every message, and the DLQ reader has every dead letter.
    log(`produced ${messages} messages in ${round1(produceSeconds)} s; waiting for ingest`);
    const tDrain = Date.now();
    const counts = (text: string) => {
      const o = (outcome: string) => Number(new RegExp(`^hourglass_ingest_points_total\\{outcome="${outcome}"\\} ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? 0);
      return { accepted: o('accepted'), duplicate: o('duplicate'), rejected: o('rejected') };
    };
    let outcomes = { accepted: 0, duplicate: 0, rejected: 0 };
    const drainDeadline = Date.now() + Math.max(300_000, messages * 2);
    let lastLog = Date.now();
    for (;;) {
      const text = await metricsText().catch(() => '');
      outcomes = counts(text);
      const seen = outcomes.accepted + outcomes.duplicate + outcomes.rejected;
      if (seen >= messages && letters.size >= outcomes.rejected) break;
      if (Date.now() > drainDeadline) {
        failures.push(`timed out: ingest counted ${seen} of ${messages} messages; ${letters.size} dead letters of ${outcomes.rejected} rejected`);
        break;
      }
      if (Date.now() - lastLog > 15_000) {
        log(`  ingest counted ${seen}/${messages}; dead letters ${letters.size}`);
        lastLog = Date.now();
      }
      await sleep(500);
    }
    await sleep(1000);
    const drainSeconds = (Date.now() - tDrain) / 1000;
    const finalText = await metricsText().catch(() => '');
    outcomes = counts(finalText);
    await ingest.stopSampling();
    const peakRss = ingest.peakRssMiB;
    const exits = ingest.exits;
    const ready = await fetch(`${url}/readyz`).then((r) => r.status, () => 0);
    const evictions = metric(finalText, 'hourglass_ingest_series_evictions_total');

    // Checks.
    if (exits > 0 || ingest.exitCode !== null) failures.push(`ingest exited ${exits} time(s)`);
    if (ready !== 200) failures.push(`ingest is not ready at the end (/readyz ${ready})`);
    if (peakRss > rssBound) failures.push(`ingest peak RSS ${Math.round(peakRss)} MiB is over its bound of ${rssBound} MiB`);
    if (maxLive > maxLiveSeries) failures.push(`live series reached ${maxLive}, over maxLiveSeries ${maxLiveSeries}`);
    const seen = outcomes.accepted + outcomes.duplicate + outcomes.rejected;
    // Every message is counted; a point held for interval inference and merged later as a duplicate is counted twice (reported).
    if (seen < messages) failures.push(`ingest counted ${seen} outcomes for ${messages} messages`);
    if (letters.size !== outcomes.rejected) failures.push(`${letters.size} distinct offsets on the DLQ, ${outcomes.rejected} messages rejected`);
    const missing = mustReject.filter((o) => !letters.has(o));
    if (missing.length > 0) failures.push(`${missing.length} messages that must be refused are not on the DLQ, e.g. ${missing.slice(0, 8).map((o) => `offset ${o} (${kindAt[o]})`).join(', ')}`);
    const byReason: Record<string, number> = {};
    let badLetters = 0;
    for (const [o, list] of letters) {
      for (const l of list) {
        byReason[l.reason] = (byReason[l.reason] ?? 0) + 1;
        if (!(REJECT_REASONS as readonly string[]).includes(l.reason) || !l.detail || l.topic !== topics.input || Number(l.offset) !== o) badLetters++;
      }
    }
    if (badLetters > 0) failures.push(`${badLetters} dead letters without a known reason, a detail or their source`);
    if (nonFinite > 0) failures.push(`${nonFinite} windows hold non-finite values, e.g. ${nonFiniteExamples.join('; ')}`);
    if (undecodable > 0) failures.push(`${undecodable} windows do not decode`);
    const labelSets = labelSetsPerMetric(finalText);
    for (const [name, n] of Object.entries(labelSets)) if (n > labelSetCap) failures.push(`${name} has ${n} label sets, over the cap of ${labelSetCap}`);
    ingest.stopRestarting();
    return {
      ok: failures.length === 0,
      failures,
      messages,
      hostile: options.hostile,
      distinctSeries: options.distinctSeries,
      byKind,
      outcomes,
      outcomeOverCount: seen - messages,
      deadLetters: { distinct: letters.size, total: letterCount, byReason },
      mustRejectMissingFromDlq: missing.length,
      windows: { total: windowsTotal, nonFinite, undecodable },
      ingest: { exits, peakRssMiB: Math.round(peakRss), maxLiveSeriesSeen: maxLive, maxLiveSeries, evictions },
      labelSets,
      seconds: { produce: round1(produceSeconds), drain: round1(drainSeconds), total: round1((Date.now() - t00) / 1000), messagesPerSecond: Math.round(messages / ((Date.now() - tProduce) / 1000)) },
    };
  } finally {
    await ingest?.stop();
    for (const r of readers) await r.disconnect().catch(() => undefined);
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await admin.disconnect();
  }
}
