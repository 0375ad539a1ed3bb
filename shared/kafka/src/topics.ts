import type { Kafka } from 'kafkajs';
import { HourglassError } from '@hourglass/core';

/** A topic that ensureTopics creates when it is missing. */
export interface TopicSpec {
  readonly topic: string;
  readonly numPartitions: number;
  /** -1 takes the broker's default. */
  readonly replicationFactor?: number;
}

/** Creates the topics that do not exist yet (waiting for their leaders); returns the names it created. */
export async function ensureTopics(kafka: Kafka, specs: readonly TopicSpec[]): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.topic));
    if (missing.length === 0) return [];
    await createTopicsAndWait(admin, missing);
    return missing.map((s) => s.topic);
  } finally {
    await admin.disconnect();
  }
}

/**
 * admin.createTopics with its wait for the new leaders made whole. kafkajs' own wait retries only
 * LEADER_NOT_AVAILABLE; a loaded broker can answer the metadata request before it knows its own new
 * topic (UNKNOWN_TOPIC_OR_PARTITION). The topics were created then: this waits for their leaders
 * (up to LEADER_WAIT_MS) instead of failing. Every topic creator uses it, tests and benchmarks too.
 */
export async function createTopicsAndWait(admin: Pick<ReturnType<Kafka['admin']>, 'createTopics' | 'fetchTopicMetadata'>, specs: readonly TopicSpec[]): Promise<void> {
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: specs.map((s) => ({ topic: s.topic, numPartitions: s.numPartitions, replicationFactor: s.replicationFactor ?? -1 })),
    });
  } catch (error) {
    if (!isUnknownTopic(error)) throw error;
    await waitForLeaders(admin, specs.map((s) => s.topic), LEADER_WAIT_MS);
  }
}

/** How long ensureTopics waits for new topics' leaders after kafkajs gave up early. */
export const LEADER_WAIT_MS = 30_000;

type MetadataAdmin = Pick<ReturnType<Kafka['admin']>, 'fetchTopicMetadata'>;

function isUnknownTopic(error: unknown): boolean {
  return (error as { type?: unknown } | null)?.type === 'UNKNOWN_TOPIC_OR_PARTITION';
}

/** Polls the topics' metadata until every partition has a leader; throws the last error once `withinMs` has passed. */
export async function waitForLeaders(admin: MetadataAdmin, topics: readonly string[], withinMs: number, pollMs = 200): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    let problem: unknown;
    try {
      const { topics: found } = await admin.fetchTopicMetadata({ topics: [...topics] });
      const ready = found.length === topics.length && found.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
      if (ready) return;
      problem = new HourglassError('KAFKA_TOPIC_MISSING', `topics ${topics.join(', ')} have no leader for every partition yet`);
    } catch (error) {
      if (!isUnknownTopic(error)) throw error;
      problem = error;
    }
    if (Date.now() >= deadline) throw problem;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/**
 * Topics a command needs that do not exist. The message names them and says how to create them
 * (`howToCreate`, e.g. the config setting that does it), so an operator can act on one line.
 */
export class MissingTopicsError extends HourglassError {
  constructor(
    readonly topics: readonly string[],
    howToCreate: string,
    waitedMs: number,
  ) {
    const named = topics.map((t) => `'${t}'`).join(', ');
    const waited = waitedMs > 0 ? ` (waited ${Math.round(waitedMs / 1000)}s)` : '';
    super('KAFKA_TOPIC_MISSING', `Kafka topic${topics.length === 1 ? '' : 's'} ${named} ${topics.length === 1 ? 'does' : 'do'} not exist${waited}; ${howToCreate}`);
  }
}

/**
 * Waits until every topic in `topics` exists, checking every `intervalMs` for at most `timeoutMs`
 * (another service or an operator may be creating them right now). `onWaiting` is called once, with
 * the missing topics, when the first check finds some. Throws MissingTopicsError when the time is
 * up; connection errors are thrown as they are.
 */
export async function waitForTopics(
  kafka: Kafka,
  topics: readonly string[],
  options: { timeoutMs: number; intervalMs?: number; howToCreate: string; onWaiting?: (missing: string[]) => void },
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const started = Date.now();
  try {
    for (let first = true; ; first = false) {
      const existing = new Set(await admin.listTopics());
      const missing = [...new Set(topics)].filter((t) => !existing.has(t));
      if (missing.length === 0) return;
      const waited = Date.now() - started;
      if (waited >= options.timeoutMs) throw new MissingTopicsError(missing, options.howToCreate, waited);
      if (first) options.onWaiting?.(missing);
      await new Promise((r) => setTimeout(r, Math.min(options.intervalMs ?? 1000, options.timeoutMs - waited)));
    }
  } finally {
    await admin.disconnect();
  }
}

/**
 * A service's topics at start: created when its `createTopics` setting is on (logged when any was
 * missing), else waited for up to `waitMs` and refused with one line that names them and
 * `howToCreate`. Ingest and the scorer differ only in their topics and their setting's name.
 */
export async function provideTopics(
  kafka: Kafka,
  topics: readonly string[],
  o: { create: boolean; partitions: number; waitMs: number; setting: string; howToCreate: string; log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void } },
): Promise<void> {
  const needed = [...new Set(topics)];
  if (o.create) {
    const created = await ensureTopics(kafka, needed.map((topic) => ({ topic, numPartitions: o.partitions })));
    if (created.length > 0) o.log.info({ topics: created, partitions: o.partitions }, 'created topics');
    return;
  }
  await waitForTopics(kafka, needed, {
    timeoutMs: o.waitMs,
    howToCreate: o.howToCreate,
    onWaiting: (missing) => o.log.warn({ topics: missing, waitMs: o.waitMs }, `waiting for topics to be created (${o.setting} is off)`),
  });
}

/** Per partition of `topic`: the high watermark minus the group's committed offset (all of it when none). */
export async function consumerGroupLag(kafka: Kafka, groupId: string, topic: string): Promise<Map<number, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
    const done = new Map((committed?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    return new Map(ends.map((e) => [e.partition, Number(e.high) - Math.max(0, done.get(e.partition) ?? Number(e.low))]));
  } finally {
    await admin.disconnect();
  }
}
