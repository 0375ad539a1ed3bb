/**
 * A small seeded pseudo-random generator (mulberry32) for reproducible demo data, tests and
 * sampling. Not for anything secret.
 */
export interface Rng {
  // Closures, not methods: `const rand = seededRng(1).next` may be passed around on its own.
  /** Uniform in [0, 1). */
  readonly next: () => number;
  /** Standard normal (Box-Muller). */
  readonly normal: () => number;
  /** Integer in [min, max]. */
  readonly int: (min: number, max: number) => number;
}

export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    normal: () => {
      const u = Math.max(next(), Number.EPSILON);
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
    },
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
  };
}
