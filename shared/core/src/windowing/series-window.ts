import type { WindowConfig } from '../config/window-config';
import type { SourceRef } from '../contracts/point';
import type { Window } from '../contracts/window';
import { inferIntervalMs } from './interval';
import { SCALARS, SlotPools, type SlotChunk } from './slot-pool';

/** What became of one offered point. `too_late` points are refused (dead-lettered by the caller). */
export type OfferOutcome = 'accepted' | 'duplicate' | 'too_late';

/** The result of offering one point: its outcome, the windows it completed, and duplicates merged on the way. */
export interface OfferResult {
  readonly outcome: OfferOutcome;
  /** The completed windows as objects; empty when the state writes to a WindowSink instead. */
  readonly windows: Window[];
  /** Points merged as duplicates while replaying the interval-inference warm-up (already counted as accepted). */
  readonly mergedDuplicates: number;
}

/**
 * Where a state reports completed windows instead of cutting Window objects (ingest's block
 * path): the window ends at `endStep`, and its W steps are readable with `copySteps` until the
 * state is next offered a point.
 */
export interface WindowSink {
  window(state: SeriesWindow, endStep: number, arrivalMs: number): void;
}

interface Held {
  readonly timestampMs: number;
  values: readonly number[];
  ref: SourceRef;
}

/** The windows list of a state with a sink: never written (endStep reports to the sink instead). */
const NO_WINDOWS = Object.freeze([]) as unknown as Window[];
const SINK_RESULTS: Readonly<Record<OfferOutcome, OfferResult>> = {
  accepted: Object.freeze({ outcome: 'accepted', windows: NO_WINDOWS, mergedDuplicates: 0 }),
  duplicate: Object.freeze({ outcome: 'duplicate', windows: NO_WINDOWS, mergedDuplicates: 0 }),
  too_late: Object.freeze({ outcome: 'too_late', windows: NO_WINDOWS, mergedDuplicates: 0 }),
};

/** 1 when chunk-wide ring cell `cell` holds an observed step, 0 when a filled one. */
function observedBit(chunk: SlotChunk, cell: number): number {
  return (chunk.observed[cell >> 3]! >> (cell & 7)) & 1;
}

/** Offset deltas are stored as u32. */
const U32_LIMIT = 0x1_0000_0000;

// The state's numbers that are not small integers live in its chunk's scalars (unboxed doubles).
const MAX_STEP = 0;
const ADVANCED_THROUGH = 1;
const LAST_OBSERVED_STEP = 2;
const LAST_OBSERVED_OFFSET = 3;
const OFFSET_BASE = 4;

/**
 * The event-time state of one series: snaps points to the grid, holds steps open for the allowed
 * lateness, resolves closed steps in order (filling short gaps, restarting after long ones) and
 * cuts W-step windows every S steps. Pure and synchronous; see docs/ingest.md for the semantics.
 *
 * The resolved steps (a ring of W), the open steps (by step mod L+1) and the newest observation
 * live in a SlotPools chunk, not in per-step objects: about 0.6 KB of arrays per series at W = 64,
 * one channel. The ring holds consecutive steps ending at the newest observation (fills make every
 * step between two observations resolved), so a slot's step is implied by its position.
 */
export class SeriesWindow {
  private intervalMs: number | undefined;
  private latenessSteps = 0;
  private open = 1;
  private warmup: Held[] | undefined;
  /** Where the state's arrays are (from setInterval on); `index` is the series' place in the chunk. */
  private chunk: SlotChunk | undefined;
  private index = 0;
  private hasObserved = false;
  private lastObservedSource = 0;
  private ringNext = 0;
  private run = 0;
  /** The source of every ring step while the series has seen only one; -1 before any. */
  private source0 = -1;
  /** Per ring step source ids, only once a second source appeared (a series keyed to one partition never needs them). */
  private sources: Uint16Array | undefined;
  /** Exact ring offsets, only once live offsets spanned more than a u32 delta can hold. */
  private wideOffsets: Float64Array | undefined;
  private neededCache: Map<number, number> | undefined;
  /** Wall-clock ms of the newest arrival, for idle eviction. */
  lastArrivalMs = 0;

