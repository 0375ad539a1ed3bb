import { z } from 'zod';

/**
 * The `feedback` section (docs/feedback.md): operators' verdicts on episodes, and what the scorer
 * keeps so that a verdict can teach the next refit. Units in the names.
 */
export const feedbackConfigSchema = z
  .object({
    /**
     * Keep the windows the scorer holds back from the clean buffer (anomalous, or inside an
     * episode), so that a verdict can find its episode's windows, and let the trainer learn from
     * verdicts. Off: feedback is still stored and counted, but teaches nothing. Default true.
     */
    enabled: z.boolean().default(true),
    /** The trainer service reads verdicts from `topics.feedback` (as well as from `hourglass feedback`). Default true. */
    consumeTopic: z.boolean().default(true),
    /** Consumer group of the trainers' reader of `topics.feedback`. Default `hourglass-feedback`. */
    groupId: z.string().min(1).default('hourglass-feedback'),
    /** The trainer creates `topics.feedback` when it is missing (else it waits for it, training meanwhile). Default false. */
    createTopic: z.boolean().default(false),
    /** Partitions of the feedback topic when the trainer creates it (verdicts are few). Default 1. */
    topicPartitions: z.number().int().min(1).max(1000).default(1),
    /**
     * How many times a false positive's windows are repeated in each refit's training set: the
     * weight of an operator's "this is normal" against the clean buffer's windows. Default 10.
     */
    falsePositiveWeight: z.number().int().min(1).max(1000).default(10),
    /** Windows kept with one verdict (an episode's first ones, with the windows just before its open). Default 256. */
    maxWindowsPerEpisode: z.number().int().min(1).max(100_000).default(256),
    /**
     * Held-back windows kept per model group for verdicts to come (the newest; Redis stream
     * `hourglass:heldback:<group>`): a verdict on an episode whose windows have rolled out of it
     * is stored and counted, but teaches nothing. Default 20000.
     */
    heldBackMaxWindows: z.number().int().min(1).max(10_000_000).default(20_000),
  })
  .strict();

export type FeedbackConfig = z.infer<typeof feedbackConfigSchema>;
