import { compileConfig, decodeWindows } from '@hourglass/core';
import { createKafka, createTopicsAndWait } from '@hourglass/kafka';
import { initBackend } from '@hourglass/model';
import { createRedis } from '@hourglass/redis';
import { createLogger } from '@hourglass/runtime';
import { refitPolicy } from '@hourglass/pipeline';
import { createRedisTrainer } from '@hourglass/trainer';
import type { Admin, Consumer, Producer } from 'kafkajs';
import { freePort } from '../infra/processes';
import { getJson, uniqueName } from './fixtures';
import { cleanValue, isSpike as isSpikeOf, trainingWindows, uniformRng, type SpikySine } from './spiky-sine';
import { startPrivateKafka, startPrivateRedisWithData, type PrivateKafka, type PrivateRedis } from './faults-infra';
import { startServiceProcess, type ServiceProcess, rssMiB } from './processes';
import { drainUntil, isCommitted, nearestFault, type DrainResult, type TopicPosition } from './faults-verdict';

/**
 * The fault run (`npm run test:faults`, and its bounded form in test/integration/faults.test.ts).
 *
 * A private broker and a private Redis (with an append-only file) are started, so that restarting
 * them disturbs nobody. A model is fitted and promoted before the services start, with a fixed
 * raw-error threshold, so that "anomalous" is exact. Then `hourglass ingest`, `hourglass scorer`
 * and `hourglass trainer` run as their own processes while the run produces a stream of points at a
 * paced rate (SERIES series, one point per step, keyed by series, a +8 spike every SPIKE_EVERY steps
 * per series, staggered) and, at seeded random moments, injects faults one after the other:
 * SIGKILL + restart of each service, a broker restart and a Redis restart (same data), and a
 * SIGSTOP/SIGCONT of the scorer. Each fault's recovery is timed (restart to /readyz 200, and to
 * progress resuming). At the end it proves, exactly:
 * - every window the stream must produce reached the windows topic (ingest lost none);
 * The drain waits for as long as the pipeline keeps moving (see faults-verdict.ts): what the scorer
 * has not committed by the end is *late* (still on the topic, to be redelivered), not lost. The run
 * fails on anything lost, naming the fault nearest to each item, or on a drain that never ended.
 * - the scorer's consumer group committed every window, and every window that is not near a spike
 *   (so scored normal) is in the clean buffer, except at most the buffer writes that the scorer
 *   itself counted as dropped while Redis was down (hourglass_scorer_buffer_drops_total);
 * - every injected spike opened an episode (which a fault-free run does too: the spike is +8 on a
 *   signal of amplitude 1 and noise 0.05), exactly one per spike, and no event id was published
 *   twice with different content (detectedAt and similar aside);
 * - each service's RSS (sampled every second from /proc) stayed under a stated bound;
 * - each fault was recovered from within a stated time.
 */

export interface FaultRunOptions {
  readonly points: number;
  /** Points produced per second (the stream is paced, so that faults land while work is going on). */
  readonly rate: number;
  readonly seed: number;
  /** How many times each service is SIGKILLed and restarted. */
  readonly killsPerService: number;
  readonly brokerRestarts: number;
  readonly redisRestarts: number;
  readonly scorerPauses: number;
  /** How long the scorer is kept stopped (SIGSTOP) each time. */
  readonly pauseMs: number;
  readonly series?: number;
  /** Trainer: refit after this many new clean windows. */
  readonly refitAfterNewWindows?: number;
  readonly log?: (line: string) => void;
  /** The services' log level (default: HOURGLASS_FAULTS_LOG, else warn); their logs end up in failure messages. */
  readonly serviceLogLevel?: string;
  /**
   * Stop waiting and judge this many ms after the run began (default: no deadline). A caller with a
   * timeout of its own passes less than it, so that a stuck run ends with a verdict and the services'
   * logs instead of being killed without either.
   */
  readonly deadlineMs?: number;
  /** Upper bounds the run asserts. */
  readonly bounds?: Partial<FaultBounds>;
}

export interface FaultBounds {
  /** Peak RSS per service process, MiB. */
  readonly rssMiB: { ingest: number; scorer: number; trainer: number };
  /** Restart (or SIGCONT) to /readyz 200, seconds. */
  readonly readySeconds: number;
  /** Restart (or SIGCONT) to progress resuming, seconds. */
  readonly progressSeconds: number;
}

export const DEFAULT_BOUNDS: FaultBounds = {
  rssMiB: { ingest: 400, scorer: 1200, trainer: 1200 },
  readySeconds: 60,
  progressSeconds: 90,
};

export interface FaultRecord {
  readonly kind: 'kill-ingest' | 'kill-scorer' | 'kill-trainer' | 'restart-broker' | 'restart-redis' | 'pause-scorer';
  /** Seconds since the services started. */
  readonly at: number;
  /** What the fault interrupted: points produced so far. */
  readonly pointsProducedAt: number;
  /** True when the fault began while points were still being produced. */
  readonly duringStream: boolean;
  /** Seconds the component was down (stop to start; pause length for pause-scorer). */
  readonly downSeconds: number;
  /** Restart (or SIGCONT) to /readyz 200 (to answering, for the broker and Redis). */
  readonly readySeconds: number | null;
  /** Restart (or SIGCONT) to the component's progress resuming. */
  readonly progressSeconds: number | null;
  readonly detail?: Record<string, unknown>;
}

