import type { Consumer, EachBatchPayload, Kafka, Message, Producer } from 'kafkajs';
import type { IngestConfig, TopicsConfig, Windower } from '@hourglass/core';
import { retryStartup } from '@hourglass/kafka';
import type { Logger } from '@hourglass/runtime';
import { processBatch, SourceIds, TopicParsers, type BatchOutput } from '@hourglass/pipeline';
import type { IngestMetrics } from './metrics';

/** What the ingest consumer needs; built by startIngest. */
export interface IngestConsumerOptions {
  readonly kafka: Kafka;
  readonly config: IngestConfig;
  /** Where windows and dead letters go (the config's `topics`). */
  readonly topics: TopicsConfig;
  readonly windower: Windower;
  /** Per-topic parse settings and the metric formats' state; default: built from `config` with no model groups. */
  readonly parsers?: TopicParsers;
  readonly metrics: IngestMetrics;
  readonly log: Logger;
  /** Wall clock, injectable for tests. */
  readonly now?: () => number;
}

/** Pause after a failed produce before the rewound partitions are fetched again. */
const PRODUCE_FAILURE_BACKOFF_MS = 1000;
/** Most value bytes per produce request: well under the broker's default message.max.bytes (1 MiB) per batch. */
const MAX_REQUEST_VALUE_BYTES = 512 * 1024;

/**
 * The Kafka side of ingest, at least once. Per batch: parse and window (pure), produce windows and
 * dead letters and wait for acks=all, then commit for each partition the lowest offset that live
 * window state still needs (Windower.replayOffsets), not the position. On any rebalance all state
 * is dropped and kafkajs resumes from those commits, so the state is rebuilt by replay.
 */
export class IngestConsumer {
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly sources = new SourceIds();
  /** Per source: next offset after the last processed batch; what we last committed; where reading began. */
  private readonly position = new Map<number, number>();
  private readonly committed = new Map<number, number>();
  private readonly firstSeen = new Map<number, number>();
  private generation = 0;
  private assigned = 0;
  private connected = false;
  private readonly now: () => number;
  private readonly parsers: TopicParsers;

  constructor(private readonly options: IngestConsumerOptions) {
    const { kafka, config } = options;
    this.now = options.now ?? Date.now;
    this.parsers = options.parsers ?? new TopicParsers({ ingest: config, groups: [] });
    this.consumer = kafka.consumer({
      groupId: config.groupId,
      sessionTimeout: config.sessionTimeoutMs,
      heartbeatInterval: config.heartbeatIntervalMs,
      maxWaitTimeInMs: config.maxWaitTimeMs,
      maxBytesPerPartition: config.maxBytesPerPartition,
      allowAutoTopicCreation: false,
    });
    // kafkajs' idempotent producer needs one request in flight; acks=all is set on every send.
    this.producer = kafka.producer({ idempotent: config.idempotentProducer, allowAutoTopicCreation: false, ...(config.idempotentProducer ? { maxInFlightRequests: 1 } : {}) });
  }

