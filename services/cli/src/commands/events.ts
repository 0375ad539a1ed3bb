import { randomBytes } from 'node:crypto';
import { HourglassError, type HourglassConfig } from '@hourglass/core';
import { createKafka, resolveKafkaSecurity, waitForTopics } from '@hourglass/kafka';

export interface EventsOptions {
  /** Default: `topics.anomalies`. */
  readonly topic?: string;
  /** Stop after this many events; undefined runs until stopped. */
  readonly max?: number;
  /** Stop after this long; with `max`, that is a failure (HourglassError TIMEOUT) when fewer came. */
  readonly timeoutMs?: number;
  /** Start at the earliest offset (true) or only new events (false). */
  readonly fromBeginning: boolean;
  /** Each event's JSON text, as it is on the topic. */
  readonly onEvent: (text: string) => void;
  /** Told once when the topic does not exist yet and this waits for it (`kafka.topicWaitMs`). */
  readonly onWaiting?: (message: string) => void;
  /** Resolves when the caller wants to stop (SIGINT); optional. */
  readonly stopped?: Promise<void>;
}

/**
 * `hourglass events`: prints the anomaly events of a topic, so an operator sees what the pipeline
 * found without Kafka's own tools. It reads as a consumer group of its own (a random id, deleted
 * afterwards), so it never moves the offsets of anyone else's consumer.
 */
export async function consumeEvents(config: HourglassConfig, options: EventsOptions): Promise<{ received: number; topic: string }> {
  const topic = options.topic ?? config.topics.anomalies;
  const kafka = createKafka({ ...config.kafka, clientId: `${config.kafka.clientId}-events` }, undefined, resolveKafkaSecurity(config.kafka.security));
  await waitForTopics(kafka, [topic], {
    timeoutMs: config.kafka.topicWaitMs,
    howToCreate: 'start the scorer with scorer.createTopics: true (it creates its anomalies topic), or create it with your Kafka tools',
    onWaiting: () => options.onWaiting?.(`waiting up to ${Math.round(config.kafka.topicWaitMs / 1000)}s for topic '${topic}' to be created`),
  }).catch((error: unknown) => {
    if (error instanceof HourglassError) throw error;
    throw new HourglassError('UNAVAILABLE', `cannot reach Kafka at ${config.kafka.brokers.join(',')}: ${(error as Error).message}`);
  });
  const groupId = `hourglass-events-${randomBytes(4).toString('hex')}`;
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000, maxWaitTimeInMs: 250 });
  let received = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: options.fromBeginning });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (options.max !== undefined && received >= options.max) return;
        if (message.value) options.onEvent(message.value.toString());
        received++;
        if (options.max !== undefined && received >= options.max) done();
      },
    });
    const timedOut = options.timeoutMs === undefined ? undefined : new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), options.timeoutMs)));
    const outcome = await Promise.race([finished, options.stopped ?? new Promise<never>(() => undefined), ...(timedOut ? [timedOut] : [])]);
    if (outcome === 'timeout' && options.max !== undefined) {
      throw new HourglassError('TIMEOUT', `${received} of ${options.max ?? 'the'} event(s) on ${topic} within ${Math.round(options.timeoutMs! / 1000)}s`);
    }
    return { received, topic };
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
    const admin = kafka.admin();
    await admin
      .connect()
      .then(() => admin.deleteGroups([groupId]))
      .catch(() => undefined) // best effort: an empty group expires with the broker's offset retention anyway
      .finally(() => admin.disconnect().catch(() => undefined));
  }
}
