/**
 * Why ingest (or the trainers' reader of the feedback topic) refused a message. Every refusal lands
 * on the dead-letter topic with one of these, and `hourglass_ingest_dead_letters_total{reason}`
 * (`hourglass_feedback_messages_total{outcome}` for feedback) counts it: a bounded label set, by construction.
 */
export const REJECT_REASONS = [
  'oversize',
  'malformed_json',
  'not_an_object',
  'missing_series',
  'bad_series',
  'bad_timestamp',
  'missing_value',
  'non_finite_value',
  'unknown_channel',
  'no_matching_group',
  'too_late',
  // The metric formats (docs/ingest.md, "Formats"):
  'malformed_line',
  'malformed_protobuf',
  'unsupported_metric',
  // The feedback topic (docs/feedback.md): a message that is not a valid verdict, or names no known episode.
  'invalid_feedback',
  'unknown_episode',
] as const;

/** One of REJECT_REASONS. */
export type RejectReason = (typeof REJECT_REASONS)[number];

/** The JSON value written to `hourglass.dlq` (its Kafka key is the original message's key). */
export interface DeadLetter {
  readonly reason: RejectReason;
  /** A short human explanation (which field, what was wrong); never contains secrets. */
  readonly detail: string;
  readonly topic: string;
  readonly partition: number;
  /** Kafka offset as a decimal string (offsets are 64-bit). */
  readonly offset: string;
  /** When ingest received the message, ISO-8601 UTC. */
  readonly receivedAt: string;
  /** The original value: UTF-8 text when it decodes as such, else base64; null for a tombstone. */
  readonly value: string | null;
  readonly valueEncoding: 'utf8' | 'base64';
  /** Size of the original value in bytes. */
  readonly valueBytes: number;
  /** True when `value` holds only the first `maxValueBytes` (an oversize message); the rest is not kept. */
  readonly truncated: boolean;
  /**
   * Only for one refused point of a message that holds several (the metric formats): its 0-based
   * index in the message, in reading order. `value` then holds that point alone (its Influx line,
   * or a JSON rendering of an OTLP or Prometheus sample), not the whole message.
   */
  readonly point?: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Builds the dead-letter entry for one refused message. The original bytes survive exactly (text or
 * base64) up to `maxValueBytes`; only longer (oversize) values are cut, so that a dead letter can
 * never be too large for the broker and block the partition.
 */
export function buildDeadLetter(input: {
  reason: RejectReason;
  detail: string;
  topic: string;
  partition: number;
  offset: string;
  receivedAtMs: number;
  value: Uint8Array | null;
  maxValueBytes: number;
  /** The refused point's index, when the entry is for one point of a multi-point message. */
  point?: number;
}): DeadLetter {
  let value: string | null = null;
  let valueEncoding: DeadLetter['valueEncoding'] = 'utf8';
  const valueBytes = input.value?.byteLength ?? 0;
  const truncated = valueBytes > input.maxValueBytes;
  if (input.value !== null) {
    const kept = truncated ? input.value.subarray(0, input.maxValueBytes) : input.value;
    try {
      value = utf8.decode(kept);
    } catch {
      value = Buffer.from(kept.buffer, kept.byteOffset, kept.byteLength).toString('base64');
      valueEncoding = 'base64';
    }
  }
  return {
    reason: input.reason,
    detail: input.detail,
    topic: input.topic,
    partition: input.partition,
    offset: input.offset,
    receivedAt: new Date(input.receivedAtMs).toISOString(),
    value,
    valueEncoding,
    valueBytes,
    truncated,
    ...(input.point === undefined ? {} : { point: input.point }),
  };
}