  constructor(
    readonly series: string,
    readonly group: string,
    /** The group's window config (W, S, lateness, ...). */
    readonly config: WindowConfig,
    readonly channels: readonly string[],
    private readonly pools: SlotPools = new SlotPools(),
    private readonly sink?: WindowSink,
  ) {
    if (config.intervalMs !== undefined) this.setInterval(config.intervalMs);
    else this.warmup = [];
  }

  /** The series' sampling interval, once known (configured or inferred). */
  get interval(): number | undefined {
    return this.intervalMs;
  }

  /** Event time of grid step `step`. */
  stepTimeMs(step: number): number {
    return this.config.gridOriginMs + step * this.intervalMs!;
  }

  /** Offers one point (values in `channels` order) that arrived at wall-clock `arrivalMs`. */
  offer(timestampMs: number, values: readonly number[], ref: SourceRef, arrivalMs: number): OfferResult {
    this.lastArrivalMs = arrivalMs;
    this.neededCache = undefined;
    if (this.warmup) return this.offerWarmup({ timestampMs, values, ref }, arrivalMs, []);
    // With a sink nothing is cut here, so the common result is a shared constant: no allocation per point.
    if (this.sink) return SINK_RESULTS[this.place(timestampMs, values, ref, arrivalMs, NO_WINDOWS)];
    const windows: Window[] = [];
    return { outcome: this.place(timestampMs, values, ref, arrivalMs, windows), windows, mergedDuplicates: 0 };
  }

  /** Returns the state's storage to its pool; the state must not be used afterwards. */
  release(): void {
    if (this.chunk) this.pools.release(this.chunk, this.index);
    this.chunk = undefined;
  }

  private scalar(which: number): number {
    return this.chunk!.scalars[this.index * SCALARS + which]!;
  }

  private setScalar(which: number, value: number): void {
    this.chunk!.scalars[this.index * SCALARS + which] = value;
  }

  /** The newest step seen (accepted). */
  private get maxStep(): number {
    return this.scalar(MAX_STEP);
  }

  /** closedThrough() at the last advance: every open step up to it is resolved. */
  private get advancedThrough(): number {
    return this.scalar(ADVANCED_THROUGH);
  }

  private get lastObservedStep(): number {
    return this.scalar(LAST_OBSERVED_STEP);
  }

  private get lastObservedOffset(): number {
    return this.scalar(LAST_OBSERVED_OFFSET);
  }

  /** Ring offsets are u32 deltas from this (rebased when one would not fit). */
  private get offsetBase(): number {
    return this.scalar(OFFSET_BASE);
  }

  /** The source of ring position `i` (0..W-1). */
  private sourceAt(i: number): number {
    return this.sources ? this.sources[i]! : this.source0;
  }

  /** The offset of ring position `i` (0..W-1). */
  private offsetAt(i: number): number {
    return this.wideOffsets ? this.wideOffsets[i]! : this.offsetBase + this.chunk!.offsets[this.index * this.config.lengthSteps + i]!;
  }

  /**
   * Copies the `count` resolved steps ending `back` steps before the newest (back = 0: the newest
   * is the last copied) into `values` (count x C) and `mask` (count x C) at cell `at`.
   */
  copySteps(back: number, count: number, values: Float32Array, mask: Uint8Array, at: number): void {
    const chunk = this.chunk!;
    const index = this.index;
    const w = this.config.lengthSteps;
    const c = this.channels.length;
    for (let k = 0; k < count; k++) {
      const i = (this.ringNext - back - count + k + 2 * w) % w;
      const from = (index * w + i) * c;
      const observed = observedBit(chunk, index * w + i);
      for (let ch = 0; ch < c; ch++) {
        values[at + k * c + ch] = chunk.values[from + ch]!;
        mask[at + k * c + ch] = observed;
      }
    }
  }

