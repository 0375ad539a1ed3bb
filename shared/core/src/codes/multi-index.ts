/** Bits per substring: a table per 16 bits of the hash, addressed directly (65,536 buckets). */
export const SUBSTRING_BITS = 16;
const BUCKETS = 1 << SUBSTRING_BITS;

let byWeight: { masks: Uint16Array; starts: Int32Array } | null = null;

/**
 * Every 16-bit mask, ordered by how many bits it sets: masks of weight w are
 * `masks[starts[w]] .. masks[starts[w + 1] - 1]`. The keys at exactly Hamming distance w from a
 * key are that key XOR each of them.
 */
export function masksByWeight(): { readonly masks: Uint16Array; readonly starts: Int32Array } {
  if (byWeight) return byWeight;
  const counts = new Int32Array(SUBSTRING_BITS + 2);
  const weight = (x: number) => {
    let n = 0;
    for (let v = x; v !== 0; v &= v - 1) n += 1;
    return n;
  };
  for (let x = 0; x < BUCKETS; x += 1) counts[weight(x) + 1] = counts[weight(x) + 1]! + 1;
  const starts = new Int32Array(SUBSTRING_BITS + 2);
  for (let w = 1; w < starts.length; w += 1) starts[w] = starts[w - 1]! + counts[w]!;
  const at = starts.slice();
  const masks = new Uint16Array(BUCKETS);
  for (let x = 0; x < BUCKETS; x += 1) {
    const w = weight(x);
    masks[at[w]!] = x;
    at[w] = at[w]! + 1;
  }
  byWeight = { masks, starts };
  return byWeight;
}

/** Substring `t` (16 bits) of a hash held as 32-bit words. */
export function substringOf(words: ArrayLike<number>, base: number, t: number): number {
  const word = words[base + (t >>> 1)]! >>> 0;
  return (t & 1) === 0 ? word & 0xffff : word >>> 16;
}

/**
 * The substring tables of multi-index hashing (Norouzi, Punjani and Fleet, "Fast search in
 * Hamming space with multi-index hashing", 2012): a hash of b bits is cut into m = b/16
 * substrings, and table t files every slot under its substring t. Two hashes within Hamming
 * distance r = s·m + a (0 ≤ a < m) agree within s bits on one of substrings 0..a, or within s − 1
 * on one of the others (else they would differ in more than r bits), so probing the buckets near
 * the query's substrings finds every hash within r.
 *
 * A bucket is one array of entries [slot, substring 0, ..., substring m − 1] (small integers), so
 * walking it and comparing what it holds reads memory in order: a lookup is bound by memory
 * latency, and linked lists, tried first, cost one dependent cache miss per slot (about 6× slower
 * at 100k codes). Entries stay in the order they were filed, so a lookup that may read only part
 * of a bucket reads the most recently filed first (from the end): filing a slot appends; removing
 * it marks its entry dead (slot −1), and a bucket is compacted, in order, once more than half its
 * entries are dead (amortised O(m) per removal, nothing is rebuilt). The codes and times stay with
 * `HashIndex`, which owns the lookups.
 */
export class SubstringTables {
  readonly tables: number;
  /** Numbers per entry: the slot, then its m substrings. */
  readonly stride: number;
  /** heads[t·65536 + key]: the bucket (index into `buckets`) of key in table t, −1 while it never held one. */
  readonly heads: Int32Array;
  readonly buckets: number[][] = [];
  /** Each bucket's index in `heads`. */
  private readonly headOf: number[] = [];
  /** Each bucket's dead entries (removed slots not yet compacted away); never more than its live ones. */
  private readonly dead: number[] = [];
  /**
   * Bit t·65536 + key: whether that bucket holds a slot. 8 KiB per table, so it stays in cache and
   * a probe of an empty bucket (most, when the radius reaches 2 bits a substring) reads no head.
   */
  readonly occupied: Int32Array;
  /** at[slot·m + t]: where the slot's entry starts in its bucket of table t; −1 when not filed. */
  private at: Int32Array;
  private bucketOf: Int32Array;