export interface FaultSummary {
  readonly ok: boolean;
  readonly failures: string[];
  readonly points: number;
  readonly series: number;
  readonly windows: number;
  /** Windows that never reached the windows topic, plus committed normal windows nowhere accounted for, plus spikes whose windows were all committed without an episode. */
  readonly lost: number;
  readonly lostDetail: { windowsNeverProduced: number; normalWindowsUnaccounted: number; spikesNotFound: number };
  /** Up to 20 lost items, each with the fault it was nearest to. */
  readonly lostItems: { item: string; nearestFault: string }[];
  /** Not done yet when the run was judged: still uncommitted on the windows topic, so redelivered later, not lost. */
  readonly late: { uncommittedWindows: number; spikesNotYetScored: number; normalWindowsNotYetScored: number };
  /** Whether each drain finished (ingest: every window on the topic; scorer: every window committed). */
  readonly drain: { ingest: DrainResult; scorer: DrainResult };
  readonly duplicates: {
    /** Window messages on the topic beyond one per window (replays after kills and restarts: allowed). */
    readonly windowsReEmitted: number;
    /** Events received more than once with the same id and content (allowed). */
    readonly eventsRepublished: number;
    /** Event ids seen with different content (detectedAt aside): must be 0. */
    readonly conflictingEvents: number;
    /** Spikes with more than one episode: must be 0. */
    readonly splitEpisodes: number;
  };
  readonly bufferDropsCounted: number;
  readonly spikes: { injected: number; found: number; otherEpisodes: number };
  readonly faults: FaultRecord[];
  readonly recoverySeconds: Record<string, { ready: (number | null)[]; progress: (number | null)[] }>;
  readonly unexpectedExits: Record<string, number>;
  readonly peakRssMiB: Record<string, number>;
  readonly bounds: FaultBounds;
  readonly seconds: { setup: number; run: number; drain: number; check: number; total: number };
}

const W = 32;
const S = 4;
const INTERVAL_MS = 1000;
const SPIKE_EVERY = 500;
const SPIKE = 8;
const CLOSE_AFTER = 2;
/** Raw error (normalised squared units) above which a window is anomalous: a +8 spike is ~10x this, noise ~1/50 of it. */
const FIXED_THRESHOLD = 0.5;
const GROUP = 'faults';
const PARTITIONS = 4;
const BASE_MS = Date.UTC(2024, 0, 1);

const SINE: SpikySine = { steps: W, spikeEverySteps: SPIKE_EVERY, group: GROUP, intervalMs: INTERVAL_MS, baseMs: BASE_MS };
const isSpike = (s: number, step: number): boolean => isSpikeOf(SINE, s, step);

/** Window end steps the first `steps` steps of a series complete (the newest step stays open). */
function expectedEnds(steps: number): number[] {
  const out: number[] = [];
  for (let e = W - 1; e <= steps - 2; e++) if (e % S === 0) out.push(e);
  return out;
}
/** True when some window the stream completes holds step p (an end in [p, p+W-1]). */
function completesWindow(p: number, steps: number): boolean {
  for (let e = Math.max(p, W - 1); e <= Math.min(p + W - 1, steps - 2); e++) if (e % S === 0) return true;
  return false;
}
/** A window whose end is here may hold the spike or belong to its episode: it is not required in the buffer. */
function nearSpike(s: number, end: number): boolean {
  for (let p = end - (W - 1) - (CLOSE_AFTER + 1) * S; p <= end; p++) if (p >= 0 && isSpike(s, p)) return true;
  return false;
}


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round1 = (x: number) => Math.round(x * 10) / 10;

