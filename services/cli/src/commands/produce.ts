import { generateDemoStream, HourglassError, type HourglassConfig } from '@hourglass/core';
import { createKafka, resolveKafkaSecurity, waitForTopics } from '@hourglass/kafka';
import { openInput, readMessages } from '../embedded/inputs';

export interface ProduceOptions {
  readonly topic?: string;
  readonly input?: string;
  readonly demo?: boolean;
  /** Points per second; 0 sends as fast as the broker acknowledges. */
  readonly rate: number;
  /** With --demo: days of event time to generate. */
  readonly days: number;
  /** CSV delimiter (one character); default `,` (a tab for .tsv). */
  readonly delimiter?: string;
  /** Told once when the topic does not exist yet and produce waits for it (`kafka.topicWaitMs`). */
  readonly onWaiting?: (message: string) => void;
}

/** What `hourglass produce` did; `unreadable` counts CSV records csv-parse could not read (not sent). */
export interface ProduceResult {
  readonly sent: number;
  readonly seconds: number;
  readonly topic: string;
  readonly unreadable: { readonly count: number; readonly first?: { readonly line: number; readonly refused: string } };
}

/**
 * `hourglass produce`: sends a CSV, NDJSON or demo stream to an input topic, keyed by series, at a
 * given rate. Messages are sent in the input-topic shape, unparsed, so ingest judges them.
 */
export async function produce(config: HourglassConfig, options: ProduceOptions): Promise<ProduceResult> {
  const topic = options.topic ?? config.ingest.topics[0];
  if (!topic) throw new HourglassError('USAGE', 'no topic: give --topic or ingest.topics in the config');
  if (!options.demo && !options.input) throw new HourglassError('USAGE', 'give --input FILE (CSV or NDJSON, - for stdin) or --demo');
  // kafkajs' own retry chatter stays quiet: a failure becomes one clear line below.
  const kafka = createKafka({ ...config.kafka, clientId: `${config.kafka.clientId}-produce` }, undefined, resolveKafkaSecurity(config.kafka.security));
  const producer = kafka.producer();
  await producer.connect().catch((error: unknown) => {
    throw new HourglassError('UNAVAILABLE', `cannot reach Kafka at ${config.kafka.brokers.join(',')}: ${(error as Error).message}`);
  });
  try {
    // A missing topic would fail every send with kafkajs' "does not host this topic-partition";
    // wait a little (ingest may be creating it right now), then say which topic and what creates it.
    await waitForTopics(kafka, [topic], {
      timeoutMs: config.kafka.topicWaitMs,
      howToCreate: 'create it with your Kafka tools, or start ingest with ingest.createTopics: true (it creates its input topics)',
      onWaiting: () => options.onWaiting?.(`waiting up to ${Math.round(config.kafka.topicWaitMs / 1000)}s for topic '${topic}' to be created`),
    });
  } catch (error) {
    await producer.disconnect();
    throw error;
  }
  const started = Date.now();
  let sent = 0;
  let batch: { key: string | null; value: string }[] = [];
  const unreadable: { line: number; refused: string }[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    await producer.send({ topic, acks: -1, messages: batch });
    sent += batch.length;
    batch = [];
  };
  const batchSize = options.rate > 0 ? Math.max(1, Math.min(500, Math.ceil(options.rate / 20))) : 500;
  try {
    for await (const message of messages(options, config, unreadable)) {
      batch.push({ key: seriesOf(message), value: message });
      if (batch.length >= batchSize) {
        await flush();
        if (options.rate > 0) {
          const due = started + (sent / options.rate) * 1000;
          if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
        }
      }
    }
    await flush();
  } finally {
    await producer.disconnect();
  }
  return { sent, seconds: (Date.now() - started) / 1000, topic, unreadable: { count: unreadable.length, ...(unreadable[0] ? { first: unreadable[0] } : {}) } };
}

async function* messages(options: ProduceOptions, config: HourglassConfig, unreadable: { line: number; refused: string }[]): AsyncGenerator<string> {
  if (options.demo) {
    // Event times end now, so a live pipeline sees a stream that is current.
    const days = options.days;
    const startMs = Math.floor((Date.now() - days * 86_400_000) / 300_000) * 300_000;
    for (const point of generateDemoStream({ days, startMs }).points) yield JSON.stringify(point);
    return;
  }
  const { stream, input } = openInput(options.input!, options.delimiter);
  for await (const m of readMessages(stream, input, config.ingest.parse)) {
    // A CSV record csv-parse cannot read has no message to send; ingest would refuse it anyway.
    if ('refused' in m) unreadable.push(m);
    else yield m.message;
  }
}

/** The series of a message, as its Kafka key (null when the message names none: ingest then uses none either). */
function seriesOf(message: string): string | null {
  try {
    const parsed = JSON.parse(message) as { series?: unknown };
    return typeof parsed.series === 'string' ? parsed.series : null;
  } catch {
    return null;
  }
}
