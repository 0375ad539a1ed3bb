import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { compileConfig, decodeWindows } from '@hourglass/core';
import { createKafka, createTopicsAndWait } from '@hourglass/kafka';
import { initBackend } from '@hourglass/model';
import { createRedis } from '@hourglass/redis';
import { createLogger } from '@hourglass/runtime';
import { refitPolicy } from '@hourglass/pipeline';
import { createRedisTrainer } from '@hourglass/trainer';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { KAFKA_VERSION } from '../infra/services';
import { repoRoot, stateDir } from '../infra/paths';
import { infrastructureFromEnv, resolveInfrastructure, type Infrastructure } from '../support/infrastructure';
import { getJson, uniqueName } from '../support/fixtures';
import { cleanValue, isSpike, trainingWindows, uniformRng, type SpikySine } from '../support/spiky-sine';
import { freePort } from '../infra/processes';
import { startServiceProcess, type ServiceProcess } from '../support/processes';
import { environment, markdownTable, median, nowMs } from './bench-util';

/**
 * `npm run bench:pipeline [-- --json] [--points N] [--latency-seconds S] [--rate-fraction F]`: ingest plus one
 * scorer, each its own `hourglass ingest|scorer --config FILE` process, against the real broker.
 *
 * 1. Sustained throughput. N points (SERIES series, one point per step) are produced to a fresh
 *    input topic first. The scorer is started and waits (joined, model loaded); then ingest is
 *    started. The clock runs from the moment ingest's /readyz says it holds its partitions to the
 *    moment the scorer's consumer group has committed every window those N points complete
 *    (S x (steps - W) windows: with allowedLateness 0 the window ending at a series' newest step
 *    is emitted only when that series' next point arrives). Sustained = N / that span. The bare
 *    kafkajs read rate of the same input topic is taken in the same run, before the services start.
 * 2. Latency at half that rate. The same series go on at a paced rate with a spike every
 *    SPIKE_EVERY steps per series (staggered), one produce request every SEND_EVERY_MS with what is
 *    due; each point's wall-clock send time (its request's send call) is kept. For every
 *    `open` event on the anomalies topic, latency = its arrival time here - the send time of the
 *    point at the event's windowEnd.
 * 3. The scorer's own inference rate, from its /metrics (windows_total / inference seconds).
 *
 * `--scorer-cpu-prof DIR`: the scorer child runs under `node --cpu-prof --cpu-prof-dir DIR` (the
 * profile is written when it stops), and DIR/phase-a.json holds the sustained span on the
 * monotonic clock that V8's profile timestamps use, so that `profile-shares.js --span
 * DIR/phase-a.json` counts only the samples of the sustained phase (not start-up or phase B);
 * DIR/phase-b.json is the paced phase, from its first send to the scorer's last commit.
 */
const args = process.argv.slice(2);
const USAGE = `usage: node test/dist/bench/pipeline.js [options]   (starts the local broker and Redis unless KAFKA_BROKERS etc. are set)
  --json                 one JSON object on the last stdout line instead of markdown
  --points N             points in the sustained phase (default 120000)
  --latency-seconds S    length of the paced phase (default 60)
  --rate-fraction F      pace the paced phase at F x the sustained rate (default 0.5)
  --paced-rate P         pace it at P points/s instead (for A/B runs on a machine whose load varies)
  --set path=value       a service setting other than its default, e.g. --set scorer.batchMaxWaitMs=50 (repeatable)
  --scorer-cpu-prof DIR  run the scorer under node --cpu-prof; DIR/phase-a.json is the sustained span, DIR/phase-b.json the paced one`;
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const json = args.includes('--json');
const option = (name: string): number | undefined => {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : Number.NaN;
  return Number.isFinite(v) && v > 0 ? v : undefined;
};
const SERIES = 32;
const PARTITIONS = 4;
const W = 64;
const INTERVAL_MS = 1000;
const SPIKE_EVERY = 150;
const SPIKE = 8;
const FIXED_THRESHOLD = 0.25;
const GROUP = 'bench';
const STEPS_A = Math.ceil((option('--points') ?? 120_000) / SERIES);
const POINTS_A = STEPS_A * SERIES;
const LATENCY_SECONDS = option('--latency-seconds') ?? 60;
/** Share of the measured sustained rate the latency phase is paced at (the issue asks for 0.5). */
const RATE_FRACTION = Math.min(1, option('--rate-fraction') ?? 0.5);
/**
 * `--paced-rate P`: pace phase B at P points/s instead of a fraction of phase A's rate, so that runs
 * of two settings on a machine whose other load comes and goes meet the same rate (A/B runs).
 */
const PACED_RATE = option('--paced-rate');
const PHASE_A_TIMEOUT_MS = 300_000;
/** The paced sender sends what is due once per tick; each point is stamped at its request's send call. */
const SEND_EVERY_MS = 10;
/** Points per produce request at most (phase A's requests are that size too: 150 steps of 32 series). */
const MAX_POINTS_PER_SEND = 4800;
const SCORER_PROFILE_DIR = args.includes('--scorer-cpu-prof') ? args[args.indexOf('--scorer-cpu-prof') + 1] : undefined;
/**
 * `--set path=value` (repeatable): a service setting other than its default, for both services, e.g.
 * `--set scorer.batchMaxWaitMs=0`; the value is JSON when it parses as JSON, else a string. For
 * trying a setting before it becomes a default; the report lists what was set.
 */
