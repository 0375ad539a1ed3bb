import { z } from 'zod';

/**
 * The `window` section of a model group: how ingest cuts a series into windows. Owned by the
 * ingest stage; every field documents its default. Units are in the names.
 */
export const windowConfigSchema = z
  .object({
    /** W: time steps per window. */
    lengthSteps: z.number().int().min(2).max(4096).default(64),
    /** S: a window is emitted every S steps. */
    strideSteps: z.number().int().min(1).default(1),
    /** The series' sampling interval; inferred from the first points when absent. */
    intervalMs: z.number().int().positive().optional(),
  })
  .strict();

export type WindowConfig = z.infer<typeof windowConfigSchema>;
