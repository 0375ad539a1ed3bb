import { z } from 'zod';

/**
 * The `model` section of a model group: which autoencoder to fit and how. Owned by the model
 * family (shared/model); every field documents its default. Placeholder until that lands.
 */
export const modelConfigSchema = z
  .object({
    type: z.enum(['undercomplete', 'variational', 'denoising', 'sparse', 'contractive']).default('undercomplete'),
    seed: z.number().int().default(42),
  })
  .strict();

export type ModelConfig = z.infer<typeof modelConfigSchema>;
