import { buildDeadLetter, describeError, type HourglassConfig } from '@hourglass/core';
import { createKafka, provideTopics, resolveKafkaSecurity } from '@hourglass/kafka';
import { handleFeedbackMessage, type FeedbackRecorder } from '@hourglass/pipeline';
import type { Logger } from '@hourglass/runtime';
import type { FeedbackMetrics } from './feedback';

/** The longest a dead letter keeps of a refused feedback message (a verdict is a few hundred bytes). */
const MAX_DEAD_LETTER_BYTES = 64 * 1024;
/** How long the reader waits before it tries Kafka again after failing to start. */
const RESTART_AFTER_MS = 10_000;
/** How long a stop waits for a start in progress. */
const STOP_WAIT_MS = 2000;

/** The trainer's reader of the feedback topic. */
export interface FeedbackConsumer {
  /** `consuming`, or what it waits for (for /readyz). */
  status(): string;
  stop(): Promise<void>;
}

/**
 * Reads `topics.feedback` (consumer group `feedback.groupId`) and records each verdict as
 * `hourglass feedback` would. It starts in the background and retries until Kafka and the topic are
 * there, so a trainer without them still trains. A message that is not a valid verdict, or names no
 * known episode, goes to the dead-letter topic; a failure to record (Redis down) throws, so kafkajs
 * retries the message and commits nothing (at least once: a replay records the same verdict again).
 */
export function startFeedbackConsumer(config: HourglassConfig, deps: { recorder: FeedbackRecorder; metrics: FeedbackMetrics; log: Logger }): FeedbackConsumer {
  const { recorder, metrics, log } = deps;
  const fb = config.feedback;
  const topic = config.topics.feedback;
  const kafka = createKafka({ ...config.kafka, clientId: `${config.kafka.clientId}-feedback` }, log.child({ component: 'kafka' }), resolveKafkaSecurity(config.kafka.security));
  const consumer = kafka.consumer({ groupId: fb.groupId });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  for (const outcome of ['recorded', 'invalid_feedback', 'unknown_episode']) metrics.messages.inc({ outcome }, 0);
  let status = `starting: reading ${topic}`;
  let stopping = false;

  const start = async (): Promise<void> => {
    let warned = false;
    while (!stopping) {
      try {
        // No wait inside (waitMs 0): a missing topic is retried by this loop, which a stop interrupts.
        await provideTopics(kafka, [topic], {
          create: fb.createTopic, partitions: fb.topicPartitions, waitMs: 0, setting: 'feedback.createTopic', log,
          howToCreate: `create ${topic} with your Kafka tools, or set feedback.createTopic: true`,
        });
        if (stopping) return;
        await producer.connect();
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        if (stopping) return;
        await consumer.run({
          eachMessage: async ({ topic: from, partition, message }) => {
            const text = message.value?.toString('utf8') ?? '';
            const result = await handleFeedbackMessage(text, recorder);
            metrics.messages.inc({ outcome: result.outcome });
            if (result.outcome === 'recorded') {
              const f = result.feedback;
              log.info({ group: f.group, series: f.series, episodeId: f.episodeId, verdict: f.verdict, windows: f.windows, by: f.by }, 'recorded a verdict from the feedback topic');
              if (result.codeVerdictError) log.warn({ episodeId: f.episodeId, err: result.codeVerdictError }, 'the episode\'s stored code was not marked with the verdict');
              return;
            }
            log.warn({ topic: from, partition, offset: message.offset, reason: result.outcome, detail: result.detail }, 'refused a feedback message (sent to the dead-letter topic)');
            const letter = buildDeadLetter({ reason: result.outcome, detail: result.detail, topic: from, partition, offset: message.offset, receivedAtMs: Date.now(), value: message.value, maxValueBytes: MAX_DEAD_LETTER_BYTES });
            await producer.send({ topic: config.topics.deadLetter, acks: -1, messages: [{ key: message.key, value: JSON.stringify(letter) }] });
          },
        });
        status = 'consuming';
        if (warned) log.info({ topic }, 'reading the feedback topic');
        return;
      } catch (error) {
        status = `waiting: ${describeError(error)}`;
        if (!warned) log.warn({ topic, err: describeError(error) }, `cannot read the feedback topic yet; retried every ${RESTART_AFTER_MS / 1000} s (refits go on)`);
        warned = true;
        await consumer.disconnect().catch(() => undefined);
        await producer.disconnect().catch(() => undefined);
        const until = Date.now() + RESTART_AFTER_MS;
        while (!stopping && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
      }
    }
  };
  const running = start();
  return {
    status: () => status,
    async stop() {
      stopping = true;
      // A connection attempt to an unreachable broker retries for a while: a trainer that stops does
      // not wait for it (the disconnects below end what it opened).
      await Promise.race([running, new Promise((r) => setTimeout(r, STOP_WAIT_MS).unref())]);
      await consumer.disconnect().catch(() => undefined);
      await producer.disconnect().catch(() => undefined);
    },
  };
}
