import { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors';
import { groupConfigSchema } from './groups';
import { tlsSchema } from './tls-config';
import { ingestConfigSchema, kafkaSecuritySchema } from './ingest-config';
import { scorerConfigSchema, trainerConfigSchema } from './scorer-config';
import { maintenanceConfigSchema } from './maintenance-config';
import { closest, knownKeysAt } from './suggest';
import { MOVED_TOPIC_FIELDS, topicsConfigSchema } from './topics-config';
import { incidentsConfigSchema } from './incidents-config';
import { similarConfigSchema } from './similar-config';
import { feedbackConfigSchema } from './feedback-config';

const opsPortSchema = z.number().int().min(0).max(65535);

/**
 * The connection part of the Hourglass configuration: where Kafka, Redis and Prometheus live and
 * where each service serves its own /metrics and health endpoints. Later issues extend it with
 * model groups and per-service settings. Units are in the names (`...Ms`).
 */
export const hourglassConfigSchema = z
  .object({
    kafka: z
      .object({
        brokers: z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port')).min(1).default(['127.0.0.1:9092']),
        clientId: z.string().min(1).default('hourglass'),
        connectionTimeoutMs: z.number().int().positive().default(3000),
        /** How long a service (and `hourglass produce`) waits at start for the topics it needs before it exits with their names. Default 30 s. */
        topicWaitMs: z.number().int().min(0).default(30_000),
        /**
         * A consumer that has neither fetched nor started or finished a batch for this long is taken
         * as hung (kafkajs can stop fetching after a broker restart without any error) and the
         * service exits with code 75, for its supervisor to restart it, as it does at once when
         * kafkajs gives up on a consumer after a crash; what it had not committed is fetched
         * again (docs/guarantees.md). 0 turns the watchdog off. Default 60 s.
         */
        consumerStallMs: z.number().int().min(0).default(60_000),
        /** SASL (PLAIN, SCRAM-SHA-256/512) and TLS for every service's Kafka clients; secrets from files. */
        security: kafkaSecuritySchema.default({}),
      })
      .strict()
      .default({}),
    redis: z
      .object({
        /** `redis://` or `rediss://` (TLS). May carry a user and password, but prefer username and passwordFile. */
        url: z.string().regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL').default('redis://127.0.0.1:6379'),
        keyPrefix: z.string().default('hourglass:'),
        /** ACL user (Redis 6+, `AUTH username password`); wins over a user in the URL. Default: the URL's, else `default`. */
        username: z.string().min(1).optional(),
        /** File whose content (trimmed) is the password, e.g. a mounted Kubernetes secret. Never logged. */
        passwordFile: z.string().min(1).optional(),
        /** TLS to Redis (`tls-port`). A `rediss://` URL alone also turns TLS on, trusting the system CAs. */
        tls: tlsSchema({})
          .optional(),
      })
      .strict()
      .superRefine((r, ctx) => {
        if (r.passwordFile !== undefined && /^rediss?:\/\/[^/@]*:[^/@]*@/.test(r.url)) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['passwordFile'], message: 'give the password in the URL or in passwordFile, not both' });
        }
        if (r.tls?.enabled === false && r.url.startsWith('rediss://')) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['tls', 'enabled'], message: 'a rediss:// URL always uses TLS; use redis:// for plaintext' });
        }
      })
      .default({}),
    prometheus: z
      .object({ url: z.string().url().default('http://127.0.0.1:9090') })
      .strict()
      .default({}),
    ops: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        /** Port of /metrics, /healthz and /readyz; 0 picks a free one (logged at start). Default 0. */
        port: z.number().int().min(0).max(65535).default(0),
        /**
         * Per-service ports that win over `port`, so that ingest, scorer and trainer can share one
         * config file on one machine (deploy/config/local.yaml). Default none.
         */
        servicePorts: z
          .object({ ingest: opsPortSchema.optional(), scorer: opsPortSchema.optional(), trainer: opsPortSchema.optional(), incidents: opsPortSchema.optional() })
          .strict()
          .default({})
          .superRefine((ports, ctx) => {
            const seen = new Map<number, string>();
            for (const [service, port] of Object.entries(ports)) {
              if (port === undefined || port === 0) continue;
              const other = seen.get(port);
              if (other) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [service], message: `port ${port} is ${other}'s too; two services cannot listen on one port` });
              seen.set(port, service);
            }
          }),
      })
      .strict()
      .default({}),
    log: z
      .object({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info') })
      .strict()
      .default({}),
    /** The topics ingest and the scorers share (windows, anomalies, dead letters), each named once. */
    topics: topicsConfigSchema.default({}),
    /** The ingest service's Kafka side: input topics, group, parsing, limits, security. */
    ingest: ingestConfigSchema.default({}),
    /** The scorer service: Kafka side, micro-batching, clean buffer, metric limits. */
    scorer: scorerConfigSchema.default({}),
    /** The trainer service: refit schedule, gate and registry. */
    trainer: trainerConfigSchema.default({}),
    /** The incidents stage: which episodes form one incident, and the incidents service's Kafka side (docs/incidents.md). */
    incidents: incidentsConfigSchema.default({}),
    /** Codes and hashes of episodes, and the similar earlier episodes events carry (docs/incidents.md). */
    similar: similarConfigSchema.default({}),
    /** Operators' verdicts on episodes, and how they teach the next refit (docs/feedback.md). */
    feedback: feedbackConfigSchema.default({}),
    /** Model groups, matched in order: a series belongs to the first group that matches it. */
    groups: z
      .array(groupConfigSchema)
      .default([{ name: 'default', match: { glob: '*' } }])
      .superRefine((groups, ctx) => {
        const seen = new Set<string>();
        groups.forEach((g, i) => {
          if (seen.has(g.name)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i, 'name'], message: `duplicate group name '${g.name}'` });
          seen.add(g.name);
        });
      }),
    /** Maintenance periods (docs/scorer.md): no events and no clean-buffer windows for the series they cover, while they last. Default none. */
    maintenance: maintenanceConfigSchema.default([]),
  })
  .strict()
  .superRefine((c, ctx) => {
    const groupNames = new Set(c.groups.map((g) => g.name));
    c.maintenance.forEach((p, i) =>
      p.groups?.forEach((g, j) => {
        if (!groupNames.has(g)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['maintenance', i, 'groups', j], message: `no model group '${g}' (groups: ${[...groupNames].join(', ')})` });
      }),
    );
    // An input topic that is also an output would feed ingest its own windows or dead letters.
    for (const [role, name] of Object.entries(c.topics)) {
      const i = c.ingest.topics.indexOf(name);
      if (i >= 0) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['ingest', 'topics', i], message: `'${name}' is topics.${role}; ingest cannot read a topic Hourglass writes` });
    }
  });

