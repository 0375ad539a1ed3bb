import { z } from 'zod';
import { isTimeZone } from '../windowing/timestamp';
import { formatFields } from './format-config';
import { tlsSchema } from './tls-config';

/**
 * SASL and TLS for a Kafka client. Secrets can be given inline or, better, as a file path
 * (`passwordFile`), read at start-up by the Kafka adapter. Nothing in here is ever logged.
 */
export const kafkaSecuritySchema = z
  .object({
    sasl: z
      .object({
        mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
        username: z.string().min(1),
        /** Inline password; prefer passwordFile. */
        password: z.string().optional(),
        /** File whose content (trimmed) is the password, e.g. a mounted Kubernetes secret. */
        passwordFile: z.string().min(1).optional(),
      })
      .strict()
      .refine((s) => (s.password === undefined) !== (s.passwordFile === undefined), 'give exactly one of password or passwordFile')
      .optional(),
    tls: tlsSchema({
      /** File holding the client key's passphrase. */
      keyPassphraseFile: z.string().min(1).optional(),
    })
      .optional(),
  })
  .strict();

/** Where a point's fields live in an input message (dotted paths into the JSON object). */
export const parseConfigSchema = z
  .object({
    /** Series id field; when absent in a message, the message key is used. Default `series`. */
    seriesField: z.string().min(1).default('series'),
    /** Event time field: epoch ms, epoch s or ISO-8601 (see timestampUnit). Default `ts`. */
    timestampField: z.string().min(1).default('ts'),
    /** Univariate value field. Default `value`. */
    valueField: z.string().min(1).default('value'),
    /** Multivariate field: an object of named numbers; wins over valueField when present. Default `values`. */
    valuesField: z.string().min(1).default('values'),
    /** How numeric timestamps are read: `auto` takes |n| < 1e11 as seconds, else ms. Default auto. */
    timestampUnit: z.enum(['auto', 'ms', 's']).default('auto'),
    /**
     * IANA zone (`Europe/Berlin`) in which a zone-less timestamp (`2014-07-01 00:00:00`, `2014-07-01`)
     * is a wall-clock time; a timestamp with `Z` or an offset ignores it. Default `UTC`.
     */
    timezone: z.string().min(1).refine(isTimeZone, 'not a time zone this runtime knows (an IANA name such as UTC or Europe/Berlin)').default('UTC'),
    /** Messages larger than this are refused as `oversize` before parsing. Default 64 KiB. */
    maxMessageBytes: z.number().int().positive().default(65536),
    /** Longest series id, in UTF-8 bytes. Default 512. */
    maxSeriesBytes: z.number().int().min(1).max(65535).default(512),
    /** Most channels in one multivariate point. Default 256. */
    maxChannels: z.number().int().min(1).max(65535).default(256),
    ...formatFields,
  })
  .strict();

/** Per input topic, fields that replace `ingest.parse`'s for that topic (its format, above all). */
export const parseOverrideSchema = parseConfigSchema.partial();

/** The `ingest` section: the Kafka side of the ingest service. Every field documents its default. */
export const ingestConfigSchema = z
  .object({
    /** Consumer group. Default `hourglass-ingest`. */
    groupId: z.string().min(1).default('hourglass-ingest'),
    /** Kafka client id of the consumer and producer. Default `hourglass-ingest`. */
    clientId: z.string().min(1).default('hourglass-ingest'),
    /** Input topics by name. Default `['hourglass.points']`. */
    topics: z.array(z.string().min(1)).default(['hourglass.points']),
    /** Input topics by regular expression (JavaScript syntax, matched against the full name). Default none. */
    topicPatterns: z
      .array(z.string().min(1).refine(isRegex, 'not a valid regular expression'))
      .default([]),
    /** A new group starts at the earliest offset (true) or only new messages (false). Default true. */
    fromBeginning: z.boolean().default(true),
    /** Create the input topics (`topics`; not patterns), `topics.windows` and `topics.deadLetter` at start when missing. Default false (operators own topics). */
    createTopics: z.boolean().default(false),
    /** Partitions for topics that ingest creates. Default 6. */
    topicPartitions: z.number().int().positive().default(6),
    parse: parseConfigSchema.default({}),
    /** Per input topic (a name in `topics`, or one that `topicPatterns` matches): parse fields that replace `parse`'s there, e.g. `{ telegraf: { format: influx } }`. Default none. */
    parseByTopic: z.record(z.string().min(1), parseOverrideSchema).default({}),
    /** Most series with live window state; the least recently active is evicted beyond it. Default 100000. */
    maxLiveSeries: z.number().int().positive().default(100_000),
    /** A series that received nothing for this long (wall clock) is evicted. Default 1 h. */
    seriesIdleTimeoutMs: z.number().int().positive().default(3_600_000),
    /** Consumer session timeout and heartbeat interval. Defaults 30 s and 3 s. */
    sessionTimeoutMs: z.number().int().positive().default(30_000),
    heartbeatIntervalMs: z.number().int().positive().default(3_000),
    /** Longest the broker holds a fetch that finds no data; a fetch returns as soon as any arrives (minBytes 1), so this adds no latency. Default 500 ms. */
    maxWaitTimeMs: z.number().int().positive().default(500),
    /** Fetch size per partition. Default 1 MiB. */
    maxBytesPerPartition: z.number().int().positive().default(1_048_576),
    /** Idempotent producer (acks=all, one request in flight, no duplicates from producer retries). Default true. */
    idempotentProducer: z.boolean().default(true),
  })
  .strict()
  .refine((c) => c.topics.length + c.topicPatterns.length > 0, 'give at least one topic or topicPattern')
  .superRefine((c, ctx) => {
    const patterns = c.topicPatterns.map((p) => new RegExp(`^(?:${p})$`));
    for (const topic of Object.keys(c.parseByTopic)) {
      if (!c.topics.includes(topic) && !patterns.some((p) => p.test(topic))) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['parseByTopic', topic], message: `'${topic}' is not an input topic (not in ingest.topics, and no ingest.topicPatterns entry matches it)` });
      }
    }
  });

export type IngestConfig = z.infer<typeof ingestConfigSchema>;
/** SASL/TLS settings as validated (secrets possibly still file paths). */
export type KafkaSecurityConfig = z.infer<typeof kafkaSecuritySchema>;
/** Field paths and limits of the input parser. */
export type ParseConfig = z.infer<typeof parseConfigSchema>;

/** The parse settings of one input topic: `ingest.parse` with the topic's `parseByTopic` entry over it. */
export function topicParseConfig(ingest: Pick<IngestConfig, 'parse' | 'parseByTopic'>, topic: string): ParseConfig {
  const override = ingest.parseByTopic[topic];
  if (!override) return ingest.parse;
  const defined = Object.fromEntries(Object.entries(override).filter(([, v]) => v !== undefined));
  return { ...ingest.parse, ...defined } as ParseConfig;
}

function isRegex(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}