const OVERRIDES: readonly (readonly [string, unknown])[] = args.flatMap((a, i) => {
  if (a !== '--set' || !args[i + 1]?.includes('=')) return [];
  const text = args[i + 1]!;
  const [path, value] = [text.slice(0, text.indexOf('=')), text.slice(text.indexOf('=') + 1)];
  try {
    return [[path, JSON.parse(value) as unknown] as const];
  } catch {
    return [[path, value] as const];
  }
});
function withOverrides<T extends Record<string, unknown>>(config: T): T {
  for (const [path, value] of OVERRIDES) {
    const keys = path.split('.');
    let at: Record<string, unknown> = config;
    for (const key of keys.slice(0, -1)) at = (at[key] ??= {}) as Record<string, unknown>;
    at[keys.at(-1)!] = value;
  }
  return config;
}
/** Microseconds on the monotonic clock (CLOCK_MONOTONIC on Linux, as V8's CPU profile timestamps). */
const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);
const BASE_MS = Date.UTC(2024, 0, 1);
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
const KAFKAJS_VERSION = (JSON.parse(readFileSync(join(dirname(require.resolve('kafkajs')), 'package.json'), 'utf8')) as { version: string }).version;
/** Wall clock with sub-millisecond resolution: send stamps and arrival stamps use the same one. */
const wall = (): number => performance.timeOrigin + performance.now();
const progress = (line: string): void => void process.stderr.write(`[bench:pipeline ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round1 = (x: number): number => Math.round(x * 10) / 10;

/** The stream (test/support/spiky-sine.ts): a noisy sine per series with staggered single-step spikes. */
const SINE: SpikySine = { steps: W, spikeEverySteps: SPIKE_EVERY, group: GROUP, intervalMs: INTERVAL_MS, baseMs: BASE_MS };

class Generator {
  private readonly rngs = Array.from({ length: SERIES }, (_, s) => uniformRng(1000 + s));
  static isSpike(s: number, step: number): boolean {
    return isSpike(SINE, s, step);
  }
  /** The message of series s at step `step` (call in step order per series). */
  point(s: number, step: number): { key: string; value: string; ts: number } {
    let value = cleanValue(this.rngs[s]!, s, step);
    if (Generator.isSpike(s, step)) value += SPIKE;
    const ts = BASE_MS + step * INTERVAL_MS;
    return { key: `s${s}`, ts, value: JSON.stringify({ series: `s${s}`, ts, value: Math.round(value * 1e4) / 1e4 }) };
  }
}

/** CPU seconds (user + system) a process has used, from /proc; null when it cannot be read. */
function processCpuSeconds(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100 on Linux)
  } catch {
    return null;
  }
}

/** Busy CPU seconds of the whole machine (all cores), from /proc/stat. */
function machineCpuSeconds(): number | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    return (total - f[3]! - f[4]!) / 100;
  } catch {
    return null;
  }
}

/** The pids of the local broker and Redis, when the addresses in use are those of `infra:up`. */
function infraPids(infra: Infrastructure): { kafka?: number; redis?: number } {
  try {
    const state = JSON.parse(readFileSync(join(stateDir(), 'state.json'), 'utf8')) as Record<string, { pid: number; ports: { port: number } }>;
    const out: { kafka?: number; redis?: number } = {};
    if (state.kafka && infra.kafkaBrokers.some((b) => b.endsWith(`:${state.kafka!.ports.port}`))) out.kafka = state.kafka.pid;
    if (state.redis && new URL(infra.redisUrl).port === String(state.redis.ports.port)) out.redis = state.redis.pid;
    return out;
  } catch {
    return {};
  }
}

/** The scorer's inference counters for the bench group, from its /metrics. */
async function scorerCounters(opsUrl: string): Promise<{ windows: number; inferenceSeconds: number; batches: number }> {
  const text = await (await fetch(`${opsUrl}/metrics`)).text();
  const read = (name: string): number => Number(new RegExp(`^${name}\\{group="${GROUP}"\\} ([0-9.e+-]+)`, 'm').exec(text)?.[1] ?? Number.NaN);
  return {
    windows: read('hourglass_scorer_windows_total'),
    inferenceSeconds: read('hourglass_scorer_inference_duration_seconds_sum'),
    batches: read('hourglass_scorer_inference_duration_seconds_count'),
  };
}

/**
 * Windows ingest has produced (its `hourglass_ingest_windows_total`, counted once Kafka acknowledged
 * them) and how many of them the scorer has committed. A windows-topic message is a block of windows
 * (format version 2), so offsets count messages: `committed` is exact (= produced) once the
 * scorer's commits reach every partition's end, and otherwise the produced windows times the share
 * of messages committed (the backlog samples are that estimate).
 */
async function windowProgress(admin: Admin, topic: string, groupId: string, ingestUrl: string): Promise<{ produced: number; committed: number }> {
  const [ends, [committed], metrics] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] }), fetch(`${ingestUrl}/metrics`).then((r) => r.text())]);
  const produced = Number(/^hourglass_ingest_windows_total ([0-9.e+-]+)/m.exec(metrics)?.[1] ?? 0);
  const done = new Map((committed?.partitions ?? []).map((p) => [p.partition, Math.max(0, Number(p.offset))]));
  const messages = ends.reduce((n, e) => n + Number(e.high), 0);
  const committedMessages = ends.reduce((n, e) => n + Math.min(Number(e.high), done.get(e.partition) ?? 0), 0);
  return { produced, committed: committedMessages === messages ? produced : Math.floor((produced * committedMessages) / Math.max(1, messages)) };
}

/** Points/s for a kafkajs consumer that only reads the topic (eachBatch, no work), first batch to last. */
async function bareRate(kafka: Kafka, topic: string, points: number): Promise<number> {
  const consumer = kafka.consumer({ groupId: uniqueName('bench-bare'), sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let first = 0;
  const end = await new Promise<number>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        if (seen === 0) first = performance.now();
        seen += batch.messages.length;
        if (seen >= points) resolve(performance.now());
      },
    });
  });
  await consumer.disconnect();
  return (points / (end - first)) * 1000;
}

function backlogMedian(samples: readonly { ingest: number; scorer: number }[]): number {
  return Math.round(median(samples.map((b) => b.ingest + b.scorer)));
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!; // nearest rank
}

interface Arrival {
  readonly at: number;
  /** The anomalies message's Kafka timestamp: when the scorer's producer encoded its request (CreateTime). */
  readonly producedAt: number;
  readonly event: { state?: string; series?: string; windowEnd?: string; detectedAt?: string };
}

/** What the bench's reader of the windows topic saw of a spike's window (phase B). */
interface WindowSeen {
  /** When ingest took the batch holding the window's newest point (the window's ingestedAtMs). */
  readonly ingestedAt: number;
  /** The windows message's Kafka timestamp: when ingest's producer encoded its request (CreateTime). */
  readonly producedAt: number;
  /** When the bench's reader of the windows topic received it. */
  readonly seenAt: number;
}

/** p50 and p99 (nearest rank) of the values, in ms with one decimal. */
function spread(values: readonly number[]): { n: number; p50Ms: number; p99Ms: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, p50Ms: round1(quantile(sorted, 0.5)), p99Ms: round1(quantile(sorted, 0.99)) };
}

async function main(): Promise<void> {
  const t00 = nowMs();
  const env = environment(repoRoot());
  const infra = infrastructureFromEnv() ?? (await resolveInfrastructure(process.env, progress));
  const { info: backend } = await initBackend({ requireNative: false, warn: progress });
  const id = uniqueName('bp');
  const topics = { input: `${id}.points`, windows: `${id}.windows`, anomalies: `${id}.anomalies`, dlq: `${id}.dlq` };
  const [ingestPort, scorerPort] = [await freePort(), await freePort()];
  const group = {
    name: GROUP, match: { glob: '*' },
    window: { lengthSteps: W, strideSteps: 1, intervalMs: INTERVAL_MS },
    episodes: { openAfterWindows: 1, closeAfterWindows: 3 },
    model: { epochs: 30, threshold: { method: 'fixed', value: FIXED_THRESHOLD } },
  };
  // Service defaults everywhere except names, ports and the log level: what an operator gets.
  const raw = (port: number) => withOverrides({
    kafka: { brokers: [...infra.kafkaBrokers], clientId: id },
    redis: { url: infra.redisUrl, keyPrefix: `${id}:` },
    ops: { port },
    log: { level: process.env.HOURGLASS_BENCH_LOG ?? 'warn' },
    topics: { windows: topics.windows, anomalies: topics.anomalies, deadLetter: topics.dlq },
    ingest: { groupId: `${id}-ingest`, topics: [topics.input] },
    scorer: { groupId: `${id}-scorer` },
    groups: [group],
  });
  const config = compileConfig(raw(0));
  const kafka = createKafka({ ...config.kafka, connectionTimeoutMs: 3000 });
  const admin = kafka.admin();
  await admin.connect();
  const redis = createRedis(config.redis.url);
  const running: ServiceProcess[] = [];
  const killAll = () => running.forEach((p) => p.child.exitCode === null && p.child.signalCode === null && p.child.kill('SIGKILL'));
  process.once('exit', killAll);
  let collector: { stop(): Promise<void> } | undefined;
  /** The phase-B backlog sampler's loop runs while this is true; cleared in `finally` too, or a failed run never exits. */
  let sampling = false;
  let producer: Producer | undefined;
  try {
    await createTopicsAndWait(admin, [topics.input, topics.windows, topics.anomalies].map((topic) => ({ topic, numPartitions: PARTITIONS })).concat([{ topic: topics.dlq, numPartitions: 1 }]));

    // The model, fitted on clean windows of the same generator, is in the registry before the scorer starts.
    progress(`fitting the model (backend ${backend.name}) on 2000 clean windows`);
    const trainer = createRedisTrainer(config, redis, createLogger({ level: 'silent' }));
    await trainer.buffer.append(GROUP, trainingWindows(SINE, 2000, SERIES));
    const fitted = await trainer.stage.refit(GROUP, config.groups[0]!.model, refitPolicy(config));
    if (fitted.status !== 'promoted') throw new Error(`the model was not promoted: ${JSON.stringify(fitted)}`);
    await redis.del(`${config.redis.keyPrefix}buffer:${GROUP}`);

    // Phase A: pre-load N points.
    progress(`producing ${POINTS_A} points (${SERIES} series x ${STEPS_A} steps) to ${topics.input}`);
    const gen = new Generator();
    producer = kafka.producer();
    await producer.connect();
    for (let start = 0; start < STEPS_A; start += 150) {
      const messages = [];
      for (let step = start; step < Math.min(STEPS_A, start + 150); step++) for (let s = 0; s < SERIES; s++) messages.push(gen.point(s, step));
      await producer.send({ topic: topics.input, messages: messages.map(({ key, value }) => ({ key, value })) });
    }
    progress('bare kafkajs read of the input topic (2 rounds)');
    const bare = [await bareRate(kafka, topics.input, POINTS_A), await bareRate(kafka, topics.input, POINTS_A)];

    const arrivals: Arrival[] = [];
    const consumer = kafka.consumer({ groupId: uniqueName('bench-collector'), sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: topics.anomalies, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void arrivals.push({ at: wall(), producedAt: Number(message.timestamp), event: JSON.parse(message.value!.toString()) as Arrival['event'] }) });
    // For the latency breakdown: the windows that end at a spike, as they pass through the windows
    // topic in phase B (messages stamped before phase B are skipped undecoded).
    const windowsSeen = new Map<string, WindowSeen>();
    let phaseBFrom = Number.POSITIVE_INFINITY;
    const windowsReader = kafka.consumer({ groupId: uniqueName('bench-windows'), sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
    await windowsReader.connect();
    await windowsReader.subscribe({ topic: topics.windows, fromBeginning: true });
    await windowsReader.run({
      eachBatch: async ({ batch }) => {
        const seenAt = wall();
        for (const message of batch.messages) {
          const producedAt = Number(message.timestamp);
          if (producedAt < phaseBFrom || !message.value) continue;
          for (const w of decodeWindows(message.value)) {
            if (!Generator.isSpike(Number(w.series.slice(1)), (w.endMs - BASE_MS) / INTERVAL_MS)) continue;
            const key = `${w.series}@${w.endMs}`;
            if (!windowsSeen.has(key)) windowsSeen.set(key, { ingestedAt: w.ingestedAtMs, producedAt, seenAt });
          }
        }
      },
    });
    collector = { stop: async () => void (await Promise.all([consumer.disconnect(), windowsReader.disconnect()])) };

    progress('starting the scorer');
    if (SCORER_PROFILE_DIR) mkdirSync(SCORER_PROFILE_DIR, { recursive: true });
    const scorer = startServiceProcess('scorer', raw(scorerPort), {}, [], SCORER_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${SCORER_PROFILE_DIR}`] : []);
    running.push(scorer);
    const scorerUrl = `http://127.0.0.1:${scorerPort}`;
    const scorerReady = await waitFor('the scorer to join with its model', 120_000, 100, [scorer], async () => {
      const r = await getJson(`${scorerUrl}/readyz`);
      return r?.status === 200 && (r.body.models as Record<string, string> | undefined)?.[GROUP] === 'v1' ? r.body : undefined;
    });
    if (scorerReady.backend !== 'tensorflow') {
      process.stdout.write(`bench:pipeline: the scorer is on the '${String(scorerReady.backend)}' backend, not the native 'tensorflow' one; refusing to report.\n`);
      process.exitCode = 1;
      return;
    }

    progress('starting ingest; the clock starts when it holds its partitions');
    const ingest = startServiceProcess('ingest', raw(ingestPort));
    running.push(ingest);
    const pids = { ...infraPids(infra), ingest: ingest.child.pid, scorer: scorer.child.pid };
    await waitFor('ingest to hold its partitions', 60_000, 10, [ingest], async () => ((await getJson(`http://127.0.0.1:${ingestPort}/readyz`))?.status === 200 ? true : undefined));
    const t0 = nowMs();
    const t0Us = monotonicUs();
    const cpu0 = cpuSnapshot(pids);
    const expectedA = SERIES * (STEPS_A - W);
    let ingestDoneMs: number | undefined;
    await waitFor(`the scorer to commit all ${expectedA} windows`, PHASE_A_TIMEOUT_MS, 100, [scorer, ingest], async () => {
      const p = await windowProgress(admin, topics.windows, config.scorer.groupId, `http://127.0.0.1:${ingestPort}`);
      if (ingestDoneMs === undefined && p.produced >= expectedA) ingestDoneMs = nowMs() - t0;
      return p.committed >= expectedA ? true : undefined;
    });
    const spanA = nowMs() - t0;
    if (SCORER_PROFILE_DIR) writeFileSync(join(SCORER_PROFILE_DIR, 'phase-a.json'), JSON.stringify({ fromUs: t0Us, toUs: monotonicUs() }));
    const cpuA = cpuDelta(cpu0, cpuSnapshot(pids));
    const producedA = (await windowProgress(admin, topics.windows, config.scorer.groupId, `http://127.0.0.1:${ingestPort}`)).produced;
    const countersA = await scorerCounters(scorerUrl);
    const sustained = (POINTS_A / spanA) * 1000;
    progress(`phase A: ${POINTS_A} points in ${(spanA / 1000).toFixed(1)} s = ${Math.round(sustained)} points/s (ingest produced every window at ${((ingestDoneMs ?? spanA) / 1000).toFixed(1)} s)`);

    // Phase B: paced at half the sustained rate, with send times.
    const rate = PACED_RATE ?? sustained * RATE_FRACTION;
    const stepsB = Math.max(W, Math.round((rate * LATENCY_SECONDS) / SERIES));
    const totalB = stepsB * SERIES;
    progress(`phase B: ${totalB} points at ${Math.round(rate)} points/s (${stepsB} steps per series, ~${LATENCY_SECONDS} s)`);
    const planned = Array.from({ length: totalB }, (_, k) => gen.point(k % SERIES, STEPS_A + Math.floor(k / SERIES)));
    const sentAt = new Map<string, number>();
    const arrivalsBefore = arrivals.length;
    phaseBFrom = Date.now() - 1;
    const tBUs = monotonicUs();
    const tB = nowMs();
    const cpuB0 = cpuSnapshot(pids);
    let sent = 0;
    let maxBehindMs = 0;
    // Once a second: windows the sent points complete that ingest has not produced yet, and
    // windows produced that the scorer has not committed yet (does the pipeline keep up?).
    const backlog: { t: number; ingest: number; scorer: number }[] = [];
    sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const expected = SERIES * Math.max(0, STEPS_A + Math.floor(sent / SERIES) - 1 - W);
        const p = await windowProgress(admin, topics.windows, config.scorer.groupId, `http://127.0.0.1:${ingestPort}`).catch(() => undefined);
        if (p) backlog.push({ t: round1((nowMs() - tB) / 1000), ingest: Math.max(0, expected - p.produced), scorer: p.produced - p.committed });
        await sleep(1000);
      }
    })();
    while (sent < totalB) {
      const due = Math.min(totalB, Math.floor(((nowMs() - tB) / 1000) * rate));
      if (due <= sent) {
        await sleep(SEND_EVERY_MS - ((nowMs() - tB) % SEND_EVERY_MS));
        continue;
      }
      maxBehindMs = Math.max(maxBehindMs, nowMs() - tB - (sent / rate) * 1000);
      // At most MAX_POINTS_PER_SEND per request: a sender starved for seconds by other work would
      // otherwise catch up in one request over the broker's 1 MiB message.max.bytes (it failed so once).
      const batch = planned.slice(sent, Math.min(due, sent + MAX_POINTS_PER_SEND));
      const at = wall();
      for (const m of batch) sentAt.set(`${m.key}@${m.ts}`, at);
      await producer.send({ topic: topics.input, messages: batch.map(({ key, value }) => ({ key, value })) });
      sent += batch.length;
      await sleep(SEND_EVERY_MS - ((nowMs() - tB) % SEND_EVERY_MS)); // one request per tick, like a producer lingering 10 ms
    }
    const sendSpan = nowMs() - tB;
    sampling = false;
    await sampler;
    const expectedAll = SERIES * (STEPS_A + stepsB - W);
    const tDrain = nowMs();
    await waitFor('the scorer to commit the paced windows', 120_000, 50, [scorer, ingest], async () => ((await windowProgress(admin, topics.windows, config.scorer.groupId, `http://127.0.0.1:${ingestPort}`)).committed >= expectedAll ? true : undefined));
    const drainMs = nowMs() - tDrain;
    if (SCORER_PROFILE_DIR) writeFileSync(join(SCORER_PROFILE_DIR, 'phase-b.json'), JSON.stringify({ fromUs: tBUs, toUs: monotonicUs() }));
    const cpuB = cpuDelta(cpuB0, cpuSnapshot(pids));
    await sleep(1500); // the collector receives the last events
    const countersB = await scorerCounters(scorerUrl);

    const latencies: number[] = [];
    const fromCompleting: number[] = [];
    const opened = new Set<string>();
    let otherOpens = 0;
    // Per stage, for each open event whose window the windows reader saw (all clocks are this machine's wall clock).
    const stages = { toIngest: [] as number[], ingestToProduce: [] as number[], windowsProduceToSeen: [] as number[], windowsProduceToDetected: [] as number[], detectedToEventProduce: [] as number[], eventProduceToSeen: [] as number[] };
    for (const { at, producedAt, event } of arrivals.slice(arrivalsBefore)) {
      if (event.state !== 'open' || !event.series || !event.windowEnd) continue;
      const end = Date.parse(event.windowEnd);
      const sentPoint = sentAt.get(`${event.series}@${end}`);
      if (sentPoint === undefined) continue; // an event of phase A
      if (opened.has(`${event.series}@${end}`)) continue; // a republished duplicate
      opened.add(`${event.series}@${end}`);
      latencies.push(at - sentPoint);
      const next = sentAt.get(`${event.series}@${end + INTERVAL_MS}`);
      if (next !== undefined) fromCompleting.push(at - next);
      const seen = windowsSeen.get(`${event.series}@${end}`);
      const detectedAt = event.detectedAt ? Date.parse(event.detectedAt) : Number.NaN;
      if (seen && Number.isFinite(detectedAt)) {
        stages.toIngest.push(seen.ingestedAt - sentPoint);
        stages.ingestToProduce.push(seen.producedAt - seen.ingestedAt);
        stages.windowsProduceToSeen.push(seen.seenAt - seen.producedAt);
        stages.windowsProduceToDetected.push(detectedAt - seen.producedAt);
        stages.detectedToEventProduce.push(producedAt - detectedAt);
        stages.eventProduceToSeen.push(at - producedAt);
      }
      const step = (end - BASE_MS) / INTERVAL_MS;
      if (!Generator.isSpike(Number(event.series.slice(1)), step)) otherOpens++;
    }
    let injected = 0;
    let detected = 0;
    for (let step = STEPS_A; step < STEPS_A + stepsB - 1; step++) {
      for (let s = 0; s < SERIES; s++) {
        if (!Generator.isSpike(s, step)) continue;
        injected++;
        if (opened.has(`s${s}@${BASE_MS + step * INTERVAL_MS}`)) detected++;
      }
    }
    latencies.sort((a, b) => a - b);
    fromCompleting.sort((a, b) => a - b);
    const perSecond = (c: { windows: number; inferenceSeconds: number; batches: number }) => ({
      windows: c.windows, inferenceSeconds: Math.round(c.inferenceSeconds * 100) / 100, batches: c.batches,
      windowsPerSecond: Math.round(c.windows / c.inferenceSeconds), meanBatch: Math.round(c.windows / c.batches),
    });
    const inferenceA = perSecond(countersA);
    const inferenceB = perSecond({ windows: countersB.windows - countersA.windows, inferenceSeconds: countersB.inferenceSeconds - countersA.inferenceSeconds, batches: countersB.batches - countersA.batches });

    const result = {
      sustained: {
        points: POINTS_A, series: SERIES, stepsPerSeries: STEPS_A, windows: expectedA, windowsOnTopic: producedA,
        seconds: round1(spanA / 1000), pointsPerSecond: Math.round(sustained),
        ingestProducedAllWindowsSeconds: ingestDoneMs === undefined ? null : round1(ingestDoneMs / 1000),
        bareKafkajsPointsPerSecond: Math.round(Math.max(...bare)), bareRounds: bare.map(Math.round),
        ratio: Number((sustained / Math.max(...bare)).toFixed(4)),
        cpuSeconds: cpuA,
      },
      latency: {
        rateFraction: Math.round((rate / sustained) * 1000) / 1000, pacedRateGiven: PACED_RATE !== undefined, targetPointsPerSecond: Math.round(rate), achievedPointsPerSecond: Math.round((totalB / sendSpan) * 1000), points: totalB, sendSeconds: round1(sendSpan / 1000),
        maxSendBehindMs: Math.round(maxBehindMs), drainAfterLastSendMs: Math.round(drainMs),
        injectedSpikes: injected, detectedSpikes: detected, otherOpens, events: latencies.length,
        p50Ms: round1(quantile(latencies, 0.5)), p99Ms: round1(quantile(latencies, 0.99)), maxMs: round1(latencies.at(-1) ?? Number.NaN),
        fromCompletingPoint: { events: fromCompleting.length, p50Ms: round1(quantile(fromCompleting, 0.5)), p99Ms: round1(quantile(fromCompleting, 0.99)), maxMs: round1(fromCompleting.at(-1) ?? Number.NaN) },
        stepWaitMs: round1((SERIES / rate) * 1000),
        breakdown: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, spread(v)])) as Record<keyof typeof stages, ReturnType<typeof spread>>,
        // The backlog saw-tooths with the scorer's fetches (up to ~1 MiB per partition), so compare medians:
        // kept up = over the last quarter of the sending, less than 2 s of windows waited in ingest and the scorer.
        backlogMedianWindows: { firstQuarter: backlogMedian(backlog.slice(0, Math.ceil(backlog.length / 4))), lastQuarter: backlogMedian(backlog.slice(-Math.ceil(backlog.length / 4))) },
        keptUp: backlogMedian(backlog.slice(-Math.ceil(backlog.length / 4))) < 2 * rate,
        maxBacklogWindows: { ingest: Math.max(0, ...backlog.map((b) => b.ingest)), scorer: Math.max(0, ...backlog.map((b) => b.scorer)) },
        backlogEverySecond: backlog,
        cpuSeconds: cpuB,
      },
      scorerInference: { phaseA: inferenceA, phaseB: inferenceB },
      setup: {
        partitions: PARTITIONS, group, spikeEverySteps: SPIKE_EVERY, spike: SPIKE,
        services: 'hourglass ingest and hourglass scorer as child processes; every ingest/scorer setting at its default except topics, group ids, ops port and log level',
        overrides: Object.fromEntries(OVERRIDES),
      },
      versions: {
        node: process.versions.node, kafkajs: KAFKAJS_VERSION, kafka: KAFKA_VERSION, scorerBackend: scorerReady.backend,
        tfjs: backend.tfjsVersion, tensorflow: backend.tensorflowVersion,
      },
      machine: { cpus: env.cpus, cpuModel: env.cpuModel, loadAvgAtStart: env.loadAvg, loadAvgAtEnd: os.loadavg().map((l) => Math.round(l * 100) / 100), date: env.date, gitCommit: env.gitCommit },
      runtimeSeconds: Math.round((nowMs() - t00) / 1000),
    };
    if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else process.stdout.write(`${formatMarkdown(result)}\n`);
  } finally {
    sampling = false;
    for (const p of running) await stop(p);
    await collector?.stop().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await admin.disconnect();
    const keys = await redis.keys(`${config.redis.keyPrefix}*`).catch(() => [] as string[]);
    if (keys.length > 0) await redis.del(...keys).catch(() => undefined);
    redis.disconnect();
  }
}

