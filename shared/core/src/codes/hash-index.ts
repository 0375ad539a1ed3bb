import { SubstringTables, masksByWeight, substringOf } from './multi-index';
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

export interface HashIndexOptions {
  /** Slots allocated up front (they double when full). Default 1,024. */
  readonly capacity?: number;
  /**
   * Items from which lookups go through the multi-index (the substring tables are built when the
   * index first holds this many, and kept); below it every lookup scans. Default 8,192: measured
   * (bench:similar), the two cost about the same from 4,000 to 10,000 Gaussian codes, the scan
   * less below. 0: always; Infinity: never (the plain scan).
   */
  readonly multiIndexFrom?: number;
  /**
   * Work (buckets visited + 3 · slots met in them) a multi-index lookup may do before it gives up
   * for a scan. Default: the slots in use, about what the scan costs. Infinity never scans (tests
   * of the multi-index alone).
   */
  readonly probeBudget?: number;
  /**
   * Slots a multi-index lookup may meet (`similar.probeLimit`; at least 2 · tables · candidates):
   * each bucket it visits yields at most probeLimit / (2 · tables) of them, the most recently
   * filed first, and once it has met probeLimit it stops and shortlists the nearest it met. This
   * bounds a lookup's cost whatever the index holds; a lookup so cut short may differ from the
   * scan's (`LookupStats.cut`; docs/incidents.md, "What a lookup costs"). Default 1,024;
   * Infinity: never cut short (the exact multi-index).
   */
  readonly probeLimit?: number;
}

/** The default `probeLimit`. */
export const PROBE_LIMIT = 1024;

/** How the lookups of one index went, counted since it was made; for benchmarks and profiles. */
export interface LookupStats {
  /** Lookups answered by scanning every slot (the index was small). */
  scans: number;
  /** Lookups answered by the multi-index. */
  probed: number;
  /** Lookups the multi-index gave up on for a scan (it would have cost more than one). */
  fallbacks: number;
  /** Buckets visited, and slots met in them (a slot once per table it is met in, at most the limit), by the multi-index lookups (those that fell back too). */
  buckets: number;
  examined: number;
  /** Multi-index lookups cut short: a bucket read only in part, or stopped at `probeLimit` (the answer may differ from the scan's). */
  cut: number;
}

/** Work a multi-index lookup may do before a scan is cheaper: buckets + TOUCH_COST · slots met in them, against the slots a scan reads. */
const TOUCH_COST = 3;

interface Candidate {
  readonly slot: number;
  readonly hamming: number;
  distance: number;
}

const byId = (ids: (string | undefined)[]) => (a: Candidate, b: Candidate): number => {
  const x = ids[a.slot] as string;
  const y = ids[b.slot] as string;
  return x < y ? -1 : x > y ? 1 : 0;
};