/** One service as operators run it, restarted by us after a fault, or by the supervisor if it exits on its own. */
class Supervised {
  proc: ServiceProcess | undefined;
  unexpectedExits = 0;
  private expectingExit = false;
  /** The logs of earlier incarnations (a kill or restart starts a new process), newest last. */
  private earlierLogs = '';
  private incarnation = 0;
  private readonly url: string;
  constructor(readonly name: 'ingest' | 'scorer' | 'trainer', private readonly port: number, private readonly config: unknown, private readonly log: (l: string) => void) {
    this.url = `http://127.0.0.1:${port}`;
  }
  /** The last `chars` characters of its logs, over every incarnation. */
  logTail(chars = 4000): string {
    return `${this.earlierLogs}${this.proc?.logs() ?? ''}`.slice(-chars);
  }
  get opsUrl(): string {
    return this.url;
  }
  pid(): number | undefined {
    return this.proc?.child.pid;
  }
  start(): void {
    this.expectingExit = false;
    if (this.proc) this.earlierLogs = `${this.earlierLogs}${this.proc.logs()}`.slice(-60_000);
    this.incarnation++;
    this.earlierLogs += `--- ${this.name} incarnation ${this.incarnation} started at ${new Date().toISOString()} ---\n`;
    const proc = startServiceProcess(this.name, this.config, { KAFKAJS_NO_PARTITIONER_WARNING: '1' });
    this.proc = proc;
    proc.child.once('exit', (code, signal) => {
      if (this.expectingExit || this.proc !== proc) return;
      this.unexpectedExits++;
      this.log(`${this.name} exited on its own (code ${code}, signal ${signal}); restarting it. Last log lines:\n${proc.logs().slice(-1500)}`);
      setTimeout(() => this.start(), 500);
    });
  }
  async kill(signal: NodeJS.Signals): Promise<void> {
    this.expectingExit = true;
    await this.proc?.kill(signal);
  }
  async stop(): Promise<void> {
    this.expectingExit = true;
    const p = this.proc;
    if (!p) return;
    try {
      p.child.kill('SIGCONT');
    } catch {
      // not running
    }
    const timer = setTimeout(() => void p.kill('SIGKILL'), 10_000);
    await p.kill('SIGTERM');
    clearTimeout(timer);
  }
  async ready(check: (body: Record<string, unknown>) => boolean = () => true): Promise<boolean> {
    const r = await getJson(`${this.url}/readyz`);
    return r?.status === 200 && check(r.body);
  }
  async metric(name: string): Promise<number | undefined> {
    try {
      const text = await (await fetch(`${this.url}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
      const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);
      return m ? Number(m[1]) : 0;
    } catch {
      return undefined;
    }
  }
}

/** Every message of `topic` up to its end offsets now, read by a fresh consumer group; `complete` false when time ran out first. */
async function readToEnd(kafka: ReturnType<typeof createKafka>, admin: Admin, topic: string, timeoutMs: number): Promise<{ values: Buffer[]; complete: boolean }> {
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((e) => [e.partition, Number(e.high)]));
  const byPartition = new Map<number, Buffer[]>();
  const next = new Map<number, number>();
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const check = (): void => {
    if ([...ends].every(([p, high]) => (next.get(p) ?? 0) >= high)) finish();
  };
  check();
  const consumer = kafka.consumer({ groupId: uniqueName('faults-final'), sessionTimeout: 10_000, heartbeatInterval: 1000, maxWaitTimeInMs: 200 });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        const list = byPartition.get(batch.partition) ?? [];
        for (const m of batch.messages) {
          if (Number(m.offset) < (ends.get(batch.partition) ?? 0)) list.push(m.value!);
          next.set(batch.partition, Number(m.offset) + 1);
        }
        byPartition.set(batch.partition, list);
        check();
      },
    });
    const complete = await Promise.race([finished.then(() => true), sleep(timeoutMs).then(() => false)]);
    return { values: [...byPartition.values()].flat(), complete };
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}

/** Polls until `probe` holds, returning the seconds since `since`, or null after `timeoutMs`. */
async function secondsUntil(since: number, timeoutMs: number, probe: () => Promise<boolean>, intervalMs = 100): Promise<number | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return round1((Date.now() - since) / 1000);
    if (Date.now() > deadline) return null;
    await sleep(intervalMs);
  }
}

export async function runFaultScenario(options: FaultRunOptions): Promise<FaultSummary> {
  const log = options.log ?? (() => undefined);
  const bounds: FaultBounds = { ...DEFAULT_BOUNDS, ...options.bounds, rssMiB: { ...DEFAULT_BOUNDS.rssMiB, ...options.bounds?.rssMiB } };
  const series = options.series ?? 40;
  const steps = Math.ceil(options.points / series);
  const points = steps * series;
  const t00 = Date.now();
  const failures: string[] = [];
  /** Log tails taken when something went wrong, appended to the failures (only when the run fails). */
  const diagnostics: string[] = [];
  const deadline = options.deadlineMs === undefined ? Number.POSITIVE_INFINITY : t00 + options.deadlineMs;
  /** A wait's time limit, cut to what is left before the deadline. */
  const within = (ms: number): number => Math.max(0, Math.min(ms, deadline - Date.now()));

  let kafkaServer: PrivateKafka | undefined;
  let redisServer: PrivateRedis | undefined;
  const services: Supervised[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    log('starting a private broker and Redis');
    [kafkaServer, redisServer] = await Promise.all([startPrivateKafka(log), startPrivateRedisWithData()]);
    const kafkaS = kafkaServer;
    const redisS = redisServer;
    const id = uniqueName('faults');
    const topics = { input: `${id}.points`, windows: `${id}.windows`, anomalies: `${id}.anomalies`, dlq: `${id}.dlq` };
    const groupIds = { ingest: `${id}-ingest`, scorer: `${id}-scorer` };
    const group = {
      name: GROUP, match: { glob: '*' },
      window: { lengthSteps: W, strideSteps: S, intervalMs: INTERVAL_MS },
      episodes: { openAfterWindows: 1, closeAfterWindows: CLOSE_AFTER },
      model: { epochs: 20, threshold: { method: 'fixed', value: FIXED_THRESHOLD } },
    };
    const raw = (port: number) => ({
      // A hung consumer (watchdog.ts) ends its service after 30 s here (kafkajs may wait that long
      // before it restarts a crashed consumer), inside the 90 s recovery bound.
      kafka: { brokers: kafkaS.brokers, clientId: id, consumerStallMs: 30_000 },
      redis: { url: redisS.url, keyPrefix: `${id}:` },
      ops: { host: '127.0.0.1', port },
      log: { level: options.serviceLogLevel ?? process.env.HOURGLASS_FAULTS_LOG ?? 'warn' },
      topics: { windows: topics.windows, anomalies: topics.anomalies, deadLetter: topics.dlq },
      ingest: { groupId: groupIds.ingest, topics: [topics.input], sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1000, maxWaitTimeMs: 100 },
      scorer: {
        groupId: groupIds.scorer, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1000,
        bufferMaxWindows: 5_000_000, modelPollIntervalMs: 5000, warmupWindows: 500,
      },
      trainer: {
        checkIntervalMs: 1000, refitAfterNewWindows: options.refitAfterNewWindows ?? 60_000, maxWindows: 4000, minWindows: 500, retryAfterMissMs: 5000, lockTtlMs: 10_000,
      },
      groups: [group],
    });
    const config = compileConfig(raw(0));
    const kafka = createKafka({ ...config.kafka, connectionTimeoutMs: 3000 });
    const admin: Admin = kafka.admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    await createTopicsAndWait(admin, [topics.input, topics.windows, topics.anomalies].map((topic) => ({ topic, numPartitions: PARTITIONS })).concat([{ topic: topics.dlq, numPartitions: 1 }]));
    const redis = createRedis(config.redis.url);
    redis.on('error', () => undefined);
    cleanups.push(async () => redis.disconnect());

    log('fitting the model on 2000 clean windows');
    await initBackend({ requireNative: false, warn: log });
    const trainer = createRedisTrainer(config, redis, createLogger({ level: 'silent' }));
    await trainer.buffer.append(GROUP, trainingWindows(SINE, 2000, series));
    const fitted = await trainer.stage.refit(GROUP, config.groups[0]!.model, refitPolicy(config));
    if (fitted.status !== 'promoted') throw new Error(`the model was not promoted: ${JSON.stringify(fitted)}`);
    await redis.del(`${config.redis.keyPrefix}buffer:${GROUP}`);

    // Readers: every window key on the windows topic, every event on the anomalies topic.
    const windowKeys = new Map<string, number>();
    /** Where each window first appeared, to tell committed (done) from not yet scored. */
    const windowPositions = new Map<string, TopicPosition>();
    let windowMessages = 0;
    const events: Record<string, unknown>[] = [];
    const eventOffsets = new Map<number, number>();
    const readers: Consumer[] = [];
    const reader = async (topic: string, each: (partition: number, offset: string, value: Buffer) => void): Promise<void> => {
      const consumer = kafka.consumer({ groupId: uniqueName('faults-reader'), sessionTimeout: 10_000, heartbeatInterval: 1000, maxWaitTimeInMs: 200 });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachBatch: async ({ batch }) => { for (const m of batch.messages) each(batch.partition, m.offset, m.value!); } });
      readers.push(consumer);
    };
    await reader(topics.windows, (partition, offset, value) => {
      for (const w of decodeWindows(value)) {
        windowMessages++; // windows, not messages: a version-2 message is a block of them
        const key = `${w.series}@${w.endMs}`;
        windowKeys.set(key, (windowKeys.get(key) ?? 0) + 1);
        const seen = windowPositions.get(key);
        if (!seen || Number(offset) < seen.offset) windowPositions.set(key, { partition, offset: Number(offset) });
      }
    });
    await reader(topics.anomalies, (p, o, value) => {
      events.push(JSON.parse(value.toString()) as Record<string, unknown>);
      eventOffsets.set(p, Number(o) + 1);
    });
    cleanups.push(async () => { for (const c of readers) await c.disconnect().catch(() => undefined); });

    const [ingestPort, scorerPort, trainerPort] = [await freePort(), await freePort(), await freePort()];
    const ingest = new Supervised('ingest', ingestPort, raw(ingestPort), log);
    const scorer = new Supervised('scorer', scorerPort, raw(scorerPort), log);
    const trainerSvc = new Supervised('trainer', trainerPort, raw(trainerPort), log);
    services.push(ingest, scorer, trainerSvc);
    const scorerReady = () => scorer.ready((b) => typeof (b.models as Record<string, string> | undefined)?.[GROUP] === 'string');

    // Progress counters, from the broker.
    const windowsProduced = async (): Promise<number> => (await admin.fetchTopicOffsets(topics.windows)).reduce((n, e) => n + Number(e.high), 0);
    const scorerCommitted = async (): Promise<{ committed: number; lag: number }> => {
      const [ends, [c]] = await Promise.all([admin.fetchTopicOffsets(topics.windows), admin.fetchOffsets({ groupId: groupIds.scorer, topics: [topics.windows] })]);
      const done = new Map((c?.partitions ?? []).map((p) => [p.partition, Math.max(0, Number(p.offset))]));
      let committed = 0;
      let lag = 0;
      for (const e of ends) {
        const d = Math.min(Number(e.high), done.get(e.partition) ?? 0);
        committed += d;
        lag += Number(e.high) - d;
      }
      return { committed, lag };
    };
    const bufferAdded = () => trainer.buffer.totalAdded(GROUP);

    log('starting scorer, trainer and ingest');
    const tServices = Date.now();
    scorer.start();
    trainerSvc.start();
    const ok = await secondsUntil(tServices, 120_000, scorerReady, 200);
    if (ok === null) throw new Error(`the scorer did not become ready with its model\n${scorer.proc?.logs().slice(-3000)}`);
    ingest.start();
    if ((await secondsUntil(Date.now(), 60_000, () => ingest.ready(), 100)) === null) throw new Error(`ingest did not become ready\n${ingest.proc?.logs().slice(-3000)}`);
    const setupSeconds = (Date.now() - t00) / 1000;

    // RSS of each service every second; buffer drops of each scorer incarnation.
    const peak: Record<string, number> = {};
    const dropsByPid = new Map<number, number>();
    const scrapeDrops = async (): Promise<void> => {
      const pid = scorer.pid();
      const v = await scorer.metric('hourglass_scorer_buffer_drops_total');
      if (pid && v !== undefined) dropsByPid.set(pid, Math.max(dropsByPid.get(pid) ?? 0, v));
    };
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        for (const s of services) {
          const r = rssMiB(s.pid());
          if (r !== undefined) peak[s.name] = Math.max(peak[s.name] ?? 0, Math.round(r));
        }
        for (const [name, pid] of [['broker', kafkaS.pid()], ['redis', redisS.pid()]] as const) {
          const r = rssMiB(pid);
          if (r !== undefined) peak[name] = Math.max(peak[name] ?? 0, Math.round(r));
        }
        await scrapeDrops();
        await sleep(1000);
      }
    })();

    // The paced producer. Points are produced step-major; a failed send (broker restarting) is retried whole:
    // a point written twice is a harmless duplicate (keep-first), never out of order.
    const rngs = Array.from({ length: series }, (_, s) => uniformRng(1000 + s));
    let stepsSent = 0;
    const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 10 } });
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const stepsPerSend = Math.max(1, Math.round(options.rate / series / 10));
    // The last steps wait until every fault has been injected: on a loaded machine slow recoveries
    // push the later faults back, and a fault after the stream's end would test nothing.
    const heldSteps = Math.max(1, Math.floor(steps * 0.05));
    let faultsDone = false;
    const tRun = Date.now();
    const producing = (async () => {
      while (stepsSent < steps) {
        const limit = faultsDone ? steps : steps - heldSteps;
        const due = Math.min(limit, Math.floor((((Date.now() - tRun) / 1000) * options.rate) / series));
        if (due <= stepsSent) {
          await sleep(20);
          continue;
        }
        const to = Math.min(due, stepsSent + stepsPerSend * 5);
        const messages: { key: string; value: string }[] = [];
        for (let step = stepsSent; step < to; step++) {
          for (let s = 0; s < series; s++) {
            let value = cleanValue(rngs[s]!, s, step);
            if (isSpike(s, step)) value += SPIKE;
            messages.push({ key: `s${s}`, value: JSON.stringify({ series: `s${s}`, ts: BASE_MS + step * INTERVAL_MS, value: Math.round(value * 1e4) / 1e4 }) });
          }
        }
        for (;;) {
          try {
            await producer.send({ topic: topics.input, acks: -1, messages });
            break;
          } catch (error) {
            log(`producer: ${String(error)}; retrying`);
            await sleep(1000);
          }
        }
        stepsSent = to;
      }
    })();
    /** Windows the points produced so far complete (several per windows-topic message: blocks). */
    const expectedProducedSoFar = (): number => series * expectedEnds(stepsSent).length;

    // The faults, at seeded random moments of the producing span, one after another.
    const rng = uniformRng(options.seed);
    const kinds: FaultRecord['kind'][] = [];
    for (let i = 0; i < options.killsPerService; i++) kinds.push('kill-ingest', 'kill-scorer', 'kill-trainer');
    for (let i = 0; i < options.brokerRestarts; i++) kinds.push('restart-broker');
    for (let i = 0; i < options.redisRestarts; i++) kinds.push('restart-redis');
    for (let i = 0; i < options.scorerPauses; i++) kinds.push('pause-scorer');
    for (let i = kinds.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
    }
    const spanMs = (points / options.rate) * 1000;
    // Stratified: fault k lands at a random moment of the k-th of n equal slices of 5%..90% of the span.
    const moments = kinds.map((_, k) => (0.05 + (0.85 * (k + rng())) / kinds.length) * spanMs);
    const faults: FaultRecord[] = [];
    // Progress: new messages on the windows topic, or nothing left to do (every window the points so
    // far complete has been read back; windows, not messages, since a message is a block of them).
    const ingestProgress = async (before: number): Promise<boolean> => (await windowsProduced()) > before || windowKeys.size >= expectedProducedSoFar();
    const scorerProgress = async (before: number): Promise<boolean> => {
      const p = await scorerCommitted();
      return p.committed > before || p.lag === 0;
    };
    /** Log tails of the services a fault touched, taken when it did not recover within its bounds. */
    const noteStuck = (f: FaultRecord, touched: readonly Supervised[], brokerToo: boolean): void => {
      const stuck = f.readySeconds === null || f.readySeconds > bounds.readySeconds || f.progressSeconds === null || f.progressSeconds > bounds.progressSeconds;
      if (!stuck) return;
      for (const svc of touched) diagnostics.push(`${f.kind} at ${f.at} s: last logs of ${svc.name} (pid ${svc.pid()}):\n${svc.logTail()}`);
      if (brokerToo) diagnostics.push(`${f.kind} at ${f.at} s: ${kafkaS.logTail(25)}`);
    };
    for (let k = 0; k < kinds.length; k++) {
      const kind = kinds[k]!;
      if (Date.now() >= deadline) {
        failures.push(`the run's deadline (${options.deadlineMs! / 1000} s) came before fault ${k + 1} of ${kinds.length} (${kind})`);
        break;
      }
      const wait = tRun + moments[k]! - Date.now();
      if (wait > 0) await sleep(wait);
      const at = round1((Date.now() - tServices) / 1000);
      const pointsProducedAt = stepsSent * series;
      const duringStream = pointsProducedAt < points;
      log(`fault ${k + 1}/${kinds.length}: ${kind} at ${at} s (${pointsProducedAt} points produced)`);
      let record: FaultRecord;
      if (kind === 'kill-ingest' || kind === 'kill-scorer' || kind === 'kill-trainer') {
        const svc = kind === 'kill-ingest' ? ingest : kind === 'kill-scorer' ? scorer : trainerSvc;
        if (svc === scorer) await scrapeDrops();
        const before = kind === 'kill-ingest' ? await windowsProduced() : kind === 'kill-scorer' ? (await scorerCommitted()).committed : 0;
        const t0 = Date.now();
        await svc.kill('SIGKILL');
        const down = 200 + Math.floor(rng() * 1800);
        await sleep(down);
        const tStart = Date.now();
        svc.start();
        const readyProbe = svc === scorer ? scorerReady : () => svc.ready();
        const ready = await secondsUntil(tStart, within(120_000), readyProbe);
        const progress = kind === 'kill-ingest'
          ? await secondsUntil(tStart, within(120_000), () => ingestProgress(before), 200)
          : kind === 'kill-scorer'
            ? await secondsUntil(tStart, within(120_000), () => scorerProgress(before), 200)
            // The trainer's progress: a whole check loop done (a refit cut by the kill is redone first).
            : await secondsUntil(tStart, within(180_000), () => svc.ready((b) => (b as { lastLoopOk?: boolean }).lastLoopOk === true || (b.details as { lastLoopOk?: boolean } | undefined)?.lastLoopOk === true), 250);
        record = { kind, at, pointsProducedAt, duringStream, downSeconds: round1((tStart - t0) / 1000), readySeconds: ready, progressSeconds: progress };
      } else if (kind === 'restart-broker') {
        const beforeI = await windowsProduced();
        const beforeS = (await scorerCommitted()).committed;
        const r = await kafkaS.restart();
        const tStart = Date.now();
        const ingestBack = await secondsUntil(tStart, within(180_000), () => ingestProgress(beforeI), 250);
        const scorerBack = await secondsUntil(tStart, within(180_000), () => scorerProgress(beforeS), 250);
        const ready = await secondsUntil(tStart, within(60_000), async () => (await ingest.ready()) && (await scorerReady()), 250);
        record = {
          kind, at, pointsProducedAt, duringStream, downSeconds: round1(r.downSeconds + r.readySeconds), readySeconds: round1(r.readySeconds),
          progressSeconds: ingestBack === null || scorerBack === null ? null : Math.max(ingestBack, scorerBack),
          detail: { brokerStopSeconds: round1(r.downSeconds), ingestProgressSeconds: ingestBack, scorerProgressSeconds: scorerBack, servicesReadySeconds: ready },
        };
      } else if (kind === 'restart-redis') {
        await scrapeDrops();
        const r = await redisS.restart();
        const tStart = Date.now();
        const before = await bufferAdded();
        const progress = await secondsUntil(tStart, within(120_000), async () => (await bufferAdded()) > before || (await scorerCommitted()).lag === 0, 200);
        const ready = await secondsUntil(tStart, within(60_000), async () => (await scorerReady()) && (await trainerSvc.ready()), 200);
        record = { kind, at, pointsProducedAt, duringStream, downSeconds: round1(r.downSeconds + r.readySeconds), readySeconds: round1(r.readySeconds), progressSeconds: progress, detail: { servicesReadySeconds: ready } };
      } else {
        const pid = scorer.pid()!;
        const before = await scorerCommitted();
        process.kill(pid, 'SIGSTOP');
        await sleep(options.pauseMs);
        const paused = await scorerCommitted();
        process.kill(pid, 'SIGCONT');
        const tStart = Date.now();
        const ready = await secondsUntil(tStart, within(120_000), scorerReady);
        const progress = await secondsUntil(tStart, within(120_000), () => scorerProgress(paused.committed), 200);
        record = {
          kind, at, pointsProducedAt, duringStream, downSeconds: round1(options.pauseMs / 1000), readySeconds: ready, progressSeconds: progress,
          detail: { backlogWindowsAtResume: paused.lag, backlogWindowsAtPause: before.lag },
        };
      }
      log(`  ${JSON.stringify(record)}`);
      faults.push(record);
      const touched = kind === 'kill-ingest' ? [ingest] : kind === 'kill-trainer' ? [trainerSvc] : kind === 'restart-broker' ? [ingest, scorer] : [scorer];
      noteStuck(record, touched, kind === 'restart-broker');
    }
    faultsDone = true;
    await producing;
    const runSeconds = (Date.now() - tRun) / 1000;

    // Drain: every expected window on the topic, every window committed, every event read.
    log('all points produced; waiting for the pipeline to drain');
    const tDrain = Date.now();
    const expected: { s: number; end: number; key: string }[] = [];
    for (let s = 0; s < series; s++) for (const end of expectedEnds(steps)) expected.push({ s, end, key: `s${s}@${BASE_MS + end * INTERVAL_MS}` });
    // Generous: as long as work moves, up to twice the producing time (at least 10 minutes) in all.
    const capMs = Math.max(600_000, (2 * points * 1000) / options.rate);
    const ingestDrain = await drainUntil({ done: async () => expected.every((e) => windowKeys.has(e.key)), progress: async () => windowMessages, stallMs: 120_000, capMs: within(capMs), intervalMs: 1000 });
    const scorerDrain = await drainUntil({ done: async () => (await scorerCommitted()).lag === 0, progress: async () => (await scorerCommitted()).committed, stallMs: 120_000, capMs: within(capMs) });
    log(`drain: ingest ${JSON.stringify(ingestDrain)}, scorer ${JSON.stringify(scorerDrain)}`);
    if (!ingestDrain.ended) diagnostics.push(`ingest's drain did not end: last logs of ingest:\n${ingest.logTail()}`);
    if (!scorerDrain.ended) diagnostics.push(`the scorer's drain did not end: last logs of the scorer:\n${scorer.logTail()}`);
    const readerCaughtUp = await secondsUntil(tDrain, within(60_000), async () => {
      const ends = await admin.fetchTopicOffsets(topics.anomalies);
      return ends.every((e) => Number(e.high) === 0 || (eventOffsets.get(e.partition) ?? 0) >= Number(e.high));
    }, 500);
    // The verdict reads the anomalies topic once more from the start with a fresh consumer: the
    // live reader is a test consumer too, and one stuck after the broker restart (as services'
    // consumers can get stuck) would make published events look lost.
    const finalEvents = await readToEnd(kafka, admin, topics.anomalies, within(60_000));
    if (finalEvents.complete) {
      if (readerCaughtUp === null || finalEvents.values.length !== events.length) log(`the live anomalies reader had ${events.length} events, the final read ${finalEvents.values.length}${readerCaughtUp === null ? ' (the live reader never caught up)' : ''}`);
      events.splice(0, events.length, ...finalEvents.values.map((v) => JSON.parse(v.toString()) as Record<string, unknown>));
    } else failures.push(`the final read of ${topics.anomalies} did not reach the end of the topic in time; judged on the live reader's ${events.length} events`);
    await scrapeDrops();
    const drainSeconds = (Date.now() - tDrain) / 1000;
    sampling = false;
    await sampler;

    // Checks.
    const tCheck = Date.now();
    const final = await scorerCommitted();
    const [committedOffsets] = await admin.fetchOffsets({ groupId: groupIds.scorer, topics: [topics.windows] });
    const committed = new Map((committedOffsets?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    const done = (key: string): boolean => isCommitted(windowPositions.get(key), committed);
    const lostItems: { item: string; nearestFault: string }[] = [];
    const noteLost = (item: string, step: number): void => {
      if (lostItems.length < 20) lostItems.push({ item, nearestFault: nearestFault(faults, step * series) });
    };
    const neverProduced = expected.filter((e) => !windowKeys.has(e.key));
    for (const e of neverProduced) noteLost(`window ${e.key} never produced`, e.end);
    const windowsNeverProduced = neverProduced.length;
    const buffered = new Set((await trainer.buffer.recent(GROUP, 5_000_000)).map((w) => `${w.series}@${w.endMs}`));
    const requiredNormal = expected.filter((e) => !nearSpike(e.s, e.end) && windowKeys.has(e.key));
    const missingNormal = requiredNormal.filter((e) => !buffered.has(e.key) && done(e.key));
    const normalNotYetScored = requiredNormal.filter((e) => !done(e.key)).length;
    const bufferDrops = [...dropsByPid.values()].reduce((a, b) => a + b, 0);
    const normalWindowsUnaccounted = Math.max(0, missingNormal.length - bufferDrops);
    if (normalWindowsUnaccounted > 0) for (const e of missingNormal.slice(0, 5)) noteLost(`normal window ${e.key} not in the clean buffer`, e.end);

    const byId = new Map<string, string>();
    let conflicting = 0;
    let republished = 0;
    for (const e of events) {
      // detectedAt is the wall clock; similar is what the scorer knew of other episodes when it published.
      const { detectedAt: _ignored, similar: _known, ...content } = e;
      const text = JSON.stringify(content);
      const previous = byId.get(e.id as string);
      if (previous !== undefined) {
        if (previous === text) republished++;
        else {
          conflicting++;
          if (conflicting <= 3) failures.push(`event ${String(e.id)} published with different content:\n  ${previous}\n  ${text}`);
        }
      } else byId.set(e.id as string, text);
    }
    // Episodes per spike: open events whose window holds the spike.
    const opens = events.filter((e) => e.state === 'open');
    const episodesBySpike = new Map<string, Set<string>>();
    let otherEpisodes = 0;
    for (const e of opens) {
      const s = Number(String(e.series).slice(1));
      const end = (Date.parse(String(e.windowEnd)) - BASE_MS) / INTERVAL_MS;
      let spike: number | undefined;
      for (let p = end - (W - 1); p <= end; p++) if (p >= 0 && isSpike(s, p)) spike = p;
      if (spike === undefined) {
        otherEpisodes++;
        continue;
      }
      const key = `s${s}@${spike}`;
      const set = episodesBySpike.get(key) ?? new Set<string>();
      set.add(String(e.episodeId));
      episodesBySpike.set(key, set);
    }
    let injected = 0;
    let found = 0;
    let spikesNotYetScored = 0;
    const notFound: string[] = [];
    for (let s = 0; s < series; s++) {
      for (let p = 0; p <= steps - 2; p++) {
        // A spike counts when a window that holds it is complete: some expected end in [p, p+W-1].
        if (!isSpike(s, p) || !completesWindow(p, steps)) continue;
        injected++;
        if (episodesBySpike.has(`s${s}@${p}`)) {
          found++;
          continue;
        }
        // Late while some window that holds it is not committed yet: the scorer still has it to do.
        const holders = expectedEnds(steps).filter((e) => e >= p && e <= p + W - 1).map((e) => `s${s}@${BASE_MS + e * INTERVAL_MS}`);
        if (holders.some((key) => windowKeys.has(key) && !done(key))) spikesNotYetScored++;
        else {
          notFound.push(`s${s}@step${p}`);
          noteLost(`spike s${s}@step${p} opened no episode`, p);
        }
      }
    }
    const splitEpisodes = [...episodesBySpike.values()].filter((set) => set.size > 1).length;
    const spikesNotFound = notFound.length;
    const lost = windowsNeverProduced + normalWindowsUnaccounted + spikesNotFound;

    if (windowsNeverProduced > 0) failures.push(`${windowsNeverProduced} windows never reached the windows topic, e.g. ${expected.filter((e) => !windowKeys.has(e.key)).slice(0, 5).map((e) => e.key).join(', ')}`);
    if (!ingestDrain.ended) failures.push(`ingest's drain did not end (${ingestDrain.why})`);
    if (!scorerDrain.ended) failures.push(`the scorer's drain did not end (${scorerDrain.why}): ${final.lag} windows still uncommitted (late, not lost: ${spikesNotYetScored} spikes and ${normalNotYetScored} normal windows among them)`);
    if (normalWindowsUnaccounted > 0) failures.push(`${missingNormal.length} normal windows are not in the clean buffer and only ${bufferDrops} buffer drops were counted, e.g. ${missingNormal.slice(0, 5).map((e) => e.key).join(', ')}`);
    if (spikesNotFound > 0) failures.push(`${spikesNotFound} of ${injected} injected spikes opened no episode although every window holding them was committed: ${notFound.slice(0, 10).join(', ')}`);
    for (const l of lostItems) failures.push(`lost: ${l.item}; nearest fault: ${l.nearestFault}`);
    if (conflicting > 0) failures.push(`${conflicting} events were republished with different content`);
    if (splitEpisodes > 0) failures.push(`${splitEpisodes} spikes have more than one episode id`);
    for (const name of ['ingest', 'scorer', 'trainer'] as const) {
      if ((peak[name] ?? 0) > bounds.rssMiB[name]) failures.push(`${name} peak RSS ${peak[name]} MiB is over its bound of ${bounds.rssMiB[name]} MiB`);
    }
    for (const f of faults) {
      if (f.readySeconds === null || f.readySeconds > bounds.readySeconds) failures.push(`${f.kind} at ${f.at} s: not ready within ${bounds.readySeconds} s (${f.readySeconds})`);
      if (f.progressSeconds === null || f.progressSeconds > bounds.progressSeconds) failures.push(`${f.kind} at ${f.at} s: progress did not resume within ${bounds.progressSeconds} s (${f.progressSeconds})`);
    }
    const recoverySeconds: FaultSummary['recoverySeconds'] = {};
    for (const f of faults) {
      const r = (recoverySeconds[f.kind] ??= { ready: [], progress: [] });
      r.ready.push(f.readySeconds);
      r.progress.push(f.progressSeconds);
    }
    const unexpectedExits = Object.fromEntries(services.map((s) => [s.name, s.unexpectedExits]));
    if (failures.length > 0) failures.push(...diagnostics);
    const checkSeconds = (Date.now() - tCheck) / 1000;
    return {
      ok: failures.length === 0,
      failures,
      points,
      series,
      windows: expected.length,
      lost,
      lostDetail: { windowsNeverProduced, normalWindowsUnaccounted, spikesNotFound },
      lostItems,
      late: { uncommittedWindows: final.lag, spikesNotYetScored, normalWindowsNotYetScored: normalNotYetScored },
      drain: { ingest: ingestDrain, scorer: scorerDrain },
      duplicates: { windowsReEmitted: windowMessages - windowKeys.size, eventsRepublished: republished, conflictingEvents: conflicting, splitEpisodes },
      bufferDropsCounted: bufferDrops,
      spikes: { injected, found, otherEpisodes },
      faults,
      recoverySeconds,
      unexpectedExits,
      peakRssMiB: peak,
      bounds,
      seconds: { setup: round1(setupSeconds), run: round1(runSeconds), drain: round1(drainSeconds), check: round1(checkSeconds), total: round1((Date.now() - t00) / 1000) },
    };
  } finally {
    for (const s of services) await s.stop().catch(() => undefined);
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await kafkaServer?.stop().catch(() => undefined);
    await redisServer?.stop().catch(() => undefined);
  }
}