  /**
   * The lowest offset per source that a fresh SeriesWindow must re-read to rebuild this state: the
   * points behind the last W-1 resolved steps, the open steps and the warm-up. Cached until the next offer.
   */
  neededOffsets(): ReadonlyMap<number, number> {
    if (this.neededCache) return this.neededCache;
    const needed = new Map<number, number>();
    const note = (source: number, offset: number): void => {
      const current = needed.get(source);
      if (current === undefined || offset < current) needed.set(source, offset);
    };
    const chunk = this.chunk;
    if (chunk) {
      const index = this.index;
      const w = this.config.lengthSteps;
      const keep = Math.min(this.run, w - 1);
      for (let back = 1; back <= keep; back++) {
        const i = (this.ringNext - back + 2 * w) % w;
        note(this.sourceAt(i), this.offsetAt(i));
      }
      for (let p = index * this.open; p < (index + 1) * this.open; p++) {
        if (!Number.isNaN(chunk.pendingStep[p]!)) note(chunk.pendingSource[p]!, chunk.pendingOffset[p]!);
      }
    }
    for (const held of this.warmup ?? []) note(held.ref.source, held.ref.offset);
    this.neededCache = needed;
    return needed;
  }

  /** Until the interval is known, points wait; at the K-th distinct timestamp they replay in time order. */
  private offerWarmup(point: Held, arrivalMs: number, windows: Window[]): OfferResult {
    const warmup = this.warmup!;
    const same = warmup.find((h) => h.timestampMs === point.timestampMs);
    if (same) {
      if (this.config.duplicates === 'keep-last') Object.assign(same, { values: point.values, ref: point.ref });
      return { outcome: 'duplicate', windows, mergedDuplicates: 0 };
    }
    warmup.push(point);
    if (warmup.length < this.config.intervalInferencePoints) return { outcome: 'accepted', windows, mergedDuplicates: 0 };
    this.setInterval(inferIntervalMs(warmup.map((h) => h.timestampMs))!);
    this.warmup = undefined;
    // Replaying in time order means nothing in the warm-up is late; equal steps merge as duplicates.
    let mergedDuplicates = 0;
    for (const held of [...warmup].sort((a, b) => a.timestampMs - b.timestampMs)) {
      if (this.place(held.timestampMs, held.values, held.ref, arrivalMs, windows) !== 'accepted') mergedDuplicates++;
    }
    return { outcome: 'accepted', windows, mergedDuplicates };
  }

  private setInterval(intervalMs: number): void {
    this.intervalMs = intervalMs;
    this.latenessSteps = Math.min(4096, Math.floor(this.config.allowedLatenessMs / intervalMs));
    // Open steps are (closedThrough, maxStep]: L + 1 of them, so step mod (L + 1) never collides.
    this.open = this.latenessSteps + 1;
    const { chunk, index } = this.pools.take(this.config.lengthSteps, this.channels.length, this.open);
    this.chunk = chunk;
    this.index = index;
    this.setScalar(MAX_STEP, Number.NEGATIVE_INFINITY);
    this.setScalar(ADVANCED_THROUGH, Number.NEGATIVE_INFINITY);
    this.setScalar(OFFSET_BASE, Number.NaN);
  }

  /** Steps at or below this are closed: resolved or about to be, so a new point there is too late. */
  private closedThrough(): number {
    return this.maxStep - this.latenessSteps - 1;
  }

  private place(timestampMs: number, values: readonly number[], ref: SourceRef, arrivalMs: number, windows: Window[]): OfferOutcome {
    const step = Math.round((timestampMs - this.config.gridOriginMs) / this.intervalMs!);
    if (step <= this.closedThrough()) {
      // A repeat of a step we still hold as observed is a harmless duplicate under keep-first.
      const known = this.config.duplicates === 'keep-first' && this.heldObserved(step);
      return known ? 'duplicate' : 'too_late';
    }
    const chunk = this.chunk!;
    const at = this.index * this.open + this.openIndex(step);
    if (chunk.pendingStep[at] === step) {
      if (this.config.duplicates === 'keep-last') this.hold(at, step, values, ref);
      return 'duplicate';
    }
    if (step > this.maxStep) {
      // Resolve what this point closes before it takes its open slot: a closed step may share it.
      this.setScalar(MAX_STEP, step);
      this.advance(arrivalMs, windows);
    }
    this.hold(at, step, values, ref);
    return 'accepted';
  }

