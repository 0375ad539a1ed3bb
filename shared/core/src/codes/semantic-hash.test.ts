import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { seededRng } from '../random';
import { codeHasher, hammingDistance, hashToHex, hexToHash, popcount32 } from './semantic-hash';

test('a hasher is fixed by its seed: one code, one hash, on every call and every machine', () => {
  const a = codeHasher({ size: 4, bits: 64, seed: 1, center: [0, 0, 0, 0] });
  const b = codeHasher({ size: 4, bits: 64, seed: 1, center: [0, 0, 0, 0] });
  const code = [0.3, -1.2, 2.5, 0.01];
  assert.deepEqual(a.hash(code), b.hash(code));
  assert.equal(a.version, 'srp-64-s1');
  // The projection is a pure function of (size, bits, seed): this value pins it, so a change (which
  // would make every stored hash incomparable) is seen. A zero centre is no centre.
  assert.equal(hashToHex(a.hash(code)), 'd48f009298a79622');
  assert.equal(hashToHex(codeHasher({ size: 4, bits: 64, seed: 1, center: null }).hash(code)), 'd48f009298a79622');
  assert.notEqual(hashToHex(codeHasher({ size: 4, bits: 64, seed: 2, center: null }).hash(code)), hashToHex(a.hash(code)));
});

test('nearby codes get nearby hashes: the Hamming distance grows with the angle between centred codes', () => {
  const rng = seededRng(3);
  const hasher = codeHasher({ size: 8, bits: 256, seed: 7, center: Array(8).fill(1) });
  let near = 0;
  let far = 0;
  for (let n = 0; n < 200; n += 1) {
    const base = Array.from({ length: 8 }, () => 1 + rng.normal());
    const close = base.map((v) => v + 0.05 * rng.normal());
    const other = Array.from({ length: 8 }, () => 1 + rng.normal());
    near += hammingDistance(hasher.hash(base), hasher.hash(close));
    far += hammingDistance(hasher.hash(base), hasher.hash(other));
  }
  assert.ok(near / 200 < 16, `near codes differ in ${near / 200} of 256 bits`);
  assert.ok(far / 200 > 100, `unrelated codes differ in ${far / 200} of 256 bits (expected about 128)`);
});

test('popcount, Hamming distance and hex are exact', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (x) => popcount32(x) === x.toString(2).split('').filter((c) => c === '1').length));
  fc.assert(
    fc.property(fc.uint32Array({ minLength: 1, maxLength: 8 }), (words) => {
      assert.deepEqual(hexToHash(hashToHex(words)), words);
      assert.equal(hammingDistance(words, words), 0);
      assert.equal(hammingDistance(words, words.map((w) => ~w >>> 0)), 32 * words.length);
    }),
  );
  assert.throws(() => hexToHash('xyz'), RangeError);
  assert.throws(() => codeHasher({ size: 4, bits: 48, seed: 1, center: null }), RangeError);
});
