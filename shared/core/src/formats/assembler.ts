import type { ChannelsOption, RatesOption } from '../config/format-config';
import type { GroupConfig } from '../config/groups';
import type { ParseConfig } from '../config/ingest-config';
import type { RejectReason } from '../contracts/dead-letter';
import type { Point, SourceRef } from '../contracts/point';
import { compileGroupMatcher, globToRegExp, type GroupMatcher } from '../windowing/group-matcher';
import { checkValue, type Sample } from './sample';
import { normaliseLabels, seriesId } from './series-id';

/** Where one message came from: its topic-partition (and the adapter's id for it) and offset. */
export interface Origin {
  readonly topic: string;
  readonly partition: number;
  /** The adapter's numeric id of the topic-partition (SourceRef.source). */
  readonly source: number;
  readonly offset: string;
}

/** One sample inside an assembled point: enough to dead-letter it alone if windowing refuses the point. */
export interface Part {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** The sample's index in its message. */
  readonly index: number;
  readonly text: () => string;
}

/** A point ready for windowing, the offset replay must re-read to rebuild it, and the samples it is made of. */
export interface ReadyPoint {
  readonly point: Point;
  readonly ref: SourceRef;
  readonly parts: readonly Part[];
}

/**
 * What became of one sample at once: `held` (it is in a ready point, or waits in a multivariate
 * one, and takes that point's outcome in windowing), `accepted` (a counter's first sample: it
 * starts the rate and makes no point), `duplicate` (a second value for one channel and time, or a
 * counter sample at its series' last time), or refused with a dead-letter reason.
 */
export type SampleOutcome = 'held' | 'accepted' | 'duplicate' | { readonly reason: RejectReason; readonly detail: string };

/** What the assembler needs to know about one topic's parse settings, compiled once. */
export interface FormatSpec {
  readonly labels: readonly string[] | undefined;
  readonly channels: ChannelsOption;
  readonly isRated: (sample: Sample) => boolean;
  readonly maxSeriesBytes: number;
  readonly maxChannels: number;
}

/** Compiles a topic's parse config for the assembler. */
export function formatSpec(parse: ParseConfig): FormatSpec {
  return { labels: parse.labels, channels: parse.channels, isRated: ratePredicate(parse.rates), maxSeriesBytes: parse.maxSeriesBytes, maxChannels: parse.maxChannels };
}

function ratePredicate(rates: RatesOption): (sample: Sample) => boolean {
  if (rates === 'none') return () => false;
  if (rates === 'counters') return (s) => s.kind !== 'gauge';
  const patterns = rates.map(globToRegExp);
  return (s) => {
    const name = s.name.join('.');
    return patterns.some((p) => p.test(name));
  };
}

interface RateState {
  t: number;
  v: number;
  start: number;
  ref: SourceRef;
  arrivalMs: number;
}

interface PendingPoint {
  readonly t: number;
  readonly channels: Map<string, number>;
  readonly parts: Part[];
  ref: SourceRef;
  arrivalMs: number;
}

export interface AssemblerOptions {
  /** Model groups in match order: a group's fixed `window.channels` says when a multivariate point is complete. */
  readonly groups: readonly GroupConfig[];
  /** Most series with rate or multivariate state each (LRU by arrival, like the windower's). */
  readonly maxLiveSeries: number;
  readonly seriesIdleTimeoutMs: number;
}

/**
 * Turns decoded samples into windowing points: the series id from the metric name and labels
 * (./series-id.ts), counters into per-second rates (reset-aware: a drop, or a new OTLP start time,
 * restarts from zero), and several samples of one label set and time into one multivariate point
 * (`channels`). Stateful per series, bounded like the windower, and it says which offsets a restart
 * must re-read (`replayOffsets`): a counter's last sample, and every sample of a waiting point. A
 * rate point's ref is its previous sample's, so windowing's own replay offsets re-read that too.
 * Pure: no clocks, no I/O.
 */
