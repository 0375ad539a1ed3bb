import { z } from 'zod';

const regexText = z.string().min(1).superRefine((text, ctx) => {
  try {
    new RegExp(text);
  } catch (error) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `not a regular expression: ${(error as Error).message}` });
  }
});

/** Which series a relation holds: exact ids, a glob or a regex (anchored), like a model group's `match`. */
const relationMatchSchema = z
  .object({
    series: z.array(z.string().min(1)).optional(),
    glob: z.string().min(1).optional(),
    regex: regexText.optional(),
  })
  .strict()
  .refine((m) => m.series !== undefined || m.glob !== undefined || m.regex !== undefined, 'give series, glob or regex');

/**
 * The `incidents` section: how the incidents stage (docs/incidents.md) groups the episodes of
 * related series into one incident, and the incidents service's Kafka side. Read by the service
 * (`hourglass incidents serve`) and by embedded mode (`hourglass run`).
 */
export const incidentsConfigSchema = z
  .object({
    /**
     * What makes episodes related: `group` (the same model group), `label` (the same value of a
     * label taken from the series id by `label.pattern`) or `relation` (the same entry of
     * `relations`). Default `group`.
     */
    groupBy: z.enum(['group', 'label', 'relation']).default('group'),
    /**
     * For `groupBy: label`: a regex applied to the series id; the label is its first capture group
     * (or the whole match when it has none). `^([^.]+)\.` takes `db-1` from `db-1.latency`. A series
     * it does not match is an incident of its own. Default `^([^.]+)\.`.
     */
    label: z.object({ pattern: regexText.default('^([^.]+)\\.') }).strict().default({}),
    /**
     * For `groupBy: relation`: named sets of series that fail together (a database's latency,
     * connections and queue depth). A series belongs to the first relation that matches it; one
     * that none matches is an incident of its own. Default none.
     */
    relations: z.array(z.object({ name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - only, at most 64'), match: relationMatchSchema }).strict()).default([]),
    /**
     * An episode joins an open incident of its key when it opens at most this long (event time)
     * after the incident's newest member opened; later, it starts a new incident. Default 5 min.
     */
    joinWithinMs: z.number().int().min(0).default(300_000),
    /** Consumer group of the incidents service. Default `hourglass-incidents`. */
    groupId: z.string().min(1).default('hourglass-incidents'),
    /** Kafka client id. Default `hourglass-incidents`. */
    clientId: z.string().min(1).default('hourglass-incidents'),
    /** Create the anomalies and incidents topics at start when missing. Default false (operators own topics). */
    createTopics: z.boolean().default(false),
    /** Partitions for topics the service creates. Default 6. */
    topicPartitions: z.number().int().positive().default(6),
    /** Events of all partitions are collected this long and handled in event-time order. Default 200 ms. */
    batchMaxWaitMs: z.number().int().min(0).max(60_000).default(200),
    /** ...or as soon as this many are waiting. Default 1000. */
    batchMaxEvents: z.number().int().min(1).max(65_536).default(1000),
    /** Incidents kept for `hourglass incidents list|show`, newest first (Redis; embedded mode's folder). Default 10000. */
    keepIncidents: z.number().int().min(1).default(10_000),
    /** How long an episode's incident is remembered after the incident closed, so replayed events are recognised. Default 30 days. */
    retentionMs: z.number().int().positive().default(30 * 86_400_000),
    /** Open incidents held at once; beyond it the oldest is closed (and counted). Default 10000. */
    maxOpenIncidents: z.number().int().min(1).default(10_000),
    sessionTimeoutMs: z.number().int().positive().default(30_000),
    heartbeatIntervalMs: z.number().int().positive().default(3_000),
    maxWaitTimeMs: z.number().int().positive().default(100),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.groupBy === 'relation' && c.relations.length === 0) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['relations'], message: "groupBy 'relation' needs at least one relation" });
    }
    const seen = new Set<string>();
    c.relations.forEach((r, i) => {
      if (seen.has(r.name)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['relations', i, 'name'], message: `duplicate relation name '${r.name}'` });
      seen.add(r.name);
    });
  });

export type IncidentsConfig = z.infer<typeof incidentsConfigSchema>;
