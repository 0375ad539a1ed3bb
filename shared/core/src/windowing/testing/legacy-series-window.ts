import type { WindowConfig } from '../../config/window-config';
import type { SourceRef } from '../../contracts/point';
import type { Window } from '../../contracts/window';
import { inferIntervalMs } from '../interval';

// A frozen copy of SeriesWindow before issue 17 (per-step slot objects), kept on purpose: the
// typed-array SeriesWindow is property-tested against it (series-window-equivalence.test.ts).
// Do not change it, and do not use it outside that test.

/** What became of one offered point. `too_late` points are refused (dead-lettered by the caller). */
export type OfferOutcome = 'accepted' | 'duplicate' | 'too_late';

/** The result of offering one point: its outcome, the windows it completed, and duplicates merged on the way. */
export interface OfferResult {
  readonly outcome: OfferOutcome;
  readonly windows: Window[];
  /** Points merged as duplicates while replaying the interval-inference warm-up (already counted as accepted). */
  readonly mergedDuplicates: number;
}

interface Slot {
  readonly step: number;
  readonly values: readonly number[];
  readonly observed: boolean;
  /** The input point this step depends on: itself, or for a filled step the observation before the gap. */
  readonly ref: SourceRef;
}

interface Held {
  readonly timestampMs: number;
  values: readonly number[];
  ref: SourceRef;
}

/**
 * The event-time state of one series: snaps points to the grid, holds steps open for the allowed
 * lateness, resolves closed steps in order (filling short gaps, restarting after long ones) and
 * cuts W-step windows every S steps. Pure and synchronous; see docs/ingest.md for the semantics.
 */
export class LegacySeriesWindow {
  private intervalMs: number | undefined;
  private latenessSteps = 0;
  private warmup: Held[] | undefined;
  private readonly pending = new Map<number, Held>();
  private maxStep = Number.NEGATIVE_INFINITY;
  private lastObserved: Slot | undefined;
  private readonly ring: (Slot | undefined)[];
  private ringNext = 0;
  private run = 0;
  private neededCache: Map<number, number> | undefined;
  /** Wall-clock ms of the newest arrival, for idle eviction. */
  lastArrivalMs = 0;

  constructor(
    readonly series: string,
    readonly group: string,
    private readonly config: WindowConfig,
    readonly channels: readonly string[],
  ) {
    this.ring = new Array<Slot | undefined>(config.lengthSteps);
    if (config.intervalMs !== undefined) this.setInterval(config.intervalMs);
    else this.warmup = [];
  }

  /** Offers one point (values in `channels` order) that arrived at wall-clock `arrivalMs`. */
  offer(timestampMs: number, values: readonly number[], ref: SourceRef, arrivalMs: number): OfferResult {
    this.lastArrivalMs = arrivalMs;
    this.neededCache = undefined;
    const windows: Window[] = [];
    if (this.warmup) return this.offerWarmup({ timestampMs, values, ref }, arrivalMs, windows);
    return { outcome: this.place({ timestampMs, values, ref }, arrivalMs, windows), windows, mergedDuplicates: 0 };
  }

