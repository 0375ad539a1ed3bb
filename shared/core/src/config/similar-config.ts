import { z } from 'zod';

/**
 * The `similar` section: the codes and hashes the scorers keep of every episode's peak, and the
 * lookups that find the most similar earlier episodes (docs/incidents.md).
 */
export const similarConfigSchema = z
  .object({
    /** Compute and store codes of episodes, and look up similar ones. Default true. */
    enabled: z.boolean().default(true),
    /** Similar earlier episodes carried by each `open` event (and each incident). 0 stores codes but looks nothing up. Default 3. */
    k: z.number().int().min(0).max(50).default(3),
    /** Hash length: sign bits of a random projection of the code, a multiple of 32. Default 64. */
    hashBits: z.number().int().min(32).max(1024).refine((b) => b % 32 === 0, 'a multiple of 32').default(64),
    /** Seed of the projection; part of the hash version, so changing it makes stored hashes incomparable until re-hashed. Default 1. */
    hashSeed: z.number().int().min(0).max(0xffffffff).default(1),
    /** Codes kept per model group (the newest; Redis stream MAXLEN, embedded mode's file). Default 10000. */
    maxCodesPerGroup: z.number().int().min(1).max(1_000_000).default(10_000),
    /** Nearest hashes (Hamming distance) shortlisted before the exact code distance ranks them. Default 32. */
    candidates: z.number().int().min(1).max(10_000).default(32),
    /**
     * Stored codes one lookup may compare its hash with, once a group holds 8,192 codes (below, a
     * lookup scans them all): a bound on its cost whatever the group holds. A lookup cut short
     * by it may name other episodes than a scan of every code would (docs/incidents.md, "What a
     * lookup costs"); raise it for answers nearer the scan's at a higher cost. Default 1024.
     */
    probeLimit: z.number().int().min(16).max(10_000_000).default(1024),
    /** How often a scorer reads the codes other scorers stored. Default 5 s. */
    refreshIntervalMs: z.number().int().min(100).default(5_000),
  })
  .strict();

export type SimilarConfig = z.infer<typeof similarConfigSchema>;