  /** Connects, subscribes and starts consuming; resolves once the consumer is running. */
  async start(): Promise<void> {
    const { config, log } = this.options;
    const { consumer } = this;
    consumer.on(consumer.events.CONNECT, () => (this.connected = true));
    consumer.on(consumer.events.DISCONNECT, () => (this.connected = false));
    consumer.on(consumer.events.CRASH, (e) => log.error({ err: e.payload.error, restart: e.payload.restart }, 'consumer crashed'));
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.resetState('rebalance');
      const assignment = e.payload.memberAssignment;
      this.assigned = Object.values(assignment).reduce((n, partitions) => n + partitions.length, 0);
      log.info({ generation: this.generation, assignment }, 'partitions assigned; window state is rebuilt from the committed offsets');
    });
    await retryStartup('connecting the producer', () => this.producer.connect(), log);
    await retryStartup('connecting the consumer', () => consumer.connect(), log);
    this.connected = true;
    const patterns = config.topicPatterns.map((p) => new RegExp(`^(?:${p})$`));
    await retryStartup('subscribing to the input topics', () => consumer.subscribe({ topics: [...config.topics, ...patterns], fromBeginning: config.fromBeginning }), log);
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 1, eachBatch: (payload) => this.onBatch(payload) });
  }

  /** For /readyz: connected to the cluster and holding at least one partition. */
  readiness(): { ready: boolean; details: Record<string, unknown> } {
    return { ready: this.connected && this.assigned > 0, details: { kafka: this.connected ? 'connected' : 'disconnected', assignedPartitions: this.assigned } };
  }

  /** Stops after the in-flight batch has been produced and committed, then leaves the group. */
  async stop(): Promise<void> {
    await this.consumer.disconnect();
    await this.producer.disconnect();
  }

  private async onBatch({ batch, resolveOffset, commitOffsetsIfNecessary, isStale }: EachBatchPayload): Promise<void> {
    if (isStale() || batch.messages.length === 0) return;
    const { metrics, windower } = this.options;
    const generation = this.generation;
    const source = this.sources.id(batch.topic, batch.partition);
    if (!this.firstSeen.has(source)) this.firstSeen.set(source, Number(batch.messages[0]!.offset));
    const now = this.now();
    const evictionsBefore = windower.evictions;
    windower.evictIdle(now);
    const out = processBatch({ topic: batch.topic, partition: batch.partition, source, messages: batch.messages }, windower, this.parsers, now);
    metrics.evictions.inc(windower.evictions - evictionsBefore);
    try {
      await this.produce(out);
    } catch (error) {
      await this.rewind(error);
      return;
    }
    this.count(out);
    metrics.lag.set({ topic: batch.topic, partition: String(batch.partition) }, Number(batch.offsetLag()));
    if (generation !== this.generation) return; // a rebalance dropped the state meanwhile; replay redoes this batch
    resolveOffset(batch.lastOffset());
    this.position.set(source, Number(batch.lastOffset()) + 1);
    await this.commit(commitOffsetsIfNecessary);
  }

  /** Sends everything with acks=all, in requests of at most MAX_REQUEST_VALUE_BYTES, one after the other. */
  private async produce(out: BatchOutput): Promise<void> {
    const { windows, deadLetter } = this.options.topics;
    const all = [...out.windowMessages.map((m) => [windows, m] as const), ...out.deadLetterMessages.map((m) => [deadLetter, m] as const)];
    if (all.length === 0) return;
    const stopTimer = this.options.metrics.produceSeconds.startTimer();
    let request = new Map<string, Message[]>();
    let bytes = 0;
    const flush = async (): Promise<void> => {
      if (request.size === 0) return;
      await this.producer.sendBatch({ topicMessages: [...request].map(([topic, messages]) => ({ topic, messages })), acks: -1 });
      request = new Map();
      bytes = 0;
    };
    for (const [topic, message] of all) {
      const value = message.value as Buffer | string;
      const size = (typeof value === 'string' ? Buffer.byteLength(value) : value.length) + 64;
      if (bytes + size > MAX_REQUEST_VALUE_BYTES) await flush();
      const list = request.get(topic);
      if (list) list.push(message);
      else request.set(topic, [message]);
      bytes += size;
    }
    await flush();
    stopTimer();
  }

  /** Commits, per partition, the oldest offset live state needs, or the position when it needs none. */
  private async commit(commitOffsetsIfNecessary: EachBatchPayload['commitOffsetsIfNecessary']): Promise<void> {
    const replay = this.options.windower.replayOffsets();
    // The metric formats' rate and multivariate state needs its samples re-read too.
    for (const [source, offset] of this.parsers.assembler.replayOffsets()) replay.set(source, Math.min(replay.get(source) ?? offset, offset));
    const byTopic = new Map<string, { partition: number; offset: string }[]>();
    const changes: [number, number][] = [];
    for (const { id, topic, partition } of this.sources.entries()) {
      const position = this.position.get(id);
      if (position === undefined) continue;
      const offset = Math.min(replay.get(id) ?? position, position);
      if (this.committed.get(id) === offset) continue;
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), { partition, offset: String(offset) }]);
      changes.push([id, offset]);
    }
    if (changes.length === 0) return;
    await commitOffsetsIfNecessary({ topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) });
    for (const [id, offset] of changes) this.committed.set(id, offset);
  }

  /**
   * A produce failed after the producer's own retries: the windows of this batch are not in Kafka
   * but the state has moved past them. Drop all state and seek every partition back to its last
   * commit (or where reading began), so replay regenerates them.
   */
  private async rewind(error: unknown): Promise<void> {
    const { log } = this.options;
    log.error({ err: error }, 'produce failed; dropping window state and re-reading from the committed offsets');
    const seeks = this.sources.entries().map(({ id, topic, partition }) => ({ topic, partition, offset: String(this.committed.get(id) ?? this.firstSeen.get(id) ?? 0) }));
    this.resetState('produce_failure');
    for (const seek of seeks) this.consumer.seek(seek);
    await new Promise((resolve) => setTimeout(resolve, PRODUCE_FAILURE_BACKOFF_MS));
  }

  private resetState(cause: 'rebalance' | 'produce_failure'): void {
    this.generation++;
    this.options.windower.forgetAll();
    this.parsers.assembler.forgetAll();
    this.sources.clear();
    this.position.clear();
    this.committed.clear();
    this.firstSeen.clear();
    this.options.metrics.lag.reset();
    this.options.metrics.stateResets.inc({ cause });
  }

  private count(out: BatchOutput): void {
    const { metrics } = this.options;
    let rejected = 0;
    for (const [reason, n] of out.rejected) {
      metrics.deadLetters.inc({ reason }, n);
      rejected += n;
    }
    metrics.latePoints.inc(out.rejected.get('too_late') ?? 0);
    metrics.duplicatePoints.inc(out.duplicates);
    metrics.points.inc({ outcome: 'accepted' }, out.accepted);
    metrics.points.inc({ outcome: 'duplicate' }, out.duplicates);
    metrics.points.inc({ outcome: 'rejected' }, rejected);
    metrics.windows.inc(out.windows);
  }
}
