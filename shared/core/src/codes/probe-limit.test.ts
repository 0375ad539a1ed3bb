import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { seededRng } from '../random';
import { HashIndex, type NearestOptions } from './hash-index';
import { SubstringTables } from './multi-index';
import { codeHasher, hammingDistance } from './semantic-hash';

// The bounded probe (HashIndex's `probeLimit`): what it promises once it may cut a lookup short.

const SIZE = 4;
const zeros = [0, 0, 0, 0];
/** A 64-bit hash from its four 16-bit substrings. */
const hashOf = (s: readonly number[]) => Uint32Array.of(((s[0]! & 0xffff) | (s[1]! << 16)) >>> 0, ((s[2]! & 0xffff) | (s[3]! << 16)) >>> 0);
const QUERY = [0x1234, 0xabcd, 0x0f0f, 0x7777];

/** An index (multi-index from the start, `limit` slots a lookup, never falling back to the scan) holding an exact duplicate of the query, filed first, then `crowds[t]` codes that agree with the query on substring t only. */
function crowded(limit: number, crowds: readonly number[]) {
  const index = new HashIndex<string>(2, SIZE, { multiIndexFrom: 0, probeLimit: limit, probeBudget: Infinity });
  index.set('duplicate', hashOf(QUERY), zeros, 0, 'duplicate');
  let n = 0;
  crowds.forEach((count, t) => {
    for (let i = 0; i < count; i += 1) {
      // Far on every other substring (its high 8 bits flipped, its low ones varied by i): at least 24 bits from the query.
      const s = QUERY.map((key, u) => (u === t ? key : key ^ 0xff00 ^ (i & 0xff)));
      index.set(`far${n}`, hashOf(s), [1 + (n % 7), 1, 1, 1], 1 + n, `far${n}`);
      n += 1;
    }
  });
  return index;
}

// One candidate: the lookup stops at the first step that meets an eligible code at its radius (no fallback to the scan).
const options: NearestOptions = { k: 1, candidates: 1 };

test('a bucket overfull with far codes does not hide an exact duplicate stored in the other tables', () => {
  // Limit 64 over 4 tables: a bucket visit meets 64 / 2·4 = 8 slots. Table 0's bucket holds 5,000 far codes filed after the duplicate.
  const index = crowded(64, [5000, 0, 0, 0]);
  const [hit] = index.nearest(hashOf(QUERY), zeros, options);
  assert.equal(hit!.id, 'duplicate');
  assert.equal(hit!.hamming, 0);
  assert.equal(index.stats.cut, 1, 'the crowded bucket was read in part');
  assert.ok(index.stats.examined <= 64);
  assert.equal(index.stats.fallbacks, 0);
  // Crowds in three tables of the four still leave the fourth.
  const three = crowded(64, [40, 40, 40, 0]);
  assert.equal(three.nearest(hashOf(QUERY), zeros, options)[0]!.id, 'duplicate');
});

test('where the promise ends: with each of the m buckets holding limit / 2m codes filed after it, the duplicate is not met, and the scan still finds it', () => {
  const index = crowded(64, [8, 8, 8, 8]);
  assert.notEqual(index.nearest(hashOf(QUERY), zeros, options)[0]!.id, 'duplicate');
  assert.equal(index.nearestByScan(hashOf(QUERY), zeros, options)[0]!.id, 'duplicate');
  // One code fewer in one bucket, and it is met again.
  assert.equal(crowded(64, [8, 8, 7, 8]).nearest(hashOf(QUERY), zeros, options)[0]!.id, 'duplicate');
});

test('a lookup meets at most probeLimit slots, however many codes crowd its buckets, and the most recently filed first', () => {
  const index = new HashIndex<number>(2, SIZE, { multiIndexFrom: 0, probeLimit: 256 });
  // 20,000 codes under one hash: every bucket the probe visits first holds all of them.
  for (let i = 0; i < 20_000; i += 1) index.set(`e${i}`, hashOf(QUERY), [i % 100, 0, 0, 0], i, i);
  const lookups = 50;
  for (let q = 0; q < lookups; q += 1) {
    const hits = index.nearest(hashOf(QUERY), [q % 100, 0, 0, 0], { k: 3, candidates: 32 });
    assert.equal(hits.length, 3);
    // A bucket visit yields 256 / 2·4 = 32: the 32 most recently filed (19,968 .. 19,999) met, the nearest of them by code distance returned.
    for (const h of hits) assert.ok(h.item >= 20_000 - 32, `${h.item} is not among the newest`);
    assert.equal(hits[0]!.distance, Math.min(...Array.from({ length: 32 }, (_, j) => Math.abs(((19_968 + j) % 100) - (q % 100)))));
  }
  assert.ok(index.stats.examined <= 256 * lookups, `${index.stats.examined} slots met`);
  assert.equal(index.stats.cut, lookups);
  assert.equal(index.stats.fallbacks, 0);
});

