import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { seededRng } from '../random';
import { HashIndex, type NearestOptions } from './hash-index';
import { masksByWeight } from './multi-index';
import { codeHasher, hammingDistance } from './semantic-hash';

/** What a lookup means, written the slow way: every eligible item, the `keep` nearest by (Hamming, distance, id), those by (distance, Hamming, id). */
function reference(items: ReadonlyMap<string, { hash: Uint32Array; code: readonly number[]; time: number }>, hash: Uint32Array, code: readonly number[], o: NearestOptions) {
  const keep = Math.max(o.k, o.candidates, 1);
  const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const all = [...items]
    .filter(([id, it]) => it.time < (o.beforeMs ?? Infinity) && id !== o.excludeId)
    .map(([id, it]) => ({
      id,
      hamming: hammingDistance(it.hash, hash),
      // Stored codes are float32.
      distance: Math.sqrt(it.code.reduce((s, v, j) => s + (Math.fround(v) - (code[j] as number)) ** 2, 0)),
    }));
  all.sort((a, b) => a.hamming - b.hamming || a.distance - b.distance || byId(a, b));
  const shortlist = all.slice(0, keep);
  shortlist.sort((a, b) => a.distance - b.distance || a.hamming - b.hamming || byId(a, b));
  return o.k <= 0 ? [] : shortlist.slice(0, o.k);
}

const op = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('set' as const), id: fc.integer({ min: 0, max: 120 }), pool: fc.integer({ min: 0, max: 1000 }), time: fc.integer({ min: 0, max: 50 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), id: fc.integer({ min: 0, max: 120 }) }) },
);
const lookup = fc.record({
  pool: fc.integer({ min: 0, max: 1000 }),
  k: fc.integer({ min: 0, max: 8 }),
  candidates: fc.integer({ min: 0, max: 40 }),
  beforeMs: fc.option(fc.integer({ min: 0, max: 55 }), { nil: undefined }),
  exclude: fc.option(fc.integer({ min: 0, max: 120 }), { nil: undefined }),
});

test('the multi-index, the scan and the fallback between them give the reference answer, item for item, after any sets, replacements and deletions', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(32, 64, 128),
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 1, max: 30 }),
      fc.integer(),
      fc.array(op, { minLength: 1, maxLength: 300 }),
      fc.array(lookup, { minLength: 1, maxLength: 6 }),
      (bits, size, distinct, seed, ops, lookups) => {
        // Codes from a small pool (`distinct` of them, some near copies): equal hashes and equal distances, so ties at every place.
        const rng = seededRng(seed);
        const base = Array.from({ length: distinct }, () => Array.from({ length: size }, () => rng.normal()));
        const codeOf = (pool: number) => {
          const c = base[pool % distinct]!;
          return pool % 3 === 0 ? c : c.map((v, j) => v + ((pool * (j + 1)) % 7) * 0.01);
        };
        const hasher = codeHasher({ size, bits, seed: seed & 0xffff, center: null });
        const indexes = {
          multi: new HashIndex<number>(bits / 32, size, { capacity: 2, multiIndexFrom: 0, probeBudget: Infinity }),
          budgeted: new HashIndex<number>(bits / 32, size, { capacity: 2, multiIndexFrom: 0 }),
          late: new HashIndex<number>(bits / 32, size, { capacity: 2, multiIndexFrom: 40 }),
          scan: new HashIndex<number>(bits / 32, size, { capacity: 2, multiIndexFrom: Infinity }),
        };
        const items = new Map<string, { hash: Uint32Array; code: readonly number[]; time: number }>();
        for (const o of ops) {
          const id = `e${o.id}`;
          if (o.kind === 'delete') {
            items.delete(id);
            for (const index of Object.values(indexes)) index.delete(id);
            continue;
          }
          const code = codeOf(o.pool);
          const hash = hasher.hash(code);
          items.set(id, { hash, code, time: o.time });
          for (const index of Object.values(indexes)) index.set(id, hash, code, o.time, o.id);
        }
        for (const q of lookups) {
          const code = codeOf(q.pool).map((v) => Math.fround(v));
          const hash = hasher.hash(code);
          const options: NearestOptions = { k: q.k, candidates: q.candidates, beforeMs: q.beforeMs, excludeId: q.exclude === undefined ? undefined : `e${q.exclude}` };
          const want = reference(items, hash, code, options);
          for (const [name, index] of Object.entries(indexes)) {
            assert.equal(index.count, items.size);
            const got = index.nearest(hash, code, options).map((h) => ({ id: h.id, hamming: h.hamming, distance: h.distance }));
            assert.deepEqual(got, want, name);
          }
          assert.deepEqual(indexes.multi.nearestByScan(hash, code, options).map((h) => h.id), want.map((h) => h.id));
        }
        assert.equal(indexes.multi.stats.fallbacks, 0);
        assert.equal(indexes.scan.stats.probed, 0);
      },
    ),
    { numRuns: 300 },
  );
});

