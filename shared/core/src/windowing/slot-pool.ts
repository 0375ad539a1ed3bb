/**
 * Flat typed storage for the per-series state of many series with one layout (W steps, C
 * channels, P open steps). A series holds an index into a chunk of CHUNK_SERIES series instead of
 * its own arrays, so live state costs its bytes and no per-step objects or per-series typed-array
 * headers (at W = 64, C = 1, P = 1 about 0.6 KB of arrays per series). Chunks are never copied
 * when the pool grows, and freed indices are reused.
 */
export const CHUNK_SERIES = 1024;

/** Doubles per series in SlotChunk.scalars. */
export const SCALARS = 5;

/** One chunk's arrays; series `i` of the chunk owns the i-th stretch of each. */
export class SlotChunk {
  /** W x C resolved values per series (ring, time-major within a step), as windows carry them. */
  readonly values: Float32Array;
  /** W observed flags per series, one bit each (1 observed, 0 filled): bit k of the chunk is ring cell k. */
  readonly observed: Uint8Array;
  /** W offsets per series, as deltas from the series' offset base (see SeriesWindow.recordOffset). */
  readonly offsets: Uint32Array;
  /** Per series: the numbers of its state that are not small integers (see SeriesWindow's SCALAR_*), unboxed. */
  readonly scalars: Float64Array;
  /** C values of the series' newest observation at full precision (linear fills interpolate from it). */
  readonly lastValues: Float64Array;
  /** P open steps per series, by step mod P; NaN = empty. */
  readonly pendingStep: Float64Array;
  readonly pendingValues: Float64Array;
  readonly pendingOffset: Float64Array;
  readonly pendingSource: Uint16Array;

  constructor(readonly steps: number, readonly channels: number, readonly open: number) {
    const n = CHUNK_SERIES;
    this.values = new Float32Array(n * steps * channels);
    this.observed = new Uint8Array(Math.ceil((n * steps) / 8));
    this.offsets = new Uint32Array(n * steps);
    this.scalars = new Float64Array(n * SCALARS);
    this.lastValues = new Float64Array(n * channels);
    this.pendingStep = new Float64Array(n * open).fill(Number.NaN);
    this.pendingValues = new Float64Array(n * open * channels);
    this.pendingOffset = new Float64Array(n * open);
    this.pendingSource = new Uint16Array(n * open);
  }
}

/** A series' place in a pool: its chunk and its index there. */
export interface Slot {
  readonly chunk: SlotChunk;
  readonly index: number;
}

function slot(chunk: SlotChunk, index: number): Slot {
  return { chunk, index };
}

class LayoutPool {
  private readonly chunks: SlotChunk[] = [];
  private readonly free: Slot[] = [];
  private used = 0;

  constructor(private readonly steps: number, private readonly channels: number, private readonly open: number) {}

  take(): Slot {
    const reused = this.free.pop();
    if (reused) {
      reused.chunk.pendingStep.fill(Number.NaN, reused.index * this.open, (reused.index + 1) * this.open);
      reused.chunk.scalars.fill(0, reused.index * SCALARS, (reused.index + 1) * SCALARS);
      return reused;
    }
    const chunkNo = Math.floor(this.used / CHUNK_SERIES);
    if (chunkNo === this.chunks.length) this.chunks.push(new SlotChunk(this.steps, this.channels, this.open));
    const taken = slot(this.chunks[chunkNo]!, this.used % CHUNK_SERIES);
    this.used++;
    return taken;
  }

  release(freed: Slot): void {
    this.free.push(freed);
  }
}

/** The pools of one Windower, one per layout (W, C, P). Dropped whole on forgetAll. */
export class SlotPools {
  private readonly pools = new Map<string, LayoutPool>();

  take(steps: number, channels: number, open: number): Slot {
    const key = `${steps}:${channels}:${open}`;
    let pool = this.pools.get(key);
    if (!pool) {
      pool = new LayoutPool(steps, channels, open);
      this.pools.set(key, pool);
    }
    return pool.take();
  }

  release(chunk: SlotChunk, index: number): void {
    const { steps, channels, open } = chunk;
    this.pools.get(`${steps}:${channels}:${open}`)?.release(slot(chunk, index));
  }
}
