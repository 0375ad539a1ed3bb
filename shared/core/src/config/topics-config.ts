import { z } from 'zod';

const topicName = z.string().min(1).max(249).regex(/^[A-Za-z0-9._-]+$/, "a Kafka topic name: letters, digits, '.', '_' and '-'");

/**
 * The `topics` section: every topic that more than one part of Hourglass touches, named once.
 * Ingest writes windows and dead letters, scorers read windows and write anomalies; both read the
 * names from here, so the two can never disagree. Input topics stay in `ingest.topics`: only ingest
 * reads them.
 */
export const topicsConfigSchema = z
  .object({
    /** Windows, from ingest to the scorers (a compact binary format, docs/ingest.md). Default `hourglass.windows`. */
    windows: topicName.default('hourglass.windows'),
    /** Anomaly events, from the scorers (JSON, ARCHITECTURE.md). Default `hourglass.anomalies`. */
    anomalies: topicName.default('hourglass.anomalies'),
    /** Refused input, with its reason (docs/ingest.md). Default `hourglass.dlq`. */
    deadLetter: topicName.default('hourglass.dlq'),
    /** Incidents, from the incidents stage (JSON, docs/incidents.md). Default `hourglass.incidents`. */
    incidents: topicName.default('hourglass.incidents'),
    /** Operators' verdicts on episodes, read by the trainers (JSON, docs/feedback.md). Default `hourglass.feedback`. */
    feedback: topicName.default('hourglass.feedback'),
  })
  .strict()
  .superRefine((t, ctx) => {
    const seen = new Map<string, string>();
    for (const [role, name] of Object.entries(t)) {
      const other = seen.get(name);
      if (other) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [role], message: `'${name}' is the ${other} topic too; each role needs its own topic` });
      seen.set(name, role);
    }
  });

export type TopicsConfig = z.infer<typeof topicsConfigSchema>;

/** Fields that moved into `topics`, for a clear error on configs written before it existed. */
export const MOVED_TOPIC_FIELDS: Readonly<Record<string, string>> = {
  'ingest.windowsTopic': 'topics.windows',
  'ingest.deadLetterTopic': 'topics.deadLetter',
  'scorer.windowsTopic': 'topics.windows',
  'scorer.anomaliesTopic': 'topics.anomalies',
};