test('a cut lookup still gives live, eligible hits with their true distances, nearest first; one not cut is the scan\'s, item for item', () => {
  fc.assert(
    fc.property(
      fc.integer(),
      fc.integer({ min: 1, max: 12 }),
      fc.constantFrom(16, 32, 64),
      fc.array(fc.record({ del: fc.boolean(), id: fc.integer({ min: 0, max: 400 }), pool: fc.integer({ min: 0, max: 1000 }), time: fc.integer({ min: 0, max: 50 }) }), { minLength: 50, maxLength: 900 }),
      fc.array(fc.record({ pool: fc.integer({ min: 0, max: 1000 }), k: fc.integer({ min: 1, max: 5 }), candidates: fc.integer({ min: 1, max: 20 }), beforeMs: fc.option(fc.integer({ min: 0, max: 55 }), { nil: undefined }) }), { minLength: 1, maxLength: 5 }),
      (seed, distinct, limit, ops, lookups) => {
        // Few distinct codes (with near copies): crowded buckets, so lookups are cut often.
        const rng = seededRng(seed);
        const base = Array.from({ length: distinct }, () => Array.from({ length: SIZE }, () => rng.normal()));
        const codeOf = (pool: number) => base[pool % distinct]!.map((v, j) => Math.fround(v + ((pool * (j + 1)) % 5) * 0.02));
        const hasher = codeHasher({ size: SIZE, bits: 64, seed: seed & 0xffff, center: null });
        const index = new HashIndex<number>(2, SIZE, { capacity: 4, multiIndexFrom: 0, probeLimit: limit });
        const live = new Map<string, { hash: Uint32Array; code: number[]; time: number }>();
        for (const o of ops) {
          const id = `e${o.id}`;
          if (o.del) {
            index.delete(id);
            live.delete(id);
          } else {
            const code = codeOf(o.pool);
            live.set(id, { hash: hasher.hash(code), code, time: o.time });
            index.set(id, hasher.hash(code), code, o.time, o.id);
          }
        }
        for (const q of lookups) {
          const code = codeOf(q.pool);
          const hash = hasher.hash(code);
          const o: NearestOptions = { k: q.k, candidates: q.candidates, beforeMs: q.beforeMs };
          const cutBefore = index.stats.cut;
          const hits = index.nearest(hash, code, o);
          const eligible = [...live].filter(([, it]) => it.time < (q.beforeMs ?? Infinity));
          assert.equal(hits.length, Math.min(q.k, eligible.length));
          for (const h of hits) {
            const it = live.get(h.id);
            assert.ok(it, `${h.id} is not stored`);
            assert.ok(it.time < (q.beforeMs ?? Infinity));
            assert.equal(h.hamming, hammingDistance(it.hash, hash));
            assert.equal(h.distance, Math.sqrt(it.code.reduce((s, v, j) => s + (v - code[j]!) ** 2, 0)));
          }
          for (let i = 1; i < hits.length; i += 1) assert.ok(hits[i]!.distance >= hits[i - 1]!.distance);
          if (index.stats.cut === cutBefore && index.stats.fallbacks === 0) assert.deepEqual(hits, index.nearestByScan(hash, code, o));
        }
      },
    ),
    { numRuns: 150 },
  );
});

test('the same stores and lookups give the same answers, cut or not (deterministic)', () => {
  const build = () => {
    const rng = seededRng(4);
    const hasher = codeHasher({ size: SIZE, bits: 64, seed: 2, center: null });
    const index = new HashIndex<number>(2, SIZE, { multiIndexFrom: 0, probeLimit: 32 });
    const centres = Array.from({ length: 3 }, () => Array.from({ length: SIZE }, () => rng.normal()));
    for (let i = 0; i < 3000; i += 1) {
      const code = centres[i % 3]!.map((v) => v + 0.1 * rng.normal());
      index.set(`e${i % 2000}`, hasher.hash(code), code, i, i);
      if (i % 7 === 0) index.delete(`e${(i * 13) % 2000}`);
    }
    return { index, hasher, rng };
  };
  const a = build();
  const b = build();
  for (let q = 0; q < 50; q += 1) {
    const code = Array.from({ length: SIZE }, () => a.rng.normal());
    const o = { k: 3, candidates: 16 };
    assert.deepEqual(a.index.nearest(a.hasher.hash(code), code, o), b.index.nearest(b.hasher.hash(code), code, o));
  }
  assert.ok(a.index.stats.cut > 0);
});

test('substring tables keep each bucket in the order its slots were filed through removals, and compact it once half is dead', () => {
  const tables = new SubstringTables(2, 4);
  const hashes = new Int32Array(2 * 64);
  for (let slot = 0; slot < 64; slot += 1) {
    hashes[2 * slot] = 0x00050005;
    hashes[2 * slot + 1] = slot;
    tables.add(slot, hashes);
  }
  for (const slot of [3, 10, 11, 40]) tables.remove(slot);
  const order = Array.from({ length: 64 }, (_, s) => s).filter((s) => ![3, 10, 11, 40].includes(s));
  assert.deepEqual(tables.slotsUnder(0, 5), order);
  assert.equal(tables.entriesUnder(0, 5), 64, 'dead entries linger until half are dead');
  // Re-filing a slot moves it to the end: the most recently filed.
  tables.add(5, hashes);
  assert.deepEqual(tables.slotsUnder(0, 5), [...order.filter((s) => s !== 5), 5]);
  for (let slot = 0; slot < 34; slot += 1) tables.remove(slot);
  assert.deepEqual(tables.slotsUnder(0, 5), order.filter((s) => s >= 34));
  assert.ok(tables.entriesUnder(0, 5) < 64, 'compacted');
  for (let slot = 34; slot < 64; slot += 1) tables.remove(slot);
  assert.deepEqual(tables.slotsUnder(0, 5), []);
  assert.equal(tables.entriesUnder(0, 5), 0);
});
