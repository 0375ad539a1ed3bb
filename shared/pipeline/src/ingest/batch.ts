import { buildDeadLetter, encodeWindow, parsePoint, type ParseConfig, type RejectReason, type Windower } from '@hourglass/core';
import { offerIdleFlushes, processMetricMessages } from './metric-batch';
import { TopicParsers } from './topic-parsers';

/** A message to produce: what a Kafka adapter sends as it is (a kafkajs `Message`). */
export interface OutputMessage {
  readonly key: Buffer | string | null;
  readonly value: Buffer | string | null;
}

/** What one input batch turned into: the messages to produce and the counts for the metrics. */
export interface BatchOutput {
  readonly windowMessages: OutputMessage[];
  readonly deadLetterMessages: OutputMessage[];
  /** Windows the window messages carry (a version-2 message carries a block of them). */
  windows: number;
  accepted: number;
  duplicates: number;
  readonly rejected: Map<RejectReason, number>;
}

/** The input messages of one topic-partition batch, as kafkajs hands them over. */
export interface InputBatch {
  readonly topic: string;
  readonly partition: number;
  /** The adapter's numeric id of this topic-partition (see SourceIds). */
  readonly source: number;
  readonly messages: readonly { key: Buffer | null; value: Buffer | null; offset: string }[];
}

/**
 * Parses and windows one batch. Synchronous and without I/O: it only builds the output messages,
 * so the caller produces them and commits only once Kafka has acknowledged them. `parse` is one
 * JSON parse config for every topic, or the per-topic parsers (with the metric formats' state);
 * a topic whose format is `json` reads one point per message either way, the others many
 * (metric-batch.ts). Counts are of points: for `json`, one per message.
 */
export function processBatch(batch: InputBatch, windower: Windower, parse: ParseConfig | TopicParsers, nowMs: number): BatchOutput {
  const out: BatchOutput = { windowMessages: [], deadLetterMessages: [], windows: 0, accepted: 0, duplicates: 0, rejected: new Map() };
  if (parse instanceof TopicParsers) {
    if (parse.hasMetricFormats) offerIdleFlushes(parse, windower, nowMs, out);
    const topic = parse.forTopic(batch.topic);
    if (topic.parse.format !== 'json') {
      processMetricMessages(batch, windower, parse.assembler, topic, nowMs, out);
      return withBlocks(windower, out);
    }
    parse = topic.parse;
  }
  const reject = (m: InputBatch['messages'][number], reason: RejectReason, detail: string): void => {
    out.rejected.set(reason, (out.rejected.get(reason) ?? 0) + 1);
    const entry = buildDeadLetter({ reason, detail, topic: batch.topic, partition: batch.partition, offset: m.offset, receivedAtMs: nowMs, value: m.value, maxValueBytes: parse.maxMessageBytes });
    out.deadLetterMessages.push({ key: m.key, value: JSON.stringify(entry) });
  };
  for (const message of batch.messages) {
    const parsed = parsePoint(message.value, message.key, parse);
    if (!parsed.ok) {
      reject(message, parsed.reason, parsed.detail);
      continue;
    }
    const result = windower.offer(parsed.point, { source: batch.source, offset: Number(message.offset) }, nowMs);
    const outcome = result.outcome;
    if (outcome.kind === 'rejected') reject(message, outcome.reason, outcome.detail);
    else if (outcome.kind === 'duplicate') out.duplicates++;
    else out.accepted++;
    out.duplicates += result.mergedDuplicates;
    for (const window of result.windows) out.windowMessages.push({ key: window.series, value: encodeWindow(window) });
  }
  return withBlocks(windower, out);
}

/**
 * Completes a batch's output: a block-collecting windower (ingest's) made no Window objects, and
 * its blocks of this batch become the window messages (one per series run, format version 2).
 */
function withBlocks(windower: Windower, out: BatchOutput): BatchOutput {
  const { messages, windows } = windower.takeBlockMessages();
  out.windows = out.windowMessages.length + windows;
  out.windowMessages.push(...messages);
  return out;
}

/** Numbers topic-partitions for SourceRef, and back. Cleared with the window state on a rebalance. */
export class SourceIds {
  private readonly ids = new Map<string, number>();
  private readonly parts: { topic: string; partition: number }[] = [];

  /** The id of a topic-partition, assigning the next one on first sight. */
  id(topic: string, partition: number): number {
    const name = `${partition}:${topic}`;
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.parts.length;
      this.ids.set(name, id);
      this.parts.push({ topic, partition });
    }
    return id;
  }

  /** Every topic-partition seen since the last clear, with its id. */
  entries(): { id: number; topic: string; partition: number }[] {
    return this.parts.map((p, id) => ({ id, ...p }));
  }

  clear(): void {
    this.ids.clear();
    this.parts.length = 0;
  }
}
