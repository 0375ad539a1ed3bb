import { Kafka, logLevel, type LogEntry, type logCreator } from 'kafkajs';
import { UnavailableError } from '@hourglass/core';
import type { KafkaClientSecurity } from './security';

/** What a component needs to know to reach Kafka; a subset of the Hourglass config. */
export interface KafkaConnection {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly connectionTimeoutMs: number;
}

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
  return new Kafka({
    clientId: connection.clientId,
    brokers: [...connection.brokers],
    connectionTimeout: connection.connectionTimeoutMs,
    ...security,
    logLevel: log ? logLevel.WARN : logLevel.NOTHING,
    ...(log ? { logCreator: toLogCreator(log) } : {}),
  });
}

/** Describes the cluster once with a short retry budget; throws UnavailableError naming the brokers. */
export async function probeKafka(connection: KafkaConnection): Promise<{ brokers: number; controller: number | null; clusterId: string }> {
  const kafka = new Kafka({
    clientId: `${connection.clientId}-probe`,
    brokers: [...connection.brokers],
    connectionTimeout: connection.connectionTimeoutMs,
    logLevel: logLevel.NOTHING,
    retry: { retries: 1, initialRetryTime: 200, maxRetryTime: 1000 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return { brokers: cluster.brokers.length, controller: cluster.controller, clusterId: cluster.clusterId };
  } catch (error) {
    throw new UnavailableError('Kafka', connection.brokers.join(','), error);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

function toLogCreator(log: KafkaLogSink): logCreator {
  return () =>
    ({ namespace, level, log: entry }: LogEntry) => {
      const { message, ...rest } = entry;
      const fields = { kafkajs: namespace, ...rest };
      if (level === logLevel.ERROR) log.error(fields, message);
      else if (level === logLevel.WARN) log.warn(fields, message);
      else if (level === logLevel.INFO) log.info(fields, message);
      else log.debug(fields, message);
    };
}
