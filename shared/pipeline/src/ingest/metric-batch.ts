import { buildDeadLetter, decodeMetricMessage, encodeWindow, MAX_POINT_TEXT, type FormatSpec, type ParseConfig, type ReadyPoint, type RejectReason, type SampleAssembler, type Windower } from '@hourglass/core';
import type { TopicParsers } from './topic-parsers';

/** What processMetricMessages reads and fills: batch.ts's InputBatch and BatchOutput, structurally (no import cycle). */
interface InputBatch {
  readonly topic: string;
  readonly partition: number;
  readonly source: number;
  readonly messages: readonly { key: Buffer | null; value: Buffer | null; offset: string }[];
}
interface BatchOutput {
  readonly windowMessages: { key: Buffer | string | null; value: Buffer | string | null }[];
  readonly deadLetterMessages: { key: Buffer | string | null; value: Buffer | string | null }[];
  accepted: number;
  duplicates: number;
  readonly rejected: Map<RejectReason, number>;
}

/**
 * Dead letters of a whole metric-format message keep at most this much of it: a dead letter is
 * JSON with the value in base64 for binary (OTLP) messages, and it must stay under the broker's
 * default message.max.bytes (1 MB) even when parse.maxMessageBytes allows 1 MB inputs.
 */
const MAX_DEAD_LETTER_VALUE_BYTES = 384 * 1024;

/**
 * The metric formats' part of processBatch: each message is decoded into many samples, each
 * sample is counted once, a refused sample is dead-lettered alone (its index in `point`, its own
 * text as the value) and the good ones of the same message are kept. Samples become points in the
 * assembler (ids, rates, channels); a point's windowing outcome is each of its samples' outcome.
 */
export function processMetricMessages(batch: InputBatch, windower: Windower, assembler: SampleAssembler, topic: { parse: ParseConfig; spec: FormatSpec }, nowMs: number, out: BatchOutput): void {
  const { parse, spec } = topic;
  const maxValueBytes = Math.min(parse.maxMessageBytes, MAX_DEAD_LETTER_VALUE_BYTES);
  for (const message of batch.messages) {
    const decoded = decodeMetricMessage(message.value, parse);
    if (!decoded.ok) {
      count(out, decoded.reason);
      const entry = buildDeadLetter({ reason: decoded.reason, detail: decoded.detail, topic: batch.topic, partition: batch.partition, offset: message.offset, receivedAtMs: nowMs, value: message.value, maxValueBytes });
      out.deadLetterMessages.push({ key: message.key, value: JSON.stringify(entry) });
      continue;
    }
    const origin = { topic: batch.topic, partition: batch.partition, source: batch.source, offset: message.offset };
    for (const r of decoded.refusals) pointLetter(out, message.key, batch.topic, batch.partition, message.offset, r.index, r.reason, r.detail, r.text, nowMs);
    for (const sample of decoded.samples) {
      const { outcome, ready } = assembler.offer(sample, spec, origin, nowMs);
      if (outcome === 'accepted') out.accepted++;
      else if (outcome === 'duplicate') out.duplicates++;
      else if (outcome !== 'held') pointLetter(out, message.key, batch.topic, batch.partition, message.offset, sample.index, outcome.reason, outcome.detail, sample.text(), nowMs);
      for (const point of ready) offerReady(point, windower, nowMs, out, message.key);
    }
  }
}

/** Points the assembler flushed because their series went idle: windowed like any other. */
export function offerIdleFlushes(parsers: TopicParsers, windower: Windower, nowMs: number, out: BatchOutput): void {
  for (const point of parsers.assembler.evictIdle(nowMs)) offerReady(point, windower, nowMs, out, null);
}

function offerReady(ready: ReadyPoint, windower: Windower, nowMs: number, out: BatchOutput, key: Buffer | null): void {
  const result = windower.offer(ready.point, ready.ref, nowMs);
  const outcome = result.outcome;
  if (outcome.kind === 'rejected') {
    for (const p of ready.parts) pointLetter(out, key, p.topic, p.partition, p.offset, p.index, outcome.reason, outcome.detail, p.text(), nowMs);
  } else if (outcome.kind === 'duplicate') out.duplicates += ready.parts.length;
  else out.accepted += ready.parts.length;
  out.duplicates += result.mergedDuplicates;
  for (const window of result.windows) out.windowMessages.push({ key: window.series, value: encodeWindow(window) });
}

function count(out: BatchOutput, reason: RejectReason): void {
  out.rejected.set(reason, (out.rejected.get(reason) ?? 0) + 1);
}

/** The dead letter of one point: its own text as the value, its index in `point`. */
function pointLetter(out: BatchOutput, key: Buffer | null, topic: string, partition: number, offset: string, index: number, reason: RejectReason, detail: string, text: string, nowMs: number): void {
  count(out, reason);
  const entry = buildDeadLetter({ reason, detail, topic, partition, offset, receivedAtMs: nowMs, value: Buffer.from(text), maxValueBytes: MAX_POINT_TEXT * 3, point: index });
  out.deadLetterMessages.push({ key, value: JSON.stringify(entry) });
}
