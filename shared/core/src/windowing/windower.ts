import type { GroupConfig } from '../config/groups';
import type { RejectReason } from '../contracts/dead-letter';
import type { Point, SourceRef } from '../contracts/point';
import type { Window } from '../contracts/window';
import { encodeWindowBlock } from '../contracts/block-codec';
import { compileGroupMatcher, type GroupMatcher } from './group-matcher';
import { SeriesWindow } from './series-window';
import { SlotPools } from './slot-pool';
import { BlockCollector, type WindowBlock } from './window-blocks';

/** Limits of the windower's memory. */
export interface WindowerOptions {
  /** Model groups in match order. */
  readonly groups: readonly GroupConfig[];
  /** Most series with live state; beyond it the least recently arrived series is evicted. */
  readonly maxLiveSeries: number;
  /** evictIdle() drops series that received nothing for this long (wall clock). */
  readonly seriesIdleTimeoutMs: number;
  /**
   * Collect completed windows as blocks (takeBlocks(), the windows topic's format 2) instead of
   * returning Window objects from offer(): ingest's path, with no per-window allocation. Default false.
   */
  readonly blocks?: boolean;
}

/** The outcome of one point: accepted, merged as a duplicate, or rejected with a dead-letter reason. */
export type WindowerOutcome =
  | { readonly kind: 'accepted' | 'duplicate' }
  | { readonly kind: 'rejected'; readonly reason: RejectReason; readonly detail: string };

/** One offer's result: its outcome, completed windows, and warm-up duplicates merged on the way. */
export interface WindowerResult {
  readonly outcome: WindowerOutcome;
  readonly windows: readonly Window[];
  readonly mergedDuplicates: number;
}

const NO_WINDOWS: readonly Window[] = [];
// The results of most offers (nothing completed, or a block-collecting windower), shared: no allocation per point.
const ACCEPTED: WindowerResult = Object.freeze({ outcome: Object.freeze({ kind: 'accepted' as const }), windows: NO_WINDOWS, mergedDuplicates: 0 });
const DUPLICATE: WindowerResult = Object.freeze({ outcome: Object.freeze({ kind: 'duplicate' as const }), windows: NO_WINDOWS, mergedDuplicates: 0 });
/** Distinct channel lists shared between series; beyond it a series keeps its own (bounded memory whatever the input). */
const MAX_INTERNED_CHANNEL_LISTS = 1024;

/**
 * Sliding windows for many series at once: routes each point to its model group and series state,
 * bounds the number of live series (LRU by arrival), and says which offsets a restart must re-read
 * (`replayOffsets`). Pure: no clocks (callers pass wall-clock ms), no I/O.
 */
export class Windower {
  private readonly series = new Map<string, SeriesWindow>();
  private readonly match: GroupMatcher;
  private pools = new SlotPools();
  private readonly collector: BlockCollector | undefined;
  private readonly channelLists = new Map<string, readonly string[]>();
  /** Series evicted so far (cap or idleness); their open points never make a window. */
  evictions = 0;

  constructor(private readonly options: WindowerOptions) {
    this.match = compileGroupMatcher(options.groups);
    this.collector = options.blocks ? new BlockCollector() : undefined;
  }

  /** With `blocks`: the blocks of the windows completed since the last call (one per series run). */
  takeBlocks(): WindowBlock[] {
    return this.collector?.take() ?? [];
  }

  /**
   * With `blocks`: takeBlocks() as windows-topic messages (format version 2, keyed by series), with
   * the number of windows they carry. Without `blocks`: nothing (offer() returned the windows).
   */
  takeBlockMessages(): { messages: { key: string; value: Buffer }[]; windows: number } {
    const blocks = this.takeBlocks();
    let windows = 0;
    const messages = blocks.map((block) => {
      windows += block.windows;
      return { key: block.series, value: encodeWindowBlock(block) };
    });
    return { messages, windows };
  }

  /** Number of series with live state. */
  get liveSeries(): number {
    return this.series.size;
  }