/** The validated, defaulted and frozen configuration that components receive. */
export type HourglassConfig = Readonly<z.infer<typeof hourglassConfigSchema>>;

/** The port a service serves its ops endpoints on: its entry in `ops.servicePorts`, else `ops.port`. */
export function opsPort(config: HourglassConfig, service: 'ingest' | 'scorer' | 'trainer' | 'incidents'): number {
  return config.ops.servicePorts[service] ?? config.ops.port;
}

/** Environment variables that override config file fields; the names `infra:status` prints. */
const ENV_OVERRIDES: Record<string, (raw: Record<string, unknown>, value: string) => void> = {
  KAFKA_BROKERS: (raw, v) => (section(raw, 'kafka').brokers = v.split(',').map((b) => b.trim()).filter(Boolean)),
  REDIS_URL: (raw, v) => (section(raw, 'redis').url = v),
  PROMETHEUS_URL: (raw, v) => (section(raw, 'prometheus').url = v),
  HOURGLASS_LOG_LEVEL: (raw, v) => (section(raw, 'log').level = v),
};

/**
 * Parses, fills defaults, applies environment overrides and validates in one pure step.
 * Throws a ConfigError that lists every bad field with its path.
 */
export function compileConfig(raw: unknown, env: Readonly<Record<string, string | undefined>> = {}, source = 'config'): HourglassConfig {
  const base: Record<string, unknown> = isPlainObject(raw) ? structuredClone(raw) : raw === undefined ? {} : (raw as Record<string, unknown>);
  if (isPlainObject(base)) {
    for (const [name, apply] of Object.entries(ENV_OVERRIDES)) {
      const value = env[name];
      if (value !== undefined && value !== '') apply(base, value);
    }
  }
  const result = hourglassConfigSchema.safeParse(base);
  if (!result.success) throw new ConfigError(result.error.issues.map(toIssue), source);
  return deepFreeze(result.data);
}

function toIssue(issue: z.ZodIssue): ConfigIssue {
  const path = issue.path.join('.');
  if (issue.code === 'unrecognized_keys') {
    const moved = issue.keys.map((k) => [k, MOVED_TOPIC_FIELDS[[...issue.path, k].join('.')]] as const).filter(([, to]) => to !== undefined);
    if (moved.length === issue.keys.length) return { path, message: moved.map(([k, to]) => `'${k}' moved to ${to} (one name for ingest and the scorers)`).join('; ') };
    const known = knownKeysAt(hourglassConfigSchema, issue.path);
    const described = issue.keys.map((k) => {
      const guess = closest(k, known);
      return guess ? `'${k}' (did you mean '${guess}'?)` : `'${k}'`;
    });
    return { path, message: `unknown field${issue.keys.length > 1 ? 's' : ''} ${described.join(', ')}` };
  }
  return { path, message: issue.message };
}

function section(raw: Record<string, unknown>, key: string): Record<string, unknown> {
  const existing = raw[key];
  if (isPlainObject(existing)) return existing;
  const created: Record<string, unknown> = {};
  raw[key] = created;
  return created;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
