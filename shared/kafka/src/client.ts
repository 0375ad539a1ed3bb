import { Kafka, logLevel, type LogEntry, type logCreator } from 'kafkajs';
import { HourglassError, UnavailableError, describeError } from '@hourglass/core';
import type { KafkaClientSecurity } from './security';
import { watchConsumer } from './watchdog';

/** What a component needs to know to reach Kafka; a subset of the Hourglass config. */
export interface KafkaConnection {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly connectionTimeoutMs: number;
  /** With a log: watch every consumer of the client and exit when one stalls this long (watchdog.ts); 0 or absent: not watched. */
  readonly consumerStallMs?: number;
}

/** The exit code of a service whose consumer stalled: EX_TEMPFAIL, a temporary failure to be restarted. */
export const CONSUMER_STALLED_EXIT_CODE = 75;

/** The minimal logger kafkajs output is routed to (pino's child loggers fit). */
export interface KafkaLogSink {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * Creates a kafkajs client whose own logs go to our structured logger instead of the console;
 * `security` (from resolveKafkaSecurity) adds TLS and SASL.
 */
export function createKafka(connection: KafkaConnection, log?: KafkaLogSink, security: KafkaClientSecurity = {}): Kafka {
  const kafka = new Kafka({
    clientId: connection.clientId,
    brokers: [...connection.brokers],
    connectionTimeout: connection.connectionTimeoutMs,
    ...security,
    logLevel: log ? logLevel.WARN : logLevel.NOTHING,
    ...(log ? { logCreator: toLogCreator(log) } : {}),
  });
  const stallMs = connection.consumerStallMs ?? 0;
  // A service's client (one with a log, to say why it ends the process) watches every consumer: a
  // hung one ends the process, for its supervisor to restart (safe: offsets are committed only
  // after what they cover is durable). Tools and tests, without a log, are not watched.
  if (stallMs > 0 && log) {
    const make = kafka.consumer.bind(kafka);
    kafka.consumer = (config) => {
      const exit = (fields: object, what: string): never => {
        log.error({ groupId: config.groupId, ...fields }, `${what}; exiting with code ${CONSUMER_STALLED_EXIT_CODE} so that the service is restarted and resumes from its last commit`);
        process.exit(CONSUMER_STALLED_EXIT_CODE);
      };
      return watchConsumer(make(config), {
        stallMs,
        onStall: (idleMs) => exit({ idleMs }, `the Kafka consumer of group ${config.groupId} has neither fetched nor processed a batch for ${Math.round(idleMs / 1000)} s (kafkajs can stop this way after a broker restart)`),
        onGaveUp: (error) => exit({ err: describeError(error) }, `kafkajs stopped the Kafka consumer of group ${config.groupId} for good after a crash it does not retry`),
      });
    };
  }
  return kafka;
}

/** The broker refused the SASL credentials. Names the mechanism and user, never the password. Not retriable. */
export class KafkaAuthError extends HourglassError {
  constructor(brokers: string, mechanism: string, username: string, cause: unknown) {
    super('KAFKA_AUTH_FAILED', `Kafka at ${brokers}: authentication failed (SASL ${mechanism.toUpperCase()}, user '${username}'): ${describeError(cause)}`, { cause });
  }
}

/**
 * Describes the cluster once with a short retry budget, with the client's TLS and SASL (from
 * resolveKafkaSecurity). Throws KafkaAuthError when the credentials are refused, UnavailableError
 * naming the brokers otherwise; no message ever carries the password.
 */
export async function probeKafka(connection: KafkaConnection, security: KafkaClientSecurity = {}): Promise<{ brokers: number; controller: number | null; clusterId: string }> {
  const kafka = new Kafka({
    clientId: `${connection.clientId}-probe`,
    brokers: [...connection.brokers],
    connectionTimeout: connection.connectionTimeoutMs,
    ...security,
    logLevel: logLevel.NOTHING,
    retry: { retries: 1, initialRetryTime: 200, maxRetryTime: 1000 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return { brokers: cluster.brokers.length, controller: cluster.controller, clusterId: cluster.clusterId };
  } catch (error) {
    const password = security.sasl && 'password' in security.sasl ? String(security.sasl.password) : undefined;
    const cause = scrub(error, password);
    const sasl = security.sasl as { mechanism?: string; username?: string } | undefined;
    if (sasl?.mechanism && isSaslAuthError(error)) throw new KafkaAuthError(connection.brokers.join(','), sasl.mechanism, sasl.username ?? '', cause);
    throw new UnavailableError('Kafka', connection.brokers.join(','), cause);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** True when kafkajs says SASL authentication failed, anywhere along the error's chain. */
function isSaslAuthError(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    if (e.name === 'KafkaJSSASLAuthenticationError' || /SASL .*authentication failed/i.test(e.message)) return true;
    const next = e as Error & { originalError?: unknown };
    e = next.originalError ?? next.cause;
  }
  return false;
}

/** The error with `secret` masked in its message (defence in depth). */
function scrub(error: unknown, secret: string | undefined): unknown {
  if (!secret || !(error instanceof Error) || !error.message.includes(secret)) return error;
  const copy = new Error(error.message.split(secret).join('***'));
  copy.name = error.name;
  return copy;
}

/** After this long, a repeated kafkajs line is logged again (with its count), so a lasting state stays visible. */
const REPEAT_REMINDER_MS = 60_000;

/**
 * Routes kafkajs' logs to ours, one line per state change. kafkajs logs every failed request at
 * ERROR, including those it retries itself (a restarting broker, a topic without a leader yet), and
 * repeats the same line once per retry; the service logs the outcome itself (at error level when it
 * gives up). So kafkajs' errors become warnings, and a line identical to the last one of its
 * namespace is dropped, except once a minute with the count of the repeats.
 */
export function toLogCreator(log: KafkaLogSink): logCreator {
  return () => {
    const last = new Map<string, { key: string; at: number; repeats: number }>();
    return ({ namespace, level, log: entry }: LogEntry) => {
      const { message, timestamp: _timestamp, ...rest } = entry;
      const key = `${level}\u0000${message}\u0000${String(rest.error ?? '')}`;
      const now = Date.now();
      const previous = last.get(namespace);
      if (previous && previous.key === key && now - previous.at < REPEAT_REMINDER_MS) {
        previous.repeats++;
        return;
      }
      last.set(namespace, { key, at: now, repeats: 0 });
      const fields = { kafkajs: namespace, ...rest, ...(previous?.key === key && previous.repeats > 0 ? { repeatedTimes: previous.repeats } : {}) };
      if (level === logLevel.ERROR || level === logLevel.WARN) log.warn(fields, message);
      else if (level === logLevel.INFO) log.info(fields, message);
      else log.debug(fields, message);
    };
  };
}