  /** Where open step `step` is held: step mod (L + 1), non-negative for steps before the grid origin too. */
  private openIndex(step: number): number {
    return ((step % this.open) + this.open) % this.open;
  }

  private hold(at: number, step: number, values: readonly number[], ref: SourceRef): void {
    const chunk = this.chunk!;
    const c = this.channels.length;
    chunk.pendingStep[at] = step;
    for (let ch = 0; ch < c; ch++) chunk.pendingValues[at * c + ch] = values[ch]!;
    chunk.pendingOffset[at] = ref.offset;
    chunk.pendingSource[at] = ref.source;
  }

  /** Resolves closed steps in order; a missing step waits until the observation after its gap is closed too. */
  private advance(arrivalMs: number, windows: Window[]): void {
    const closed = this.closedThrough();
    const from = this.advancedThrough;
    this.setScalar(ADVANCED_THROUGH, closed);
    if (closed <= from) return;
    const chunk = this.chunk!;
    const base = this.index * this.open;
    if (closed - from <= this.open) {
      for (let step = from + 1; step <= closed; step++) {
        const at = base + this.openIndex(step);
        if (chunk.pendingStep[at] === step) this.resolveHeld(at, step, arrivalMs, windows);
      }
      return;
    }
    // A jump further than the open range: whatever is held is closed now, in step order.
    const held: number[] = [];
    for (let at = base; at < base + this.open; at++) if (chunk.pendingStep[at]! <= closed) held.push(at);
    held.sort((a, b) => chunk.pendingStep[a]! - chunk.pendingStep[b]!);
    for (const at of held) this.resolveHeld(at, chunk.pendingStep[at]!, arrivalMs, windows);
  }

  /** Resolves the held observation at open slot `at` (step `next`), filling or restarting after a gap first. */
  private resolveHeld(at: number, next: number, arrivalMs: number, windows: Window[]): void {
    const chunk = this.chunk!;
    const index = this.index;
    const c = this.channels.length;
    chunk.pendingStep[at] = Number.NaN;
    if (this.hasObserved) {
      const prev = this.lastObservedStep;
      const gap = next - prev - 1;
      if (gap > this.config.maxGapFillSteps) this.restart();
      else {
        for (let s = prev + 1; s < next; s++) {
          const f = (s - prev) / (next - prev);
          const ring = this.beginStep();
          for (let ch = 0; ch < c; ch++) {
            const v = chunk.lastValues[index * c + ch]!;
            chunk.values[ring * c + ch] = this.config.gapFill === 'carry' ? v : v + (chunk.pendingValues[at * c + ch]! - v) * f;
          }
          this.endStep(ring, s, false, this.lastObservedOffset, this.lastObservedSource, arrivalMs, windows);
        }
      }
    }
    const ring = this.beginStep();
    for (let ch = 0; ch < c; ch++) {
      const v = chunk.pendingValues[at * c + ch]!;
      chunk.lastValues[index * c + ch] = v;
      chunk.values[ring * c + ch] = v;
    }
    this.hasObserved = true;
    this.setScalar(LAST_OBSERVED_STEP, next);
    this.setScalar(LAST_OBSERVED_OFFSET, chunk.pendingOffset[at]!);
    this.lastObservedSource = chunk.pendingSource[at]!;
    this.endStep(ring, next, true, this.lastObservedOffset, this.lastObservedSource, arrivalMs, windows);
  }

  /** A gap too long to fill: windows start again after it (no window spans a restart). */
  private restart(): void {
    this.run = 0;
    this.hasObserved = false;
  }

  /** The chunk-wide ring index (series base + position) the next resolved step is written to. */
  private beginStep(): number {
    return this.index * this.config.lengthSteps + this.ringNext;
  }

