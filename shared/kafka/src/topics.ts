import type { Kafka } from 'kafkajs';

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
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((s) => ({ topic: s.topic, numPartitions: s.numPartitions, replicationFactor: s.replicationFactor ?? -1 })),
    });
    return missing.map((s) => s.topic);
  } finally {
    await admin.disconnect();
  }
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
