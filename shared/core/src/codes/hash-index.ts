import { popcount32 } from './semantic-hash';

/** One hit of a lookup: the stored item, the bits that differ, and the exact code distance. */
export interface HashHit<T> {
  readonly id: string;
  readonly item: T;
  readonly hamming: number;
  readonly distance: number;
}

export interface NearestOptions {
  /** Hits to return. */
  readonly k: number;
  /** Nearest hashes (Hamming) shortlisted before the exact code distance ranks them; at least k. */
  readonly candidates: number;
  /** Only items whose time is strictly before this (epoch ms): "earlier" episodes. Default: all. */
  readonly beforeMs?: number;
  /** An id to leave out (the episode itself). */
  readonly excludeId?: string;
}

/**
 * Codes and their hashes in flat typed arrays, for lookups that cost a few Hamming distances per
 * stored item (docs/incidents.md, "Similar past episodes"): a scan computes the Hamming distance
 * of every stored hash (a popcount per 32-bit word), keeps the `candidates` nearest, and ranks
 * those by the exact Euclidean distance between codes. Slots are reused, so updates and removals
 * cost O(1) and nothing is rebuilt.
 */
export class HashIndex<T> {
  // Int32, not Uint32: words read back as small integers, never as doubles, in the hot loop.
  private hashes: Int32Array;
  private codes: Float32Array;
  /** Each slot's time; +Infinity for a free slot, so one comparison skips both. */
  private times: Float64Array;
  private items: (T | undefined)[] = [];
  private ids: (string | undefined)[] = [];
  private readonly slots = new Map<string, number>();
  private readonly free: number[] = [];
  private used = 0;

  constructor(private readonly words: number, private readonly size: number, capacity = 1024) {
    this.hashes = new Int32Array(capacity * words);
    this.codes = new Float32Array(capacity * size);
    this.times = new Float64Array(capacity).fill(Infinity);
  }

  /** Items held. */
  get count(): number {
    return this.slots.size;
  }

  has(id: string): boolean {
    return this.slots.has(id);
  }

  /** Inserts or replaces the item `id`. */
  set(id: string, hash: Uint32Array, code: ArrayLike<number>, timeMs: number, item: T): void {
    if (hash.length !== this.words || code.length !== this.size) throw new RangeError(`expected a hash of ${this.words} words and a code of ${this.size}`);
    let slot = this.slots.get(id);
    if (slot === undefined) {
      slot = this.free.pop() ?? this.used++;
      if (slot >= this.times.length) this.grow();
      this.slots.set(id, slot);
    }
    for (let w = 0; w < this.words; w += 1) this.hashes[slot * this.words + w] = hash[w] as number;
    for (let j = 0; j < this.size; j += 1) this.codes[slot * this.size + j] = code[j] as number;
    this.times[slot] = timeMs;
    this.items[slot] = item;
    this.ids[slot] = id;
  }

  delete(id: string): void {
    const slot = this.slots.get(id);
    if (slot === undefined) return;
    this.slots.delete(id);
    this.times[slot] = Infinity;
    this.items[slot] = undefined;
    this.ids[slot] = undefined;
    this.free.push(slot);
  }

  clear(): void {
    this.slots.clear();
    this.free.length = 0;
    this.used = 0;
    this.times.fill(Infinity);
    this.items = [];
    this.ids = [];
  }

  /** The k nearest items: shortlisted by Hamming distance, ranked by the exact code distance (then Hamming, then id). */
  nearest(hash: Uint32Array, code: ArrayLike<number>, options: NearestOptions): HashHit<T>[] {
    const k = Math.max(0, options.k);
    if (k === 0 || this.slots.size === 0) return [];
    const keep = Math.max(k, options.candidates);
    const before = options.beforeMs ?? Infinity;
    const exclude = options.excludeId === undefined ? -1 : (this.slots.get(options.excludeId) ?? -1);
    // A bounded shortlist: the `keep` smallest Hamming distances seen, with the worst of them known.
    const shortSlots = new Int32Array(keep);
    const shortDist = new Int32Array(keep);
    let filled = 0;
    let worst = -1;
    let worstAt = -1;
    const { words, hashes, times, used } = this;
    const h0 = hash[0]! | 0;
    const h1 = words > 1 ? hash[1]! | 0 : 0;
    // The common path is one or two popcounts per slot; the time and exclusion checks run only for
    // a slot that would enter the short list (free slots have time +Infinity, so they never do).
    for (let slot = 0, base = 0; slot < used; slot += 1, base += words) {
      let d = popcount32(hashes[base]! ^ h0);
      if (words > 1) d += popcount32(hashes[base + 1]! ^ h1);
      for (let w = 2; w < words; w += 1) d += popcount32(hashes[base + w]! ^ hash[w]!);
      if (filled === keep && d >= worst) continue;
      if (!(times[slot]! < before) || slot === exclude) continue;
      if (filled < keep) {
        shortSlots[filled] = slot;
        shortDist[filled] = d;
        filled += 1;
        if (d > worst) {
          worst = d;
          worstAt = filled - 1;
        }
        continue;
      }
      shortSlots[worstAt] = slot;
      shortDist[worstAt] = d;
      worst = -1;
      for (let i = 0; i < keep; i += 1) {
        if (shortDist[i]! > worst) {
          worst = shortDist[i]!;
          worstAt = i;
        }
      }
    }
    const hits: HashHit<T>[] = [];
    for (let i = 0; i < filled; i += 1) {
      const slot = shortSlots[i] as number;
      let s = 0;
      const base = slot * this.size;
      for (let j = 0; j < this.size; j += 1) s += ((this.codes[base + j] as number) - (code[j] as number)) ** 2;
      hits.push({ id: this.ids[slot] as string, item: this.items[slot] as T, hamming: shortDist[i] as number, distance: Math.sqrt(s) });
    }
    hits.sort((a, b) => a.distance - b.distance || a.hamming - b.hamming || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return hits.slice(0, k);
  }

  private grow(): void {
    const capacity = this.times.length * 2;
    const hashes = new Int32Array(capacity * this.words);
    hashes.set(this.hashes);
    const codes = new Float32Array(capacity * this.size);
    codes.set(this.codes);
    const times = new Float64Array(capacity).fill(Infinity);
    times.set(this.times);
    [this.hashes, this.codes, this.times] = [hashes, codes, times];
  }
}