/** SIGTERM (graceful: finish the batch, leave the group), SIGKILL after 10 s. */
async function stop(p: ServiceProcess): Promise<void> {
  const timer = setTimeout(() => void p.kill('SIGKILL'), 10_000);
  await p.kill('SIGTERM');
  clearTimeout(timer);
}

/** Polls `probe` every `intervalMs`; fails with the services' last logs if one exits or time runs out. */
async function waitFor<T>(what: string, timeoutMs: number, intervalMs: number, services: readonly ServiceProcess[], probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = nowMs() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    const dead = services.find((s) => s.child.exitCode !== null || s.child.signalCode !== null);
    if (dead || nowMs() > deadline) {
      const logs = services.map((s) => s.logs().slice(-3000)).join('\n---\n');
      throw new Error(`${dead ? 'a service exited' : `timed out after ${timeoutMs} ms`} waiting for ${what}\n${logs}`);
    }
    await sleep(intervalMs);
  }
}

type CpuPids = { kafka?: number; redis?: number; ingest?: number; scorer?: number };
type CpuSnapshot = Record<string, number | null>;

function cpuSnapshot(pids: CpuPids): CpuSnapshot {
  const u = process.cpuUsage();
  return {
    ingest: processCpuSeconds(pids.ingest), scorer: processCpuSeconds(pids.scorer), broker: processCpuSeconds(pids.kafka), redis: processCpuSeconds(pids.redis),
    bench: (u.user + u.system) / 1e6, machine: machineCpuSeconds(), wall: nowMs() / 1000,
  };
}

