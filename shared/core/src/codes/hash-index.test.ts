import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { seededRng } from '../random';
import { HashIndex } from './hash-index';
import { codeHasher, hammingDistance } from './semantic-hash';

const SIZE = 6;
const hasher = codeHasher({ size: SIZE, bits: 64, seed: 11, center: null });

function filled(n: number, seed: number) {
  const rng = seededRng(seed);
  const index = new HashIndex<number>(2, SIZE, 4);
  const codes: number[][] = [];
  for (let i = 0; i < n; i += 1) {
    const code = Array.from({ length: SIZE }, () => rng.normal());
    codes.push(code);
    index.set(`e${i}`, hasher.hash(code), code, i, i);
  }
  return { index, codes, rng };
}

const dist = (a: readonly number[], b: readonly number[]) => Math.sqrt(a.reduce((s, v, j) => s + (v - (b[j] as number)) ** 2, 0));

test('with every item shortlisted, a lookup is the exact k nearest by code distance', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 10 }), fc.integer(), (n, k, seed) => {
      const { index, codes, rng } = filled(n, seed);
      const query = Array.from({ length: SIZE }, () => rng.normal());
      const hits = index.nearest(hasher.hash(query), query, { k, candidates: n });
      const exact = codes.map((c, i) => ({ i, d: dist(c, query) })).sort((a, b) => a.d - b.d || a.i - b.i).slice(0, k);
      assert.deepEqual(hits.map((h) => h.item), exact.map((e) => e.i));
      for (const h of hits) assert.equal(h.hamming, hammingDistance(hasher.hash(codes[h.item]!), hasher.hash(query)));
    }),
    { numRuns: 50 },
  );
});

test('a short list holds the nearest hashes: no hit is farther by Hamming than the candidates-th nearest', () => {
  const { index, codes, rng } = filled(2000, 5);
  const query = Array.from({ length: SIZE }, () => rng.normal());
  const q = hasher.hash(query);
  const hits = index.nearest(q, query, { k: 5, candidates: 32 });
  const sorted = codes.map((c) => hammingDistance(hasher.hash(c), q)).sort((a, b) => a - b);
  assert.equal(hits.length, 5);
  for (const h of hits) assert.ok(h.hamming <= sorted[31]!, `${h.hamming} > ${sorted[31]}`);
  for (let i = 1; i < hits.length; i += 1) assert.ok(hits[i]!.distance >= hits[i - 1]!.distance);
});

test('only earlier items, never the excluded one; replaced and deleted items, and reused slots', () => {
  const { index, codes } = filled(50, 2);
  const query = codes[10]!;
  const q = hasher.hash(query);
  assert.equal(index.nearest(q, query, { k: 1, candidates: 50 })[0]!.id, 'e10');
  assert.notEqual(index.nearest(q, query, { k: 1, candidates: 50, excludeId: 'e10' })[0]!.id, 'e10');
  assert.ok(index.nearest(q, query, { k: 50, candidates: 50, beforeMs: 20 }).every((h) => h.item < 20));
  index.delete('e10');
  assert.equal(index.has('e10'), false);
  assert.equal(index.count, 49);
  index.set('new', q, query, 5, 999);
  assert.equal(index.count, 50);
  assert.equal(index.nearest(q, query, { k: 1, candidates: 50 })[0]!.item, 999);
  index.set('new', hasher.hash(codes[3]!), codes[3]!, 5, 998);
  assert.equal(index.nearest(hasher.hash(codes[3]!), codes[3]!, { k: 2, candidates: 50 }).map((h) => h.item).sort().join(), '3,998');
  assert.deepEqual(index.nearest(q, query, { k: 0, candidates: 5 }), []);
});
