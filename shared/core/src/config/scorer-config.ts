import { z } from 'zod';

/** The `scorer` section: the scorer service's Kafka side, batching, buffer and metric limits. */
export const scorerConfigSchema = z
  .object({
    /** Consumer group. Default `hourglass-scorer`. */
    groupId: z.string().min(1).default('hourglass-scorer'),
    /** Kafka client id. Default `hourglass-scorer`. */
    clientId: z.string().min(1).default('hourglass-scorer'),
    /** Create the windows and anomalies topics at start when missing. Default false (operators own topics). */
    createTopics: z.boolean().default(false),
    /** Partitions for topics the scorer creates. Default 6. */
    topicPartitions: z.number().int().positive().default(6),
    /** A micro-batch is scored when it holds this many windows... Default 2048. */
    batchMaxWindows: z.number().int().min(1).max(65_536).default(2048),
    /**
     * ...or when its oldest window has waited this long; 0 scores what one fetch brought once the
     * handlers of its partitions have run (the end of that turn of the event loop). kafkajs fetches
     * again only after every batch of a fetch is done, so on one broker a wait never adds a later
     * fetch's windows to the batch: it only delays each paced window by its length (50 ms of
     * bench:pipeline's latency, docs/bench-pipeline.md). Default 0 (50 ms before issue 17).
     */
    batchMaxWaitMs: z.number().int().min(0).max(60_000).default(0),
    /** Partitions whose batches are handled at once (they share micro-batches). Default 4. */
    partitionsConsumedConcurrently: z.number().int().min(1).max(64).default(4),
    /** Cold start: a group without a model buffers its newest this many windows for the first fit, rolling forward until a fit is taken. Default 2000. */
    warmupWindows: z.number().int().min(0).default(2000),
    /**
     * A group without a model for longer than this is stuck in cold start: exported as
     * `hourglass_scorer_cold_start_alert_after_seconds`, which the HourglassGroupStuckInColdStart
     * alert compares `hourglass_scorer_cold_start_seconds` with. Default 1 h.
     */
    coldStartAlertAfterMs: z.number().int().positive().default(3_600_000),
    /** Share of normal windows sent to the clean buffer (1 = all). Default 1. */
    cleanSampleRate: z.number().gt(0).max(1).default(1),
    /** Windows each group's clean buffer stream keeps (its cap, counted in windows, not entries). Default 50000. */
    bufferMaxWindows: z.number().int().positive().default(50_000),
    /** Registry poll interval, in case a notification is lost. Default 30 s. */
    modelPollIntervalMs: z.number().int().positive().default(30_000),
    /** How often maintenance periods added at run time (`hourglass maintenance add`, in Redis) are re-read. Default 5 s. */
    maintenancePollMs: z.number().int().min(100).default(5000),
    /** Episode states kept in memory (the rest are reloaded from Redis). Default 100000. */
    maxTrackedSeries: z.number().int().positive().default(100_000),
    /**
     * The expected-value band's coverage: the share of normal newest-step values it holds, drawn
     * from each model's validation errors (docs/scorer.md). Default 0.95.
     */
    bandCoverage: z.number().min(0.5).max(0.99).default(0.95),
    /** Export `hourglass_expected_value|lower|upper` for the series that get a score gauge (one extra network pass over those alone). Default true. */
    bandGauges: z.boolean().default(true),
    /** Series that always get a per-series score gauge. Default none. */
    seriesGaugeAllowlist: z.array(z.string().min(1)).default([]),
    /** Other series with a gauge: the top-K by score. Default 20. */
    seriesGaugeTopK: z.number().int().min(0).default(20),
    /** Hard cap on series with a gauge, allowlist included. Default 200. */
    seriesGaugeMax: z.number().int().min(0).max(10_000).default(200),
    sessionTimeoutMs: z.number().int().positive().default(30_000),
    heartbeatIntervalMs: z.number().int().positive().default(3_000),
    /** Longest the broker holds a fetch that finds no data; a fetch returns as soon as any arrives (minBytes 1), so this adds no latency. Default 100 ms. */
    maxWaitTimeMs: z.number().int().positive().default(100),
  })
  .strict();

export type ScorerConfig = z.infer<typeof scorerConfigSchema>;

/** The `trainer` section: when and how groups are refitted. */
export const trainerConfigSchema = z
  .object({
    /** Refit each group at least this often. Default 1 h. */
    refitIntervalMs: z.number().int().positive().default(3_600_000),
    /** ...or as soon as this many new clean windows arrived. Default 20000. */
    refitAfterNewWindows: z.number().int().positive().default(20_000),
    /** After a rejected, failed or skipped fit, wait this long before trying the group again. Default 5 min. */
    retryAfterMissMs: z.number().int().min(0).default(300_000),
    /** How often the schedule is checked. Default 10 s. */
    checkIntervalMs: z.number().int().positive().default(10_000),
    /** Most recent clean windows read per fit (N). Default 20000. */
    maxWindows: z.number().int().positive().default(20_000),
    /** Fewest clean windows for a fit. Default 500. */
    minWindows: z.number().int().positive().default(500),
    /** Newest share held out for the validation gate. Default 0.2. */
    holdoutFraction: z.number().gt(0).lt(1).default(0.2),
    /** Refuse to fit when the current model flags more than this share of the buffer. Default 0.05. */
    maxContamination: z.number().min(0).max(1).default(0.05),
    /** Gate: the candidate's held-out error may exceed the current one's by this share. Default 0.1. */
    gateErrorTolerance: z.number().min(0).default(0.1),
    /** Gate: false-alarm rate allowed on clean held-out windows. Default 0.02. */
    gateFalseAlarmBudget: z.number().min(0).max(1).default(0.02),
    /** Gate: false-alarm rate allowed for a group's first model (the alternative is none). Default 0.1. */
    gateFirstModelFalseAlarmBudget: z.number().min(0).max(1).default(0.1),
    /** A first model over that budget: `take` it with a warning (the next refit can replace it), or `refuse` it and stay in cold start. Default take. */
    gateFirstModelOverBudget: z.enum(['take', 'refuse']).default('take'),
    /** Training lock lifetime (extended while fitting). Default 60 s. */
    lockTtlMs: z.number().int().min(1000).default(60_000),
    /** Versions kept per group in the registry. Default 10. */
    keepVersions: z.number().int().min(2).default(10),
  })
  .strict();

export type TrainerConfig = z.infer<typeof trainerConfigSchema>;
