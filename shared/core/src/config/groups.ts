import { z } from 'zod';
import { modelConfigSchema } from './model-config';
import { windowConfigSchema } from './window-config';

/**
 * A model group: a named configuration that matches series (exact ids, a glob or a regex), says
 * how to window them and which model to fit. See ARCHITECTURE's "Model groups".
 */
export const groupConfigSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - only, at most 64'),
    match: z
      .object({
        series: z.array(z.string().min(1)).optional(),
        glob: z.string().min(1).optional(),
        regex: z.string().min(1).optional(),
      })
      .strict()
      .refine((m) => m.series !== undefined || m.glob !== undefined || m.regex !== undefined, 'give series, glob or regex'),
    window: windowConfigSchema.default({}),
    /** How anomalous windows become episodes (scorer). */
    episodes: z
      .object({
        /** K: open an episode on the K-th anomalous window in a row. Default 2 (one odd window pages nobody). */
        openAfterWindows: z.number().int().min(1).max(1000).default(2),
        /** M: close it after M normal windows in a row (hysteresis). Default 10 (a flickering anomaly stays one episode). */
        closeAfterWindows: z.number().int().min(1).max(1000).default(10),
        /** At most one `ongoing` update per this much event time, unless severity rises. Default 60000. */
        ongoingIntervalMs: z.number().int().min(0).default(60_000),
        /** Severity floor (0-100): anomalous windows below it neither open nor keep an episode. Default 0. */
        minSeverity: z.number().min(0).max(100).default(0),
        /** An episode opens only once its anomalous run spans this much event time. Default 0 (at once). */
        minDurationMs: z.number().int().min(0).default(0),
        /** After an episode closes, a new one within this much event time opens only above the closed one's peak severity. Default 0 (off). */
        suppressRepeatsMs: z.number().int().min(0).default(0),
        /** Changing normals: an episode open this long is closed as adopted, and the series' windows train the next refit. Default 0 (off). */
        adoptAfterMs: z.number().int().min(0).default(0),
      })
      .strict()
      .default({}),
    model: modelConfigSchema.default({}),
  })
  .strict();

export type GroupConfig = z.infer<typeof groupConfigSchema>;