/** CPU seconds each used between two snapshots, the machine's busy seconds, and the cores' capacity. */
function cpuDelta(a: CpuSnapshot, b: CpuSnapshot): Record<string, number | null> {
  const d = (k: string) => (a[k] === null || a[k] === undefined || b[k] === null || b[k] === undefined ? null : Math.round((b[k]! - a[k]!) * 10) / 10);
  const ours = ['ingest', 'scorer', 'broker', 'redis', 'bench'].map(d);
  const machine = d('machine');
  return {
    ingest: d('ingest'), scorer: d('scorer'), broker: d('broker'), redis: d('redis'), bench: d('bench'),
    machineBusy: machine, capacity: Math.round(d('wall')! * os.cpus().length * 10) / 10,
    otherProcesses: machine === null || ours.some((x) => x === null) ? null : Math.round((machine - ours.reduce((s, x) => s! + x!, 0)!) * 10) / 10,
  };
}

function formatMarkdown(r: {
  sustained: { points: number; seconds: number; pointsPerSecond: number; ingestProducedAllWindowsSeconds: number | null; bareKafkajsPointsPerSecond: number; bareRounds: number[]; ratio: number; windows: number; cpuSeconds: Record<string, number | null> };
  latency: { rateFraction: number; keptUp: boolean; backlogMedianWindows: { firstQuarter: number; lastQuarter: number }; maxBacklogWindows: { ingest: number; scorer: number }; cpuSeconds: Record<string, number | null>; targetPointsPerSecond: number; achievedPointsPerSecond: number; points: number; sendSeconds: number; maxSendBehindMs: number; drainAfterLastSendMs: number; injectedSpikes: number; detectedSpikes: number; otherOpens: number; events: number; p50Ms: number; p99Ms: number; maxMs: number; fromCompletingPoint: { p50Ms: number; p99Ms: number; maxMs: number }; stepWaitMs: number; breakdown: Record<string, { n: number; p50Ms: number; p99Ms: number }> };
  setup: { overrides: Record<string, unknown> };
  scorerInference: { phaseA: { windowsPerSecond: number; meanBatch: number; windows: number }; phaseB: { windowsPerSecond: number; meanBatch: number; windows: number } };
  versions: Record<string, unknown>;
  machine: { cpus: number; loadAvgAtStart: number[]; loadAvgAtEnd: number[]; date: string };
  runtimeSeconds: number;
}): string {
  const n = (x: number) => (Number.isFinite(x) ? x.toLocaleString('en-US') : 'n/a');
  const s = r.sustained;
  const l = r.latency;
  const c = s.cpuSeconds;
  const rows: string[][] = [
    ['sustained end to end (input topic → scorer committed every window)', `${n(s.pointsPerSecond)} points/s`],
    ['bare kafkajs read of the same input topic (best of 2)', `${n(s.bareKafkajsPointsPerSecond)} points/s`],
    ['ratio pipeline / bare read', String(s.ratio)],
    [`latency produce → \`open\` event at ${n(l.targetPointsPerSecond)} points/s (${Math.round(l.rateFraction * 100)}%): p50 / p99 / max`, `${l.p50Ms} / ${l.p99Ms} / ${l.maxMs} ms`],
    ['same, from the send of the point that completes the window', `${l.fromCompletingPoint.p50Ms} / ${l.fromCompletingPoint.p99Ms} / ${l.fromCompletingPoint.maxMs} ms`],
    ['open events measured (spikes detected / injected; other opens)', `${l.events} (${l.detectedSpikes} / ${l.injectedSpikes}; ${l.otherOpens})`],
    ['scorer inference, sustained phase (windows / inference seconds; mean batch)', `${n(r.scorerInference.phaseA.windowsPerSecond)} windows/s (${r.scorerInference.phaseA.meanBatch})`],
    ['scorer inference, paced phase', `${n(r.scorerInference.phaseB.windowsPerSecond)} windows/s (${r.scorerInference.phaseB.meanBatch})`],
  ];
  const b = l.breakdown;
  const stageNames: [string, string][] = [
    ['toIngest', 'bench send → ingest takes the batch with the point (bench produce ack, ingest fetch, ingest busy)'],
    ['ingestToProduce', 'ingest takes the point → its windows request encoded (next point of the series, ingest work, earlier partitions of the fetch)'],
    ['windowsProduceToDetected', 'windows request encoded → scorer detects (produce ack, scorer fetch, micro-batch wait, scoring, explanation)'],
    ['detectedToEventProduce', 'scorer detects → event request encoded (bands, similar-episode codes, JSON)'],
    ['eventProduceToSeen', 'event request encoded → the bench receives it (produce ack, the bench consumer’s fetch)'],
    ['windowsProduceToSeen', '(beside) windows request encoded → a bench reader of the windows topic receives it'],
  ];
  const breakdownRows = stageNames.map(([k, what]) => [what, String(b[k]?.p50Ms ?? 'n/a'), String(b[k]?.p99Ms ?? 'n/a')]);
  const overrides = Object.entries(r.setup.overrides);
  return [
    markdownTable(['measure', 'value'], rows, ['l', 'r']),
    '',
    `Latency breakdown of the paced phase (${b.toIngest?.n ?? 0} open events whose window the bench's windows reader saw; each stage's p50 and p99 on its own, so the p99s do not add up):`,
    '',
    markdownTable(['stage', 'p50 ms', 'p99 ms'], breakdownRows, ['l', 'r', 'r']),
    '',
    overrides.length > 0 ? `Settings other than the defaults (--set): ${overrides.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}.` : 'Every ingest and scorer setting at its default.',
    `Sustained: ${n(s.points)} points (${SERIES} series, W=${W} S=1, ${n(s.windows)} windows) in ${s.seconds} s; ingest had produced every window at ${s.ingestProducedAllWindowsSeconds ?? 'n/a'} s. Bare rounds: ${s.bareRounds.map(n).join(', ')}.`,
    `CPU seconds in the sustained span: ingest ${c.ingest}, scorer ${c.scorer}, broker ${c.broker ?? 'n/a'}, redis ${c.redis ?? 'n/a'}, bench ${c.bench}, other processes ${c.otherProcesses ?? 'n/a'}; machine busy ${c.machineBusy ?? 'n/a'} of ${c.capacity}.`,
    `Paced: ${n(l.points)} points in ${l.sendSeconds} s (achieved ${n(l.achievedPointsPerSecond)} points/s, sender at most ${l.maxSendBehindMs} ms behind schedule); the scorer committed the last window ${l.drainAfterLastSendMs} ms after the last send; one step of a series is ${l.stepWaitMs} ms at this rate. Largest backlog seen (sampled every second): ingest ${n(l.maxBacklogWindows.ingest)} windows, scorer ${n(l.maxBacklogWindows.scorer)} windows.`,
    `Backlog (ingest + scorer, median of the samples) in the first / last quarter of the sending: ${n(l.backlogMedianWindows.firstQuarter)} / ${n(l.backlogMedianWindows.lastQuarter)} windows. ` +
      (l.keptUp ? 'The pipeline kept up with the paced rate (under 2 s of windows waiting at the end).' : '**The pipeline did not keep up with the paced rate in this run**: more than 2 s of windows were waiting at the end, so the latencies above include a queue.'),
    `CPU seconds in the paced span: ingest ${l.cpuSeconds.ingest}, scorer ${l.cpuSeconds.scorer}, broker ${l.cpuSeconds.broker ?? 'n/a'}, redis ${l.cpuSeconds.redis ?? 'n/a'}, bench ${l.cpuSeconds.bench}, other processes ${l.cpuSeconds.otherProcesses ?? 'n/a'}; machine busy ${l.cpuSeconds.machineBusy ?? 'n/a'} of ${l.cpuSeconds.capacity}.`,
    `Versions: node ${String(r.versions.node)}, kafkajs ${String(r.versions.kafkajs)}, Kafka ${String(r.versions.kafka)}, scorer backend ${String(r.versions.scorerBackend)}, tfjs ${String(r.versions.tfjs)}, TensorFlow C ${String(r.versions.tensorflow)}; ${r.machine.cpus} CPUs, load ${r.machine.loadAvgAtStart.join(' ')} → ${r.machine.loadAvgAtEnd.join(' ')}; ${r.machine.date}; ${r.runtimeSeconds} s.`,
  ].join('\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:pipeline failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
