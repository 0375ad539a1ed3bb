import type { RejectReason } from '../contracts/dead-letter';
import type { Labels } from './series-id';

/**
 * One value read from a metric-format message, before series ids, rates and channels: the unit
 * every format decoder produces and the assembler (./assembler.ts) turns into windowing points.
 */
export interface Sample {
  /** Metric name parts: `[name]`, or `[measurement, field]` for Influx. */
  readonly name: readonly string[];
  /** Labels, tags or attributes, in any order. */
  readonly labels: Labels;
  readonly timestampMs: number;
  /** Finite, and finite as a float32 (checked by the decoder). */
  readonly value: number;
  /** `gauge` is taken as it is; `counter` is cumulative and monotonic; `delta` is the increase over [startMs, timestampMs]. */
  readonly kind: 'gauge' | 'counter' | 'delta';
  /** Start of a counter's or delta's interval (OTLP start_time_unix_nano) in ms; 0 when the format has none. */
  readonly startMs: number;
  /** 0-based index of this point in its message, in reading order (the dead letter's `point`). */
  readonly index: number;
  /** The point as text for a dead letter: its Influx line, or a JSON rendering. Lazily built for OTLP. */
  text(): string;
  /** True on the last sample of one Influx line: under `channels: fields` the line is one complete point. */
  readonly endsLine: boolean;
}

/** One point of a message that the decoder refused by itself (the rest of the message is kept). */
export interface PointRefusal {
  readonly index: number;
  readonly reason: RejectReason;
  readonly detail: string;
  readonly text: string;
}

/** A decoded message: its samples and the points refused on the way, or a refusal of the whole message. */
export type DecodedMessage =
  | { readonly ok: true; readonly samples: Sample[]; readonly refusals: PointRefusal[] }
  | { readonly ok: false; readonly reason: RejectReason; readonly detail: string };

/** Longest point text kept in a dead letter. */
export const MAX_POINT_TEXT = 4096;

/** A float32-finite number, or why not. */
export function checkValue(v: number): RejectReason | undefined {
  if (Number.isNaN(v)) return 'non_finite_value';
  return Number.isFinite(Math.fround(v)) ? undefined : 'non_finite_value';
}