export class SampleAssembler {
  private readonly rates = new Map<string, Map<string, RateState>>();
  private readonly pending = new Map<string, PendingPoint>();
  /** Per multivariate series: the channels of its first complete point (when no group fixes them). */
  private readonly learned = new Map<string, readonly string[]>();
  private readonly match: GroupMatcher;
  /** Series whose rate or waiting state was evicted (cap or idleness). */
  evictions = 0;

  constructor(private readonly options: AssemblerOptions) {
    this.match = compileGroupMatcher(options.groups);
  }

  /** Series with rate or multivariate state. */
  get liveSeries(): number {
    return this.rates.size + this.pending.size;
  }

  /** Offers one sample of the message at `origin`; returns its outcome and the points now ready. */
  offer(sample: Sample, spec: FormatSpec, origin: Origin, arrivalMs: number): { outcome: SampleOutcome; ready: ReadyPoint[] } {
    const ready: ReadyPoint[] = [];
    const channelLabel = typeof spec.channels === 'object' ? spec.channels.label : undefined;
    const labels = normaliseLabels(sample.labels, spec.labels, undefined);
    let id: string;
    let channel = 'value';
    if (spec.channels === 'fields') {
      id = seriesId(sample.name.slice(0, -1), labels);
      channel = sample.name[sample.name.length - 1]!;
    } else if (channelLabel !== undefined && labels.some(([k]) => k === channelLabel)) {
      channel = labels.find(([k]) => k === channelLabel)![1];
      id = seriesId(sample.name, labels.filter(([k]) => k !== channelLabel));
    } else id = seriesId(sample.name, labels);
    if (Buffer.byteLength(id) > spec.maxSeriesBytes) return { outcome: { reason: 'bad_series', detail: `series id longer than ${spec.maxSeriesBytes} bytes (name and labels; parse.labels keeps fewer)` }, ready };
    if (channel.length === 0 || Buffer.byteLength(channel) > 255) return { outcome: { reason: 'unknown_channel', detail: 'channel names must be 1 to 255 bytes' }, ready };

    const ref: SourceRef = { source: origin.source, offset: Number(origin.offset) };
    let value = sample.value;
    let needs = ref;
    if (spec.isRated(sample)) {
      if (sample.kind === 'delta') {
        const seconds = (sample.timestampMs - sample.startMs) / 1000;
        if (!(sample.startMs > 0 && seconds > 0)) return { outcome: { reason: 'bad_timestamp', detail: 'a delta without a start time before its time cannot be a rate' }, ready };
        value /= seconds;
      } else {
        const rate = this.rate(id, channel, sample, ref, arrivalMs);
        if (typeof rate === 'string') return { outcome: rate === 'seeded' ? 'accepted' : rate === 'duplicate' ? 'duplicate' : { reason: 'too_late', detail: "counter sample older than its series' last one" }, ready };
        value = rate.value;
        needs = rate.needs;
      }
      if (checkValue(value)) return { outcome: { reason: 'non_finite_value', detail: 'the rate is not finite as a 32-bit float' }, ready };
    }
    const part: Part = { topic: origin.topic, partition: origin.partition, offset: origin.offset, index: sample.index, text: sample.text };
    if (spec.channels === 'none' || (channelLabel !== undefined && channel === 'value' && !labels.some(([k]) => k === channelLabel))) {
      ready.push({ point: { series: id, timestampMs: sample.timestampMs, channels: ['value'], values: [value] }, ref: needs, parts: [part] });
      return { outcome: 'held', ready };
    }
    let p = this.pending.get(id);
    if (p && p.t !== sample.timestampMs) {
      ready.push(this.flush(id, p));
      p = undefined;
    }
    if (p) {
      if (p.channels.has(channel)) return { outcome: 'duplicate', ready };
      if (p.channels.size >= spec.maxChannels) return { outcome: { reason: 'oversize', detail: `more than maxChannels ${spec.maxChannels} channels in one point` }, ready };
      this.pending.delete(id); // re-insert: Map order is the LRU order
    } else {
      p = { t: sample.timestampMs, channels: new Map(), parts: [], ref: needs, arrivalMs };
      while (this.pending.size >= this.options.maxLiveSeries) this.evictPending(ready);
    }
    this.pending.set(id, p);
    p.channels.set(channel, value);
    p.parts.push(part);
    p.arrivalMs = arrivalMs;
    if (needs.source === p.ref.source && needs.offset < p.ref.offset) p.ref = needs;
    const expected = this.match(id)?.window.channels ?? this.learned.get(id);
    const complete = (spec.channels === 'fields' && sample.endsLine) || (expected !== undefined && expected.length === p.channels.size && expected.every((c) => p.channels.has(c)));
    if (complete) ready.push(this.flush(id, p));
    return { outcome: 'held', ready };
  }

