import type { SeriesWindow, WindowSink } from './series-window';

/**
 * A run of one series' consecutive windows, sent as one windows-topic message (format version 2):
 * the points from the first window's start to the last window's end, and the mask, from which
 * every window is cut (window i covers steps i*S .. i*S + W - 1 of the run). Ingest decided each
 * window (gaps, lateness, duplicates, fills); the scorer only cuts them.
 */
export interface WindowBlock {
  readonly series: string;
  readonly group: string;
  readonly channels: readonly string[];
  /** W: steps per window. */
  readonly lengthSteps: number;
  /** Steps between the ends of consecutive windows of the block (the group's S). */
  readonly strideSteps: number;
  readonly intervalMs: number;
  /** Event time of the run's first step (the first window's startMs). */
  readonly startMs: number;
  /** Number of windows, K >= 1. */
  readonly windows: number;
  /** (W + (K - 1) * S) x C values, time-major. */
  readonly values: Float32Array;
  /** Same layout: 1 observed, 0 filled. */
  readonly mask: Uint8Array;
  /** Per window, when ingest received the point that completed it. */
  readonly ingestedAtMs: Float64Array;
}

/** Most values in one block, so that a message stays far below the broker's default message.max.bytes (1 MiB). */
const MAX_BLOCK_CELLS = 64 * 1024;

class BlockBuilder {
  values: Float32Array;
  mask: Uint8Array;
  ingested: Float64Array;
  steps = 0;
  windows = 0;
  lastEnd = 0;
  startMs = 0;

  constructor(readonly state: SeriesWindow, capacitySteps: number) {
    const c = state.channels.length;
    this.values = new Float32Array(capacitySteps * c);
    this.mask = new Uint8Array(capacitySteps * c);
    this.ingested = new Float64Array(16);
  }

  /** Room for `more` steps and one more window. */
  reserve(more: number): void {
    const c = this.state.channels.length;
    if ((this.steps + more) * c > this.values.length) {
      const grown = Math.max(2 * this.values.length, (this.steps + more) * c);
      const values = new Float32Array(grown);
      values.set(this.values.subarray(0, this.steps * c));
      const mask = new Uint8Array(grown);
      mask.set(this.mask.subarray(0, this.steps * c));
      this.values = values;
      this.mask = mask;
    }
    if (this.windows === this.ingested.length) {
      const ingested = new Float64Array(2 * this.ingested.length);
      ingested.set(this.ingested);
      this.ingested = ingested;
    }
  }

  finish(): WindowBlock {
    const { state } = this;
    const c = state.channels.length;
    return {
      series: state.series, group: state.group, channels: state.channels,
      lengthSteps: state.config.lengthSteps, strideSteps: state.config.strideSteps, intervalMs: state.interval!,
      startMs: this.startMs, windows: this.windows,
      values: this.values.subarray(0, this.steps * c), mask: this.mask.subarray(0, this.steps * c),
      ingestedAtMs: this.ingested.subarray(0, this.windows),
    };
  }
}

/**
 * Collects the windows that series states complete (a WindowSink) into one block per series run:
 * a window that ends S steps after the previous one of its series extends that series' block by
 * its S newest steps; any other (the first of the batch, the first after a restart, S > W, or a
 * full block) starts a new block. `take()` hands them over at the end of a batch.
 */
export class BlockCollector implements WindowSink {
  private readonly open = new Map<SeriesWindow, BlockBuilder>();
  private readonly done: WindowBlock[] = [];
  /** Windows collected since the last take(). */
  windowCount = 0;

  window(state: SeriesWindow, endStep: number, arrivalMs: number): void {
    const { lengthSteps: w, strideSteps: s } = state.config;
    const c = state.channels.length;
    let block = this.open.get(state);
    const extends_ = block !== undefined && s <= w && block.lastEnd + s === endStep && (block.steps + s) * c <= MAX_BLOCK_CELLS;
    if (block && extends_) {
      block.reserve(s);
      state.copySteps(0, s, block.values, block.mask, block.steps * c);
      block.steps += s;
    } else {
      if (block) this.done.push(block.finish());
      block = new BlockBuilder(state, w + 16 * s);
      this.open.set(state, block);
      block.reserve(w);
      state.copySteps(0, w, block.values, block.mask, 0);
      block.steps = w;
      block.startMs = state.stepTimeMs(endStep - w + 1);
    }
    block.ingested[block.windows++] = arrivalMs;
    block.lastEnd = endStep;
    this.windowCount++;
  }

  /** The blocks collected since the last call, each series' in time order; the collector starts empty again. */
  take(): WindowBlock[] {
    const out = this.done.splice(0);
    for (const block of this.open.values()) out.push(block.finish());
    this.open.clear();
    this.windowCount = 0;
    return out;
  }

  /** Drops what was collected (a rebalance or a failed produce: replay makes it again). */
  clear(): void {
    this.done.length = 0;
    this.open.clear();
    this.windowCount = 0;
  }
}