  /**
   * The lowest offset per source that a fresh SeriesWindow must re-read to rebuild this state: the
   * points behind the last W-1 resolved steps, the open steps and the warm-up. Cached until the next offer.
   */
  neededOffsets(): ReadonlyMap<number, number> {
    if (this.neededCache) return this.neededCache;
    const needed = new Map<number, number>();
    const note = (ref: SourceRef): void => {
      const current = needed.get(ref.source);
      if (current === undefined || ref.offset < current) needed.set(ref.source, ref.offset);
    };
    const keep = Math.min(this.run, this.config.lengthSteps - 1);
    for (let i = 1; i <= keep; i++) note(this.slotBack(i).ref);
    for (const held of this.pending.values()) note(held.ref);
    for (const held of this.warmup ?? []) note(held.ref);
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
      if (this.place(held, arrivalMs, windows) !== 'accepted') mergedDuplicates++;
    }
    return { outcome: 'accepted', windows, mergedDuplicates };
  }

  private setInterval(intervalMs: number): void {
    this.intervalMs = intervalMs;
    this.latenessSteps = Math.min(4096, Math.floor(this.config.allowedLatenessMs / intervalMs));
  }

  /** Steps at or below this are closed: resolved or about to be, so a new point there is too late. */
  private closedThrough(): number {
    return this.maxStep - this.latenessSteps - 1;
  }

  private place(point: Held, arrivalMs: number, windows: Window[]): OfferOutcome {
    const step = Math.round((point.timestampMs - this.config.gridOriginMs) / this.intervalMs!);
    if (step <= this.closedThrough()) {
      // A repeat of a step we still hold as observed is a harmless duplicate under keep-first.
      const known = this.config.duplicates === 'keep-first' && this.heldObserved(step);
      return known ? 'duplicate' : 'too_late';
    }
    const open = this.pending.get(step);
    if (open) {
      if (this.config.duplicates === 'keep-last') Object.assign(open, { values: point.values, ref: point.ref });
      return 'duplicate';
    }
    this.pending.set(step, point);
    if (step > this.maxStep) {
      this.maxStep = step;
      this.advance(arrivalMs, windows);
    }
    return 'accepted';
  }

  /** Resolves closed steps in order; a missing step waits until the observation after its gap is closed too. */
  private advance(arrivalMs: number, windows: Window[]): void {
    const closed = this.closedThrough();
    for (;;) {
      if (this.pending.size === 0) return;
      let next = Number.POSITIVE_INFINITY;
      for (const step of this.pending.keys()) if (step < next) next = step;
      if (next > closed) return;
      const held = this.pending.get(next)!;
      this.pending.delete(next);
      const prev = this.lastObserved;
      if (prev) {
        const gap = next - prev.step - 1;
        if (gap > this.config.maxGapFillSteps) this.restart();
        else for (let s = prev.step + 1; s < next; s++) this.resolve(this.fill(prev, next, held.values, s), arrivalMs, windows);
      }
      const slot: Slot = { step: next, values: held.values, observed: true, ref: held.ref };
      this.lastObserved = slot;
      this.resolve(slot, arrivalMs, windows);
    }
  }

  private fill(prev: Slot, nextStep: number, next: readonly number[], step: number): Slot {
    const f = (step - prev.step) / (nextStep - prev.step);
    const values = this.config.gapFill === 'carry' ? prev.values : prev.values.map((v, c) => v + (next[c]! - v) * f);
    return { step, values, observed: false, ref: prev.ref };
  }

  /** A gap too long to fill: windows start again after it (no window spans a restart). */
  private restart(): void {
    this.run = 0;
    this.lastObserved = undefined;
    this.ring.fill(undefined);
  }

  private resolve(slot: Slot, arrivalMs: number, windows: Window[]): void {
    this.ring[this.ringNext] = slot;
    this.ringNext = (this.ringNext + 1) % this.ring.length;
    this.run++;
    const { lengthSteps: w, strideSteps: s } = this.config;
    if (this.run >= w && ((slot.step % s) + s) % s === 0) windows.push(this.cut(slot.step, arrivalMs));
  }

  /** The i-th most recent resolved slot (1 = newest). */
  private slotBack(i: number): Slot {
    return this.ring[(this.ringNext - i + this.ring.length * 2) % this.ring.length]!;
  }

  private heldObserved(step: number): boolean {
    const newest = this.lastObserved?.step;
    if (newest === undefined || step > newest) return false;
    const back = newest - step + 1;
    if (back > Math.min(this.run, this.ring.length)) return false;
    const slot = this.slotBack(back);
    return slot.step === step && slot.observed;
  }

  private cut(endStep: number, arrivalMs: number): Window {
    const w = this.config.lengthSteps;
    const c = this.channels.length;
    const values = new Float32Array(w * c);
    const mask = new Uint8Array(w * c);
    for (let t = 0; t < w; t++) {
      const slot = this.slotBack(w - t);
      for (let k = 0; k < c; k++) {
        values[t * c + k] = slot.values[k]!;
        mask[t * c + k] = slot.observed ? 1 : 0;
      }
    }
    const interval = this.intervalMs!;
    const endMs = this.config.gridOriginMs + endStep * interval;
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