/**
 * Codes and their hashes in flat typed arrays, for lookups that cost a few Hamming distances per
 * candidate (docs/incidents.md, "Similar past episodes"). A lookup shortlists the `candidates`
 * nearest eligible hashes (by Hamming distance; ties at the last place by the exact code
 * distance, then id) and ranks those by the exact Euclidean distance between codes (then
 * Hamming, then id): by a scan, an answer that depends only on what is stored, not on the order
 * it came in.
 *
 * Small indexes scan every slot. From `multiIndexFrom` items, lookups use multi-index hashing
 * (`SubstringTables`): the search radius grows one step at a time, probing the buckets that can
 * hold hashes within it, until `candidates` eligible hashes lie within the radius, and then the
 * shortlist is complete, so the answer is the scan's, item for item. Its cost is bounded by
 * `probeLimit` slots met: a crowded bucket yields only its most recently filed slots, and a lookup
 * that reaches the limit shortlists the nearest it met. Such a lookup (`stats.cut`) may differ from
 * the scan's answer, and which codes it met depends on the order they were filed; one that is not
 * cut is the scan's. When the radius would grow so far that probing costs more than a scan (few
 * eligible items, hashes far apart), or the limit is reached with fewer than `candidates`
 * eligible slots met, it falls back to the scan. Slots are reused, so updates and removals cost
 * O(1) (O(b/16) with the tables) and nothing is rebuilt.
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
  private readonly multiFrom: number;
  private readonly probeBudget: number | undefined;
  private readonly probeLimit: number;
  /** marks[slot] === mark: the slot was met by this lookup already (in another table). Bytes, so they stay in cache; cleared every 255 lookups. */
  private marks: Uint8Array;
  private mark = 0;
  /** The latest time ever stored: a lookup before a later time can take every filed slot as earlier without reading its time. */
  private latestMs = -Infinity;
  private tables: SubstringTables | null = null;
  /** The probe's slots met: slot, the next in its distance's list, whether eligible. */
  private metSlot = new Int32Array(256);
  private metNext = new Int32Array(256);
  private metEligible = new Uint8Array(256);
  private collected: Int32Array;
  /** Scratch: collected slots per Hamming distance (rank), the query's substrings and each distance's first slot met (probe). */
  private readonly counts: Int32Array;
  private readonly firstAt: Int32Array;
  private query: Int32Array = new Int32Array(0);
  private collectedHamming: Int32Array;
  readonly stats: LookupStats = { scans: 0, probed: 0, fallbacks: 0, buckets: 0, examined: 0, cut: 0 };

  constructor(private readonly words: number, private readonly size: number, options: HashIndexOptions | number = {}) {
    const { capacity = 1024, multiIndexFrom = 8192, probeBudget, probeLimit = PROBE_LIMIT } = typeof options === 'number' ? { capacity: options } : options;
    if (!(probeLimit >= 1)) throw new RangeError(`probeLimit must be at least 1, not ${probeLimit}`);
    this.probeLimit = probeLimit;
    this.marks = new Uint8Array(capacity);
    this.hashes = new Int32Array(capacity * words);
    this.codes = new Float32Array(capacity * size);
    this.times = new Float64Array(capacity).fill(Infinity);
    this.collected = new Int32Array(64);
    this.counts = new Int32Array(words * 32 + 1);
    this.firstAt = new Int32Array(words * 32 + 1);
    this.collectedHamming = new Int32Array(64);
    this.multiFrom = multiIndexFrom;
    this.probeBudget = probeBudget;
  }

  /** Items held. */
  get count(): number {
    return this.slots.size;
  }

  /** Whether lookups go through the multi-index (it holds `multiIndexFrom` items, or did). */
  get multiIndexed(): boolean {
    return this.tables !== null;
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
    if (timeMs > this.latestMs) this.latestMs = timeMs;
    this.items[slot] = item;
    this.ids[slot] = id;
    if (this.tables) this.tables.add(slot, this.hashes);
    else if (this.slots.size >= this.multiFrom) this.buildTables();
  }

  delete(id: string): void {
    const slot = this.slots.get(id);
    if (slot === undefined) return;
    this.slots.delete(id);
    this.tables?.remove(slot);
    this.times[slot] = Infinity;
    this.items[slot] = undefined;
    this.ids[slot] = undefined;
    this.free.push(slot);
  }

  clear(): void {
    this.slots.clear();
    this.latestMs = -Infinity;
    this.free.length = 0;
    this.used = 0;
    this.times.fill(Infinity);
    this.items = [];
    this.ids = [];
    this.tables = null;
  }

  /** The k nearest items: shortlisted by Hamming distance, ranked by the exact code distance (then Hamming, then id). */
  nearest(hash: Uint32Array, code: ArrayLike<number>, options: NearestOptions): HashHit<T>[] {
    if (options.k <= 0 || this.slots.size === 0) return [];
    if (this.tables) {
      const n = this.probe(hash, options);
      if (n >= 0) return this.rank(n, code, options);
      this.stats.fallbacks += 1;
    } else this.stats.scans += 1;
    return this.rank(this.scan(hash, options), code, options);
  }

  /** The same lookup by a scan of every slot, whatever the index's size: the reference the multi-index is held to. */
  nearestByScan(hash: Uint32Array, code: ArrayLike<number>, options: NearestOptions): HashHit<T>[] {
    if (options.k <= 0 || this.slots.size === 0) return [];
    return this.rank(this.scan(hash, options), code, options);
  }

  private keepOf(options: NearestOptions): number {
    return Math.max(options.k, options.candidates, 1);
  }

  private excludedSlot(options: NearestOptions): number {
    return options.excludeId === undefined ? -1 : (this.slots.get(options.excludeId) ?? -1);
  }

  /**
   * Every eligible slot within Hamming distance R of the query, R the smallest radius holding
   * `keep` of them (all eligible slots when fewer), into `collected`; returns how many. The radius
   * shrinks as nearer hashes turn up, so most slots cost one or two popcounts and a comparison.
   */
  private scan(hash: Uint32Array, options: NearestOptions): number {
    const keep = this.keepOf(options);
    const before = options.beforeMs ?? Infinity;
    const exclude = this.excludedSlot(options);
    const { words, hashes, times, used } = this;
    const bits = words * 32;
    const counts = this.counts.fill(0);
    let radius = bits;
    let within = 0; // collected slots within `radius`
    let n = 0;
    const h0 = hash[0]! | 0;
    const h1 = words > 1 ? hash[1]! | 0 : 0;
    for (let slot = 0, base = 0; slot < used; slot += 1, base += words) {
      let d = popcount32(hashes[base]! ^ h0);
      if (words > 1) d += popcount32(hashes[base + 1]! ^ h1);
      for (let w = 2; w < words; w += 1) d += popcount32(hashes[base + w]! ^ hash[w]!);
      if (d > radius) continue;
      // Free slots have time +Infinity, so this one comparison skips them too.
      if (!(times[slot]! < before) || slot === exclude) continue;
      n = this.collect(n, slot, d);
      counts[d] = counts[d]! + 1;
      within += 1;
      while (radius > 0 && within - counts[radius]! >= keep) {
        within -= counts[radius]!;
        radius -= 1;
      }
    }
    let kept = 0;
    for (let i = 0; i < n; i += 1) {
      if (this.collectedHamming[i]! > radius) continue;
      this.collected[kept] = this.collected[i]!;
      this.collectedHamming[kept] = this.collectedHamming[i]!;
      kept += 1;
    }
    return kept;
  }

  /**
   * Multi-index hashing: radius r = s·m + a grows from 0, each step probing the buckets of
   * substring a at exactly s bits from the query's. After step r every hash within r has been
   * met (pigeonhole, `SubstringTables`), so once `keep` eligible slots lie within r, the slots
   * within r are the scan's set. A slot met before (in another table) is known by its mark. Times
   * are read only for slots within the radius, and not at all when every stored time is earlier.
   *
   * Bounded: a bucket visit meets at most limit / 2m slots (from the bucket's end, the most
   * recently filed first) and the lookup stops once it has met the limit in all, with the
   * nearest eligible slots it met (every tie at the last place kept, for `rank` to break). Either
   * cut makes the answer possibly not the scan's (`stats.cut`). The m exact buckets (steps 0 to
   * m − 1) take at most half the limit, so they are always visited: a stored hash equal to the
   * query's is met unless each of its m buckets holds limit / 2m slots filed after it. Returns
   * how many it collected, or −1 when it gave up for the scan (probing would cost more, or too
   * few eligible slots were met within the limit).
   */
  private probe(hash: Uint32Array, options: NearestOptions): number {
    const tables = this.tables as SubstringTables;
    const keep = this.keepOf(options);
    const before = options.beforeMs ?? Infinity;
    const exclude = this.excludedSlot(options);
    const { marks } = this;
    const { heads, occupied, buckets: lists, stride } = tables;
    const m = tables.tables;
    const bits = this.words * 32;
    const { masks, starts } = masksByWeight();
    const budget = this.probeBudget ?? this.used;
    // A bucket visit yields at most limit / 2m slots: the m exact buckets take at most half the
    // limit, the rest is left for growing the radius; and at least `keep`, so that one bucket can fill the shortlist.
    const limit = Math.max(this.probeLimit, 2 * m * keep);
    const perBucket = Math.floor(limit / (2 * m));
    if (this.mark === 255) {
      marks.fill(0);
      this.mark = 0;
    }
    const mark = ++this.mark;
    // Every filed slot is live; when all of them are earlier than `before`, no time need be read.
    const anyTime = before > this.latestMs;
    if (this.query.length !== m) this.query = new Int32Array(m);
    const query = this.query;
    for (let t = 0; t < m; t += 1) query[t] = substringOf(hash, 0, t);
    // Slots met, each in the list of its Hamming distance (firstAt[d] → metNext → ...).
    const firstAt = this.firstAt.fill(-1);
    let met = 0;
    let buckets = 0;
    let touched = 0;
    let within = 0;
    let cut = false;
    let full = false;
    this.stats.probed += 1;
    let radius = 0;
    for (; radius <= bits; radius += 1) {
      const s = Math.floor(radius / m);
      const t = radius % m;
      const end = starts[s + 1]!;
      if (buckets + (end - starts[s]!) + TOUCH_COST * touched > budget) return this.gaveUp(buckets, touched);
      const key = query[t]!;
      const offset = t * 65536;
      for (let i = starts[s]!; i < end; i += 1) {
        buckets += 1;
        const at = offset + (key ^ masks[i]!);
        if ((occupied[at >>> 5]! & (1 << (at & 31))) === 0) continue;
        const bucket = lists[heads[at]!]!;
        let taken = 0;
        let e = bucket.length - stride;
        for (; e >= 0 && taken < perBucket; e -= stride) {
          const slot = bucket[e]!;
          if (slot < 0) continue; // removed, not yet compacted away
          taken += 1;
          if (marks[slot] === mark) continue;
          marks[slot] = mark;
          // Substring t differs from the query's in exactly s bits: the bucket's key says so.
          let d = s;
          for (let u = 0; u < m; u += 1) if (u !== t) d += popcount32(bucket[e + 1 + u]! ^ query[u]!);
          met = this.meet(met, slot, d, firstAt);
          // Nearer than the radius, so missed at its own step in a bucket that was cut: its distance's list was counted already.
          if (d < radius) within += this.markEligible(met - 1, 1, before, exclude, anyTime);
        }
        touched += taken;
        if (e >= 0) cut = true;
        if (touched >= limit) {
          full = true;
          break;
        }
        if (buckets + TOUCH_COST * touched > budget) return this.gaveUp(buckets, touched);
      }
      if (full) break;
      // Every slot at distance `radius` has now been met (unless a bucket was cut): count the eligible ones.
      within += this.markEligible(firstAt[radius]!, Infinity, before, exclude, anyTime);
      if (within >= keep) break;
    }
    let n = 0;
    if (full) {
      // Stopped at the limit: the slots met at distances from `radius` on were not counted yet.
      cut = true;
      for (let d = 0; d <= bits && n < keep; d += 1) {
        if (d >= radius) this.markEligible(firstAt[d]!, Infinity, before, exclude, anyTime);
        for (let i = firstAt[d]!; i >= 0; i = this.metNext[i]!) if (this.metEligible[i] === 1) n = this.collect(n, this.metSlot[i]!, d);
      }
      // Too few of the slots met are eligible (lookups far in the past): the scan finds the rest.
      if (n < keep) return this.gaveUp(buckets, touched);
    }
    this.stats.buckets += buckets;
    this.stats.examined += touched;
    if (!full) {
      for (let d = 0; d <= Math.min(radius, bits); d += 1) {
        for (let i = firstAt[d]!; i >= 0; i = this.metNext[i]!) if (this.metEligible[i] === 1) n = this.collect(n, this.metSlot[i]!, d);
      }
    }
    if (cut) this.stats.cut += 1;
    return n;
  }

  /**
   * Marks which slots met are eligible (earlier than `before`, not `exclude`; with `anyTime`, every
   * time is), from entry `first` along its distance's list, at most `count` of them; returns how
   * many are.
   */
  private markEligible(first: number, count: number, before: number, exclude: number, anyTime: boolean): number {
    let eligible = 0;
    for (let i = first, left = count; i >= 0 && left > 0; i = this.metNext[i]!, left -= 1) {
      const slot = this.metSlot[i]!;
      const ok = slot !== exclude && (anyTime || this.times[slot]! < before);
      this.metEligible[i] = ok ? 1 : 0;
      if (ok) eligible += 1;
    }
    return eligible;
  }

  /** Files a slot met by the probe under its distance's list; returns how many are met. */
  private meet(met: number, slot: number, d: number, firstAt: Int32Array): number {
    if (met === this.metSlot.length) {
      const grown = (a: Int32Array) => {
        const b = new Int32Array(met * 2);
        b.set(a);
        return b;
      };
      [this.metSlot, this.metNext] = [grown(this.metSlot), grown(this.metNext)];
      const eligible = new Uint8Array(met * 2);
      eligible.set(this.metEligible);
      this.metEligible = eligible;
    }
    this.metSlot[met] = slot;
    this.metNext[met] = firstAt[d]!;
    this.metEligible[met] = 0;
    firstAt[d] = met;
    return met + 1;
  }

  private gaveUp(buckets: number, touched: number): number {
    this.stats.buckets += buckets;
    this.stats.examined += touched;
    return -1;
  }

  /**
   * The shortlist of the `n` collected slots (nearest `keep` by Hamming, then code distance, then
   * id), ranked by code distance (then Hamming, then id). Only the slots at the keep-th nearest
   * Hamming distance compete for the last places, and those are selected one by one (a lookup of
   * clustered codes collects hundreds of such ties) rather than sorted.
   */
  private rank(n: number, code: ArrayLike<number>, options: NearestOptions): HashHit<T>[] {
    const keep = this.keepOf(options);
    const { collected, collectedHamming, codes, size } = this;
    const ids = byId(this.ids);
    const distanceOf = (slot: number): number => {
      let s = 0;
      const base = slot * size;
      for (let j = 0; j < size; j += 1) s += ((codes[base + j] as number) - (code[j] as number)) ** 2;
      return Math.sqrt(s);
    };
    // The Hamming distance of the keep-th nearest collected slot (every nearer one is shortlisted), and how many places are left for the slots at it.
    let last = Infinity;
    let places = Infinity;
    if (n > keep) {
      const counts = this.counts;
      counts.fill(0);
      for (let i = 0; i < n; i += 1) counts[collectedHamming[i]!] = counts[collectedHamming[i]!]! + 1;
      let below = 0;
      last = 0;
      while (below + counts[last]! < keep) below += counts[last++]!;
      places = keep - below;
    }
    const worse = (a: Candidate, distance: number, slot: number) => a.distance > distance || (a.distance === distance && (this.ids[a.slot] as string) > (this.ids[slot] as string));
    const shortlist: Candidate[] = [];
    // The `places` nearest slots at Hamming `last`, by (code distance, id), nearest first.
    const tied: Candidate[] = [];
    for (let i = 0; i < n; i += 1) {
      const hamming = collectedHamming[i]!;
      if (hamming > last) continue;
      const slot = collected[i]!;
      const distance = distanceOf(slot);
      if (hamming < last) {
        shortlist.push({ slot, hamming, distance });
        continue;
      }
      if (tied.length === places && !worse(tied[places - 1]!, distance, slot)) continue;
      let at = tied.length;
      while (at > 0 && worse(tied[at - 1]!, distance, slot)) at -= 1;
      tied.splice(at, 0, { slot, hamming, distance });
      if (tied.length > places) tied.pop();
    }
    for (const c of tied) shortlist.push(c);
    shortlist.sort((a, b) => a.distance - b.distance || a.hamming - b.hamming || ids(a, b));
    return shortlist.slice(0, options.k).map((c) => ({ id: this.ids[c.slot] as string, item: this.items[c.slot] as T, hamming: c.hamming, distance: c.distance }));
  }

  private collect(n: number, slot: number, hamming: number): number {
    if (n === this.collected.length) {
      const slots = new Int32Array(n * 2);
      slots.set(this.collected);
      const distances = new Int32Array(n * 2);
      distances.set(this.collectedHamming);
      [this.collected, this.collectedHamming] = [slots, distances];
    }
    this.collected[n] = slot;
    this.collectedHamming[n] = hamming;
    return n + 1;
  }

  private buildTables(): void {
    const tables = new SubstringTables(this.words, this.times.length);
    for (const slot of this.slots.values()) tables.add(slot, this.hashes);
    this.tables = tables;
  }

  private grow(): void {
    const capacity = this.times.length * 2;
    const hashes = new Int32Array(capacity * this.words);
    hashes.set(this.hashes);
    const codes = new Float32Array(capacity * this.size);
    codes.set(this.codes);
    const times = new Float64Array(capacity).fill(Infinity);
    times.set(this.times);
    const marks = new Uint8Array(capacity);
    marks.set(this.marks);
    [this.hashes, this.codes, this.times, this.marks] = [hashes, codes, times, marks];
  }
}