  /**
   * Drops rate state and flushes waiting points of series idle since before `nowMs -
   * seriesIdleTimeoutMs`; returns the flushed points (windowing decides on them).
   */
  evictIdle(nowMs: number): ReadyPoint[] {
    const ready: ReadyPoint[] = [];
    const before = nowMs - this.options.seriesIdleTimeoutMs;
    for (const [id, p] of this.pending) {
      if (p.arrivalMs > before) break;
      ready.push(this.flush(id, p));
      this.evictions++;
    }
    for (const [id, byChannel] of this.rates) {
      let newest = -Infinity;
      for (const s of byChannel.values()) newest = Math.max(newest, s.arrivalMs);
      if (newest > before) break;
      this.rates.delete(id);
      this.evictions++;
    }
    return ready;
  }

  /** Per source, the lowest offset a restart must re-read to rebuild this state. */
  replayOffsets(): Map<number, number> {
    const out = new Map<number, number>();
    const need = (ref: SourceRef) => {
      const current = out.get(ref.source);
      if (current === undefined || ref.offset < current) out.set(ref.source, ref.offset);
    };
    for (const byChannel of this.rates.values()) for (const s of byChannel.values()) need(s.ref);
    for (const p of this.pending.values()) need(p.ref);
    return out;
  }

  /** Drops all state (with the windower's, on a rebalance or a failed produce). */
  forgetAll(): void {
    this.rates.clear();
    this.pending.clear();
    this.learned.clear();
  }

  private rate(id: string, channel: string, sample: Sample, ref: SourceRef, arrivalMs: number): { value: number; needs: SourceRef } | 'seeded' | 'duplicate' | 'older' {
    let byChannel = this.rates.get(id);
    if (byChannel) this.rates.delete(id);
    else {
      while (this.rates.size >= this.options.maxLiveSeries) {
        this.rates.delete(this.rates.keys().next().value as string);
        this.evictions++;
      }
      byChannel = new Map();
    }
    this.rates.set(id, byChannel);
    const last = byChannel.get(channel);
    const t = sample.timestampMs;
    if (!last) {
      byChannel.set(channel, { t, v: sample.value, start: sample.startMs, ref, arrivalMs });
      return 'seeded';
    }
    if (t === last.t) return 'duplicate';
    if (t < last.t) return 'older';
    const reset = sample.value < last.v || (sample.startMs > 0 && last.start > 0 && sample.startMs !== last.start);
    const increase = reset ? sample.value : sample.value - last.v;
    const value = increase / ((t - last.t) / 1000);
    const needs = last.ref.source === ref.source ? last.ref : ref;
    byChannel.set(channel, { t, v: sample.value, start: sample.startMs, ref, arrivalMs });
    return { value, needs };
  }

  private flush(id: string, p: PendingPoint): ReadyPoint {
    this.pending.delete(id);
    const channels = [...p.channels.keys()].sort();
    if (!this.learned.has(id)) {
      while (this.learned.size >= this.options.maxLiveSeries) this.learned.delete(this.learned.keys().next().value as string);
      this.learned.set(id, channels);
    }
    return { point: { series: id, timestampMs: p.t, channels, values: channels.map((c) => p.channels.get(c)!) }, ref: p.ref, parts: p.parts };
  }

  private evictPending(ready: ReadyPoint[]): void {
    const [id, p] = this.pending.entries().next().value as [string, PendingPoint];
    ready.push(this.flush(id, p));
    this.evictions++;
  }
}
