/**
 * Seeded randomness in plain JavaScript. Every random choice of the model family (initial weights,
 * the validation split, shuffles, corruption noise, VAE samples) comes from here rather than from
 * TensorFlow's kernels, so a seed fixes them bit for bit on every backend.
 */
import { seededRng } from '@hourglass/core';

/** A seeded source of uniform and standard normal numbers. */
export interface Rng {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
  /** A Float32Array of n standard normals. */
  normals(n: number): Float32Array;
  /** A derived, independent stream (for one purpose: init, shuffles, noise), so purposes do not shift each other. */
  fork(salt: number): Rng;
}

/** core's mulberry32 generator on a hashed seed; plenty for initialisation and noise. */
export function createRng(seed: number): Rng {
  const uniform = seededRng(hash32(seed)).next;
  let spare: number | undefined;
  const normal = (): number => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const u1 = Math.max(uniform(), 1e-12);
    const u2 = uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  };
  return {
    uniform,
    normal,
    normals(n) {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i += 1) out[i] = normal();
      return out;
    },
    fork: (salt) => createRng(hash32(seed * 31 + salt * 7919 + 17)),
  };
}

/** Fisher–Yates shuffle of 0..n-1. */
export function permutation(n: number, rng: Rng): number[] {
  const out = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i -= 1) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [out[i], out[j]] = [out[j] as number, out[i] as number];
  }
  return out;
}

function hash32(x: number): number {
  let h = Math.imul((x | 0) ^ 0x9e3779b9, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
