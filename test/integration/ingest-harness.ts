import type { Kafka } from 'kafkajs';
import { createTopicsAndWait } from '@hourglass/kafka';
import { decodeWindows, type Window } from '@hourglass/core';
import { uniqueName } from '../support/fixtures';
import type { Infrastructure } from '../support/infrastructure';

/** Shared by the ingest integration tests: topics, configs, a generator of points and its exact oracle. */

export const INTERVAL_MS = 1000;
/** Event time of step 0 of every generated series. */
export const BASE_MS = Date.UTC(2024, 0, 1);

/** The value of `series` at `step`: exact in float32, different for every series and step. */
export function valueAt(seriesIndex: number, step: number): number {
  return seriesIndex * 10_000 + (step % 5000) + 0.5;
}

/** One input message of the generated series `s<i>` at `step` (keyed by series, as the contract says). */
export function pointMessage(seriesIndex: number, step: number): { key: string; value: string } {
  const series = `s${seriesIndex}`;
  return { key: series, value: JSON.stringify({ series, ts: BASE_MS + step * INTERVAL_MS, value: valueAt(seriesIndex, step) }) };
}

/** Unique topic names for one test, created up front. */
export async function createTestTopics(kafka: Kafka, inputPartitions: number): Promise<{ input: string; windows: string; dlq: string; group: string; drop(): Promise<void> }> {
  const input = uniqueName('ingest-in');
  const windows = uniqueName('ingest-windows');
  const dlq = uniqueName('ingest-dlq');
  const admin = kafka.admin();
  await admin.connect();
  await createTopicsAndWait(admin, [
    { topic: input, numPartitions: inputPartitions },
    { topic: windows, numPartitions: 3 },
    { topic: dlq, numPartitions: 1 },
  ]);
  await admin.disconnect();
  return {
    input,
    windows,
    dlq,
    group: uniqueName('ingest-group'),
    async drop() {
      const a = kafka.admin();
      await a.connect();
      await a.deleteTopics({ topics: [input, windows, dlq] }).catch(() => undefined);
      await a.disconnect();
    },
  };
}

/** A raw (uncompiled) Hourglass config for a test ingest: W=8, S=2, interval 1 s, fast group timings. */
export function ingestRawConfig(infra: Infrastructure, t: { input: string; windows: string; dlq: string; group: string }, window: object = {}): Record<string, unknown> {
  return {
    kafka: { brokers: [...infra.kafkaBrokers], clientId: 'ingest-test' },
    ops: { host: '127.0.0.1', port: 0 },
    log: { level: 'warn' },
    topics: { windows: t.windows, deadLetter: t.dlq },
    ingest: {
      groupId: t.group,
      topics: [t.input],
      sessionTimeoutMs: 6000,
      heartbeatIntervalMs: 500,
      maxWaitTimeMs: 100,
    },
    groups: [{ name: 'g', match: { glob: '*' }, window: { lengthSteps: 8, strideSteps: 2, intervalMs: INTERVAL_MS, ...window } }],
  };
}

/**
 * The exact windows that in-order, gap-free steps [0, steps) of each series must produce with W
 * and S: every end step e with e >= W-1, e % S == 0 and e <= steps-2 (the newest step stays open).
 */
export function expectedWindowKeys(seriesCount: number, steps: number, w = 8, s = 2): Set<string> {
  const keys = new Set<string>();
  for (let i = 0; i < seriesCount; i++) for (let e = w - 1; e <= steps - 2; e++) if (e % s === 0) keys.add(`s${i}@${BASE_MS + e * INTERVAL_MS}`);
  return keys;
}

/** Checks one decoded window against the generator; returns what is wrong, or undefined. */
export function windowProblem(w: Window, steps = 8): string | undefined {
  const seriesIndex = Number(w.series.slice(1));
  if (w.values.length !== steps || w.intervalMs !== INTERVAL_MS || w.group !== 'g') return `bad shape ${w.series}@${w.endMs}`;
  const first = (w.startMs - BASE_MS) / INTERVAL_MS;
  for (let t = 0; t < steps; t++) {
    if (w.mask[t] !== 1) return `filled cell in ${w.series}@${w.endMs}`;
    if (w.values[t] !== valueAt(seriesIndex, first + t)) return `wrong value at ${t} in ${w.series}@${w.endMs}`;
  }
  return undefined;
}

/** Reads a windows topic from the beginning, decoding every message; `problems` lists undecodable or wrong ones. */
export async function collectWindows(kafka: Kafka, topic: string): Promise<{ keys: Map<string, number>; problems: string[]; total(): number; stop(): Promise<void> }> {
  const keys = new Map<string, number>();
  const problems: string[] = [];
  let total = 0;
  const consumer = kafka.consumer({ groupId: uniqueName('ingest-reader'), sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      try {
        // A version-2 message is a block of a series' consecutive windows: each one counts.
        for (const w of decodeWindows(message.value!)) {
          total++;
          if (message.key?.toString() !== w.series) problems.push(`key ${message.key?.toString()} for series ${w.series}`);
          const problem = windowProblem(w);
          if (problem) problems.push(problem);
          const key = `${w.series}@${w.endMs}`;
          keys.set(key, (keys.get(key) ?? 0) + 1);
        }
      } catch (error) {
        total++;
        problems.push(String(error));
      }
    },
  });
  return { keys, problems, total: () => total, stop: () => consumer.disconnect() };
}

/** Produces every step of `seriesCount` series, step-major, in chunks of one send per `chunkSteps` steps. */
export async function produceSteps(kafka: Kafka, topic: string, seriesCount: number, fromStep: number, toStep: number): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  const chunk = 200;
  for (let start = fromStep; start < toStep; start += chunk) {
    const messages = [];
    for (let step = start; step < Math.min(toStep, start + chunk); step++) for (let i = 0; i < seriesCount; i++) messages.push(pointMessage(i, step));
    await producer.send({ topic, messages });
  }
  await producer.disconnect();
}

/** Missing expected keys, for a short failure message. */
export function missing(expected: Set<string>, got: Map<string, number>): string[] {
  return [...expected].filter((k) => !got.has(k));
}
