import { z } from 'zod';

/** The five autoencoders of the model family (docs/models.md). */
export const modelTypes = ['undercomplete', 'variational', 'denoising', 'sparse', 'contractive'] as const;

/** One model type of the family. */
export type ModelType = (typeof modelTypes)[number];

/** Hidden-layer activations the encoder and decoder support (each has a closed-form derivative). */
export const activations = ['relu', 'tanh', 'sigmoid', 'elu'] as const;

const layerSize = z.number().int().min(1).max(4096);
const probability = z.number().gt(0).lt(1);

/**
 * The `model` section of a model group: which autoencoder to fit and how. Every field has a default
 * that works for normalised windows of W = 16 to 64 steps (the latent layer must stay below W·C); the model family (shared/model) owns the semantics.
 */
export const modelConfigSchema = z
  .object({
    /** Which autoencoder: undercomplete (default), variational, denoising, sparse or contractive. */
    type: z.enum(modelTypes).default('undercomplete'),
    /** Encoder hidden-layer sizes, input side first; the decoder mirrors them. Default [32, 16]. */
    layers: z.array(layerSize).max(8).default([32, 16]),
    /** Size of the code (latent) layer; must be smaller than W*C. Default 8. */
    latentSize: layerSize.default(8),
    /** Hidden-layer activation; the code and output layers are linear. Default tanh. */
    activation: z.enum(activations).default('tanh'),
    /** Maximum training epochs (early stopping may end sooner). Default 60. */
    epochs: z.number().int().min(1).max(10_000).default(60),
    /** Windows per gradient step. Default 64. */
    batchSize: z.number().int().min(1).max(65_536).default(64),
    /** Adam learning rate. Default 0.003. */
    learningRate: z.number().positive().max(1).default(0.003),
    /** Share of the windows held out for validation, early stopping and calibration. Default 0.2. */
    validationFraction: z.number().min(0.05).max(0.5).default(0.2),
    /** Epochs without validation improvement before training stops. Default 8. */
    patience: z.number().int().min(1).default(8),
    /** Seed of every random choice (initial weights, split, shuffles, noise). Default 42. */
    seed: z.number().int().default(42),
    /** Robust training: each batch ignores its largest errors, so a few anomalies in the data do not teach the model. */
    robust: z
      .object({
        /** Turn robust training on. Default false. */
        enabled: z.boolean().default(false),
        /** Share of each batch's windows with the largest error that get weight 0. Default 0.05. */
        trimFraction: z.number().min(0).max(0.5).default(0.05),
      })
      .strict()
      .default({}),
    /** Denoising autoencoder: how training inputs are corrupted (targets stay clean). */
    denoising: z
      .object({
        /** `gaussian` adds N(0, noiseStd²) noise; `masking` drops values as if missing (missing-data injection). Default gaussian. */
        corruption: z.enum(['gaussian', 'masking']).default('gaussian'),
        /** Noise standard deviation in normalised units. Default 0.2. */
        noiseStd: z.number().min(0).max(10).default(0.2),
        /** Share of observed values dropped by masking corruption. Default 0.1. */
        maskRate: z.number().min(0).lt(1).default(0.1),
      })
      .strict()
      .default({}),
    /** Sparse autoencoder: penalty on the code. */
    sparse: z
      .object({
        /** `l1` on the code, or `kl` toward a target activation rate of a sigmoid code. Default l1. */
        penalty: z.enum(['l1', 'kl']).default('l1'),
        /** Weight of the penalty in the loss. Default 0.001. */
        weight: z.number().min(0).default(0.001),
        /** Target mean activation for the `kl` penalty. Default 0.05. */
        target: probability.default(0.05),
      })
      .strict()
      .default({}),
    /** Contractive autoencoder: penalty on the squared Frobenius norm of the encoder Jacobian. */
    contractive: z
      .object({
        /** Weight of the Jacobian penalty (per window). Default 0.001. */
        weight: z.number().min(0).default(0.001),
      })
      .strict()
      .default({}),
    /** Variational autoencoder settings. */
    variational: z
      .object({
        /** Weight of the KL term (β-VAE) once warm-up is over. Default 1. */
        beta: z.number().min(0).default(1),
        /** Epochs over which the KL weight ramps linearly from 0 to beta. Default 10. */
        warmupEpochs: z.number().int().min(0).default(10),
        /** Latent samples L averaged into the anomaly score. Default 16. */
        samples: z.number().int().min(1).max(1024).default(16),
      })
      .strict()
      .default({}),
    /** Calibration of raw errors into scores in [0,1]. */
    calibration: z
      .object({
        /** Quantile of validation errors above which the tail is a generalised Pareto fit. Default 0.9. */
        tailQuantile: z.number().min(0.5).max(0.995).default(0.9),
      })
      .strict()
      .default({}),
    /** How a window is declared anomalous. */
    threshold: z
      .object({
        /** `fixed` raw error, `quantile` of validation errors, or `pot` (Siffer et al. 2017), fixed for the life of a model version. Default pot. */
        method: z.enum(['fixed', 'quantile', 'pot']).default('pot'),
        /** The raw-error threshold of the `fixed` method (required by it). */
        value: z.number().finite().optional(),
        /** Quantile of validation errors for the `quantile` method. Default 0.99. */
        quantile: probability.default(0.99),
        /** Risk q of pot: the probability of a normal window exceeding the threshold. Default 0.001. */
        risk: probability.default(0.001),
        /** Quantile of the initial POT threshold t whose excesses are fitted. Default 0.98. */
        initialQuantile: z.number().min(0.5).max(0.999).default(0.98),
      })
      .strict()
      .default({})
      .refine((t) => t.method !== 'fixed' || t.value !== undefined, { message: 'method fixed needs a value', path: ['value'] }),
    /**
     * Seasonality beyond one window (docs/models.md, "Seasonality"): the model learns the typical
     * value at each phase of the series' cycle and sees every window relative to it.
     */
    seasonality: z
      .object({
        /**
         * `auto`: the week, else the day, when the training data spans two of them and shows it
         * (autocorrelation); `off`: none; or one period in ms. Default auto.
         */
        periodMs: z.union([z.enum(['auto', 'off']), z.number().int().min(2).max(366 * 86_400_000)]).default('auto'),
      })
      .strict()
      .default({}),
    /**
     * Which deviations are anomalies (docs/models.md, "Direction"): `up` (above what the model
     * expected), `down`, or `both`. A window above the threshold the other way keeps its score but
     * opens nothing, and still stays out of the clean buffer. Default both.
     */
    direction: z.enum(['both', 'up', 'down']).default('both'),
    /**
     * What the model judges of a window (docs/models.md, "Level"): `absolute` sees it at its
     * level, so a slow drift beyond the levels it learnt is an anomaly; `relative` centres each
     * window on its own mean, per channel, so only its shape counts: a level shift is flagged
     * while the step is in the window, and a slow trend never. Default relative.
     */
    level: z.enum(['absolute', 'relative']).default('relative'),
    /**
     * How values are scaled before the model sees them (docs/models.md, "Transform"): `none`, or
     * `asinh`, which is linear near 0 and logarithmic beyond a typical magnitude (so bursts of
     * 10,000x the usual are a few units away, not 10,000); `auto` takes `asinh` for a channel whose
     * training values are never negative and heavy-tailed (the 99th percentile more than 10
     * interquartile ranges above the median), else `none`. Default none.
     */
    transform: z.enum(['auto', 'none', 'asinh']).default('none'),
    /** Explanations attached to each score. */
    explanation: z
      .object({
        /** How many time steps and channels an explanation names. Default 3. */
        topK: z.number().int().min(1).max(64).default(3),
      })
      .strict()
      .default({}),
  })
  .strict();

/** The `model` section as the user writes it (every field optional). */
export type ModelConfigInput = z.input<typeof modelConfigSchema>;

/** The validated `model` section with every default filled in. */
export type ModelConfig = z.infer<typeof modelConfigSchema>;