  private endStep(ring: number, step: number, observed: boolean, offset: number, source: number, arrivalMs: number, windows: Window[]): void {
    const bits = this.chunk!.observed;
    if (observed) bits[ring >> 3]! |= 1 << (ring & 7);
    else bits[ring >> 3]! &= ~(1 << (ring & 7));
    this.recordSource(source);
    this.recordOffset(offset);
    this.ringNext = (this.ringNext + 1) % this.config.lengthSteps;
    this.run++;
    const { lengthSteps: w, strideSteps: s } = this.config;
    if (this.run >= w && ((step % s) + s) % s === 0) {
      if (this.sink) this.sink.window(this, step, arrivalMs);
      else windows.push(this.cut(step, arrivalMs));
    }
  }

  /** Notes the source of the step at ringNext; per-step ids exist only once a second source appears. */
  private recordSource(source: number): void {
    if (this.sources) {
      this.sources[this.ringNext] = source;
      return;
    }
    if (this.source0 === -1) this.source0 = source;
    if (source === this.source0) return;
    this.sources = new Uint16Array(this.config.lengthSteps).fill(this.source0);
    this.sources[this.ringNext] = source;
  }

  /**
   * Notes the offset of the step at ringNext. Offsets are u32 deltas from a per-series base: a
   * series' live steps span a short stretch of its partition. When one does not fit, the base moves
   * to the lowest live offset; when the live offsets still span more than a u32 (a slow series in a
   * partition with billions of messages between its points, or two sources), the series keeps
   * exact f64 offsets from then on.
   */
  private recordOffset(offset: number): void {
    const w = this.config.lengthSteps;
    const at = this.ringNext;
    if (this.wideOffsets) {
      this.wideOffsets[at] = offset;
      return;
    }
    const chunk = this.chunk!;
    const row = this.index * w;
    const delta = offset - this.offsetBase;
    if (delta >= 0 && delta < U32_LIMIT) {
      chunk.offsets[row + at] = delta;
      return;
    }
    // The step being written is the oldest and leaves the ring now: it is not live.
    const live = Math.min(this.run, w - 1);
    let low = offset;
    let high = offset;
    for (let back = 1; back <= live; back++) {
      const value = this.offsetAt((at - back + 2 * w) % w);
      low = Math.min(low, value);
      high = Math.max(high, value);
    }
    if (high - low >= U32_LIMIT) {
      const wide = new Float64Array(w);
      for (let back = 1; back <= live; back++) wide[(at - back + 2 * w) % w] = this.offsetAt((at - back + 2 * w) % w);
      wide[at] = offset;
      this.wideOffsets = wide;
      return;
    }
    for (let back = 1; back <= live; back++) {
      const i = (at - back + 2 * w) % w;
      chunk.offsets[row + i] = this.offsetAt(i) - low;
    }
    this.setScalar(OFFSET_BASE, low);
    chunk.offsets[row + at] = offset - low;
  }

  private heldObserved(step: number): boolean {
    if (!this.hasObserved || step > this.lastObservedStep) return false;
    const back = this.lastObservedStep - step + 1;
    const w = this.config.lengthSteps;
    if (back > Math.min(this.run, w)) return false;
    return observedBit(this.chunk!, this.index * w + ((this.ringNext - back + 2 * w) % w)) === 1;
  }

  private cut(endStep: number, arrivalMs: number): Window {
    const w = this.config.lengthSteps;
    const c = this.channels.length;
    const values = new Float32Array(w * c);
    const mask = new Uint8Array(w * c);
    this.copySteps(0, w, values, mask, 0);
    const interval = this.intervalMs!;
    const endMs = this.stepTimeMs(endStep);
    return {
      formatVersion: 1,
      series: this.series,
      group: this.group,
      startMs: endMs - (w - 1) * interval,
      endMs,
      intervalMs: interval,
      channels: this.channels,
      values,
      mask,
      ingestedAtMs: arrivalMs,
    };
  }
}
