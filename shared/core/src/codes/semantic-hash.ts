import { seededRng } from '../random';

/**
 * Semantic hashing of a model's codes (docs/incidents.md, "Codes and hashes"): the sign bits of a
 * fixed random projection of the code, taken around the training codes' median, so that similar
 * windows land on nearby hashes (the angle between two centred codes is estimated by the share of
 * bits that differ) and a lookup costs a few Hamming distances. Seeded: one seed and one bit
 * count give one projection on every machine.
 */
export interface CodeHasher {
  /** Names the method, the bit count and the seed; hashes compare only within one version (and one model version). */
  readonly version: string;
  readonly bits: number;
  /** The hash of a code, bits/32 words, bit b of the hash in word b >>> 5. */
  hash(code: ArrayLike<number>): Uint32Array;
}

export interface CodeHasherOptions {
  /** Code length (the model's latent size). */
  readonly size: number;
  /** Hash length, a multiple of 32. */
  readonly bits: number;
  readonly seed: number;
  /** What to subtract before projecting (the training codes' median); null projects the raw code. */
  readonly center: readonly number[] | null;
}

/** Hashers are small and pure: cached per (size, bits, seed, centre). */
const cache = new Map<string, CodeHasher>();

export function codeHasher(options: CodeHasherOptions): CodeHasher {
  const { size, bits, seed, center } = options;
  if (bits <= 0 || bits % 32 !== 0) throw new RangeError(`hash bits must be a positive multiple of 32, not ${bits}`);
  if (center !== null && center.length !== size) throw new RangeError(`centre has ${center.length} values for codes of ${size}`);
  const key = `${size}\u0000${bits}\u0000${seed}\u0000${center?.join(',') ?? ''}`;
  const known = cache.get(key);
  if (known) return known;
  // Gaussian rows: the sign of a projection on one estimates which side of a random hyperplane a code lies on.
  const rng = seededRng((seed ^ 0x5eed_c0de) >>> 0);
  const projection = Float64Array.from({ length: bits * size }, () => rng.normal());
  const shift = Float64Array.from({ length: size }, (_, j) => center?.[j] ?? 0);
  const words = bits / 32;
  const centred = new Float64Array(size);
  const hasher: CodeHasher = {
    version: `srp-${bits}-s${seed}`,
    bits,
    hash(code) {
      if (code.length !== size) throw new RangeError(`code has ${code.length} values, the hasher takes ${size}`);
      for (let j = 0; j < size; j += 1) centred[j] = (code[j] as number) - (shift[j] as number);
      const out = new Uint32Array(words);
      for (let b = 0; b < bits; b += 1) {
        let dot = 0;
        const row = b * size;
        for (let j = 0; j < size; j += 1) dot += (projection[row + j] as number) * (centred[j] as number);
        if (dot >= 0) out[b >>> 5] = ((out[b >>> 5] as number) | (1 << (b & 31))) >>> 0;
      }
      return out;
    },
  };
  if (cache.size > 256) cache.clear();
  cache.set(key, hasher);
  return hasher;
}

/** Set bits of a 32-bit word. */
export function popcount32(x: number): number {
  let v = x | 0;
  v -= (v >>> 1) & 0x55555555;
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

/** Bits that differ between two hashes of one length. */
export function hammingDistance(a: Uint32Array, b: Uint32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i += 1) d += popcount32(((a[i] as number) ^ (b[i] as number)) >>> 0);
  return d;
}

/** A hash as lower-case hex, word 0 first, each word big-endian: 16 characters for 64 bits. */
export function hashToHex(words: Uint32Array): string {
  let out = '';
  for (const w of words) out += w.toString(16).padStart(8, '0');
  return out;
}

/** The inverse of hashToHex; throws RangeError for text that is not whole 32-bit words of hex. */
export function hexToHash(hex: string): Uint32Array {
  if (hex.length === 0 || hex.length % 8 !== 0 || !/^[0-9a-f]+$/.test(hex)) throw new RangeError(`'${hex}' is not a hash (hex, whole 32-bit words)`);
  return Uint32Array.from({ length: hex.length / 8 }, (_, i) => parseInt(hex.slice(i * 8, i * 8 + 8), 16) >>> 0);
}