  /** Offers one parsed point from `ref`, received at wall-clock `arrivalMs`. */
  offer(point: Point, ref: SourceRef, arrivalMs: number): WindowerResult {
    let state = this.series.get(point.series);
    if (state) {
      this.series.delete(point.series); // re-insert: Map order is the LRU order
    } else {
      const group = this.match(point.series);
      if (!group) return rejected('no_matching_group', 'no model group matches this series');
      const fixed = group.window.channels;
      if (fixed) {
        const unknown = point.channels.find((c) => !fixed.includes(c));
        if (unknown !== undefined) return rejected('unknown_channel', `channel '${unknown.slice(0, 64)}' is not in group '${group.name}'`);
      }
      state = new SeriesWindow(point.series, group.name, group.window, fixed ?? this.internChannels(point.channels), this.pools, this.collector);
      this.evictOverCap();
    }
    this.series.set(point.series, state);
    const values = align(point, state.channels);
    if (typeof values === 'string') return values.startsWith('missing') ? rejected('missing_value', values) : rejected('unknown_channel', values);
    const result = state.offer(point.timestampMs, values, ref, arrivalMs);
    if (result.outcome === 'too_late') return rejected('too_late', `older than the allowed lateness of group '${state.group}'`);
    if (result.windows.length === 0 && result.mergedDuplicates === 0) return result.outcome === 'accepted' ? ACCEPTED : DUPLICATE;
    return { outcome: { kind: result.outcome }, windows: result.windows, mergedDuplicates: result.mergedDuplicates };
  }

  /** Evicts series idle since before `nowMs - seriesIdleTimeoutMs`; returns how many. */
  evictIdle(nowMs: number): number {
    let evicted = 0;
    for (const [id, state] of this.series) {
      if (state.lastArrivalMs > nowMs - this.options.seriesIdleTimeoutMs) break; // LRU order: the rest are newer
      this.series.delete(id);
      state.release();
      evicted++;
    }
    this.evictions += evicted;
    return evicted;
  }

  /**
   * Per source, the lowest offset a restart must re-read so that every live series rebuilds the
   * state it has now. Sources absent from the map need nothing re-read (commit the position).
   */
  replayOffsets(): Map<number, number> {
    const out = new Map<number, number>();
    for (const state of this.series.values()) {
      for (const [source, offset] of state.neededOffsets()) {
        const current = out.get(source);
        if (current === undefined || offset < current) out.set(source, offset);
      }
    }
    return out;
  }

  /** Drops every series' state (on a rebalance, or after a failed produce): consumption restarts from the replay offsets. */
  forgetAll(): void {
    this.series.clear();
    this.pools = new SlotPools();
    this.collector?.clear();
  }

  /** One shared array per channel list, so 100k univariate series hold one ['value'], not 100k. */
  private internChannels(channels: readonly string[]): readonly string[] {
    const key = channels.join('\u0000');
    const known = this.channelLists.get(key);
    if (known) return known;
    if (this.channelLists.size < MAX_INTERNED_CHANNEL_LISTS) this.channelLists.set(key, channels);
    return channels;
  }

  private evictOverCap(): void {
    while (this.series.size >= this.options.maxLiveSeries) {
      const oldest = this.series.keys().next().value as string;
      this.series.get(oldest)!.release();
      this.series.delete(oldest);
      this.evictions++;
    }
  }
}

function rejected(reason: RejectReason, detail: string): WindowerResult {
  return { outcome: { kind: 'rejected', reason, detail }, windows: NO_WINDOWS, mergedDuplicates: 0 };
}

/** The point's values in the series' channel order, or why they do not fit ('missing ...' or 'unknown ...'). */
function align(point: Point, channels: readonly string[]): readonly number[] | string {
  if (point.channels.length === channels.length && point.channels.every((c, i) => c === channels[i])) return point.values;
  const out: number[] = [];
  for (const channel of channels) {
    const i = point.channels.indexOf(channel);
    if (i < 0) return `missing channel '${channel.slice(0, 64)}' of this series`;
    out.push(point.values[i]!);
  }
  const extra = point.channels.find((c) => !channels.includes(c));
  return extra === undefined ? out : `unknown channel '${extra.slice(0, 64)}' for this series (it has ${channels.length})`;
}