test('the answer does not depend on the order the items came in (ties included)', () => {
  fc.assert(
    fc.property(fc.integer(), fc.integer({ min: 2, max: 60 }), fc.integer({ min: 1, max: 20 }), (seed, n, candidates) => {
      const rng = seededRng(seed);
      const size = 2;
      const hasher = codeHasher({ size, bits: 64, seed: 3, center: null });
      const codes = Array.from({ length: n }, () => Array.from({ length: size }, () => Math.round(rng.normal() * 2) / 2));
      const order = codes.map((_, i) => i);
      for (let i = order.length - 1; i > 0; i -= 1) {
        const j = Math.floor(rng.next() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      const forward = new HashIndex<number>(2, size, { multiIndexFrom: 0 });
      const shuffled = new HashIndex<number>(2, size, { multiIndexFrom: Infinity });
      codes.forEach((c, i) => forward.set(`e${i}`, hasher.hash(c), c, 0, i));
      for (const i of order) shuffled.set(`e${i}`, hasher.hash(codes[i]!), codes[i]!, 0, i);
      const q = codes[0]!;
      const options = { k: 3, candidates };
      assert.deepEqual(forward.nearest(hasher.hash(q), q, options), shuffled.nearest(hasher.hash(q), q, options));
    }),
    { numRuns: 200 },
  );
});

test('a deleted or replaced item leaves the substring tables: lookups never find it, and its slot is reused', () => {
  const size = 4;
  const hasher = codeHasher({ size, bits: 64, seed: 1, center: null });
  const rng = seededRng(9);
  const index = new HashIndex<string>(2, size, { capacity: 8, multiIndexFrom: 16, probeBudget: Infinity });
  const codes = Array.from({ length: 3000 }, () => Array.from({ length: size }, () => rng.normal()));
  // A capped store: past 1,000 items, the oldest goes (as the scorer's cap evicts).
  codes.forEach((c, i) => {
    index.set(`e${i}`, hasher.hash(c), c, i, `e${i}`);
    if (i >= 1000) index.delete(`e${i - 1000}`);
  });
  assert.equal(index.count, 1000);
  assert.equal(index.multiIndexed, true);
  for (const i of [0, 5, 1999, 2000, 2999]) {
    const hits = index.nearest(hasher.hash(codes[i]!), codes[i]!, { k: 50, candidates: 100 });
    assert.ok(hits.every((h) => Number(h.id.slice(1)) >= 2000), `evicted item returned for e${i}`);
    if (i >= 2000) assert.equal(hits[0]!.id, `e${i}`);
  }
  // Replaced under a new hash: found under the new one only.
  index.set('e2500', hasher.hash(codes[10]!), codes[10]!, 2500, 'moved');
  const near = index.nearest(hasher.hash(codes[10]!), codes[10]!, { k: 1, candidates: 10 });
  assert.equal(near[0]!.item, 'moved');
  const old = index.nearest(hasher.hash(codes[2500]!), codes[2500]!, { k: 1, candidates: 1 });
  assert.notEqual(old[0]!.item, 'moved');
  assert.equal(index.stats.fallbacks, 0);
  assert.ok(index.stats.probed > 0);
});

test('masks by weight: every 16-bit mask once, ordered by the bits it sets', () => {
  const { masks, starts } = masksByWeight();
  assert.equal(new Set(masks).size, 65536);
  assert.equal(starts[1]! - starts[0]!, 1);
  assert.equal(starts[2]! - starts[1]!, 16);
  assert.equal(starts[3]! - starts[2]!, 120);
  assert.equal(starts[17], 65536);
  for (let w = 0; w <= 16; w += 1) {
    for (let i = starts[w]!; i < starts[w + 1]!; i += 1) assert.equal(hammingDistance(Uint32Array.of(masks[i]!), Uint32Array.of(0)), w);
  }
});
