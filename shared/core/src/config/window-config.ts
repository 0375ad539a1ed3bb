import { z } from 'zod';

/**
 * The `window` section of a model group: how ingest cuts a series into windows. Owned by the
 * ingest stage; every field documents its default. Units are in the names. docs/ingest.md explains
 * the semantics (grid, lateness, duplicates, gaps) with examples.
 */
export const windowConfigSchema = z
  .object({
    /**
     * W: time steps per window. Default 16: chosen on NAB's development files, where 16 scored
     * above 8, 32 and 64 (docs/evaluation.md); a longer window dilutes a short anomaly.
     */
    lengthSteps: z.number().int().min(2).max(4096).default(16),
    /** S: a window is emitted at every step whose index is a multiple of S. Default 1. */
    strideSteps: z.number().int().min(1).max(4096).default(1),
    /** The series' sampling interval; inferred from the first points when absent. */
    intervalMs: z.number().int().positive().optional(),
    /** How many distinct timestamps the interval is inferred from (median spacing). Default 8. */
    intervalInferencePoints: z.number().int().min(2).max(1000).default(8),
    /** Step k sits at `gridOriginMs + k * intervalMs`; points snap to the nearest step. Default 0 (epoch-aligned). */
    gridOriginMs: z.number().int().default(0),
    /** How far behind the newest point of a series a point may be and still count. Default 0 (in order). */
    allowedLatenessMs: z.number().int().min(0).default(0),
    /** Two points on one step: keep the first, or let the last one (within the lateness) win. Default keep-first. */
    duplicates: z.enum(['keep-first', 'keep-last']).default('keep-first'),
    /** How missing steps are filled (always with mask 0): carry the last value, or interpolate linearly. Default linear. */
    gapFill: z.enum(['linear', 'carry']).default('linear'),
    /** Up to this many consecutive missing steps are filled; a longer gap restarts the series' windows. Default 3. */
    maxGapFillSteps: z.number().int().min(0).max(4096).default(3),
    /** A fixed channel list: points with other channels are refused (`unknown_channel`). Default: the first point's channels. */
    channels: z.array(z.string().min(1).max(255)).min(1).max(1024).optional(),
  })
  .strict()
  .superRefine((w, ctx) => {
    if (w.intervalMs !== undefined && w.allowedLatenessMs / w.intervalMs > 4096) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['allowedLatenessMs'], message: 'at most 4096 intervals of lateness' });
    }
    if (w.channels && new Set(w.channels).size !== w.channels.length) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['channels'], message: 'duplicate channel names' });
    }
  });

export type WindowConfig = z.infer<typeof windowConfigSchema>;