  constructor(private readonly words: number, capacity: number) {
    this.tables = (words * 32) / SUBSTRING_BITS;
    this.stride = 1 + this.tables;
    this.heads = new Int32Array(this.tables * BUCKETS).fill(-1);
    this.occupied = new Int32Array((this.tables * BUCKETS) >>> 5);
    this.at = new Int32Array(capacity * this.tables).fill(-1);
    this.bucketOf = new Int32Array(capacity * this.tables);
  }

  /** Files `slot` under the substrings of its hash (`hashes` from word `slot·words`); a filed slot is moved. */
  add(slot: number, hashes: Int32Array): void {
    const m = this.tables;
    if (slot * m >= this.at.length) this.grow(Math.max(slot + 1, (this.at.length / m) * 2));
    if (this.at[slot * m]! >= 0) this.remove(slot);
    const entry = [slot];
    for (let t = 0; t < m; t += 1) entry.push(substringOf(hashes, slot * this.words, t));
    for (let t = 0; t < m; t += 1) {
      const head = t * BUCKETS + entry[1 + t]!;
      let b = this.heads[head]!;
      if (b < 0) {
        b = this.buckets.length;
        this.buckets.push([]);
        this.headOf.push(head);
        this.dead.push(0);
        this.heads[head] = b;
      }
      const bucket = this.buckets[b]!;
      this.at[slot * m + t] = bucket.length;
      this.bucketOf[slot * m + t] = b;
      for (const v of entry) bucket.push(v);
      this.occupied[head >>> 5] = this.occupied[head >>> 5]! | (1 << (head & 31));
    }
  }

  /** Takes `slot` out of every table; a slot not filed is left alone. */
  remove(slot: number): void {
    const { tables: m, stride } = this;
    if (slot * m >= this.at.length || this.at[slot * m]! < 0) return;
    for (let t = 0; t < m; t += 1) {
      const i = slot * m + t;
      const b = this.bucketOf[i]!;
      const bucket = this.buckets[b]!;
      bucket[this.at[i]!] = -1;
      this.at[i] = -1;
      const dead = this.dead[b]! + 1;
      const entries = bucket.length / stride;
      if (dead === entries) {
        bucket.length = 0;
        this.dead[b] = 0;
        const head = this.headOf[b]!;
        this.occupied[head >>> 5] = this.occupied[head >>> 5]! & ~(1 << (head & 31));
      } else if (2 * dead > entries) this.compact(b, t);
      else this.dead[b] = dead;
    }
  }

  /** Drops bucket b's dead entries (b is in table t), keeping the live ones in the order they were filed. */
  private compact(b: number, t: number): void {
    const { tables: m, stride } = this;
    const bucket = this.buckets[b]!;
    let to = 0;
    for (let from = 0; from < bucket.length; from += stride) {
      const slot = bucket[from]!;
      if (slot < 0) continue;
      if (to !== from) for (let j = 0; j < stride; j += 1) bucket[to + j] = bucket[from + j]!;
      this.at[slot * m + t] = to;
      to += stride;
    }
    bucket.length = to;
    this.dead[b] = 0;
  }

  /** The slots filed under `key` in table t, in the order they were filed; for tests. */
  slotsUnder(t: number, key: number): number[] {
    const b = this.heads[t * BUCKETS + key]!;
    if (b < 0) return [];
    const bucket = this.buckets[b]!;
    const out: number[] = [];
    for (let i = 0; i < bucket.length; i += this.stride) if (bucket[i]! >= 0) out.push(bucket[i]!);
    return out;
  }

  /** Entries bucket `key` of table t holds, dead ones included; for tests. */
  entriesUnder(t: number, key: number): number {
    const b = this.heads[t * BUCKETS + key]!;
    return b < 0 ? 0 : this.buckets[b]!.length / this.stride;
  }

  private grow(capacity: number): void {
    const at = new Int32Array(capacity * this.tables).fill(-1);
    at.set(this.at);
    const bucketOf = new Int32Array(capacity * this.tables);
    bucketOf.set(this.bucketOf);
    [this.at, this.bucketOf] = [at, bucketOf];
  }
}
