import { join } from 'node:path';
import { down, status, up } from '../infra/infra';
import { stateDir } from '../infra/paths';
import { startContainers } from './containers';

/** Where the real Kafka, Redis, Prometheus and Alertmanager of a test run live. */
export interface Infrastructure {
  readonly kafkaBrokers: readonly string[];
  readonly redisUrl: string;
  readonly prometheusUrl: string;
  readonly alertmanagerUrl: string;
  /** Folder of Prometheus file_sd target files, when this run may add scrape targets. */
  readonly prometheusTargetsDir: string | undefined;
  /** Where the addresses came from, for the test log. */
  readonly source: 'environment' | 'testcontainers' | 'local processes';
  /** Stops what this resolution started (nothing, for environment addresses). */
  stop(): Promise<void>;
}

const ENV_NAMES = ['KAFKA_BROKERS', 'REDIS_URL', 'PROMETHEUS_URL', 'ALERTMANAGER_URL'] as const;

/**
 * The one place that decides which infrastructure the tests use:
 * 1. addresses given in the environment win (all four of `infra:status`'s variables);
 * 2. otherwise testcontainers, where a container runtime answers (Kafka and Redis in containers;
 *    Prometheus and Alertmanager stay local processes, since they need our config files);
 * 3. otherwise the local processes of `npm run infra:up`.
 */
export async function resolveInfrastructure(env: NodeJS.ProcessEnv = process.env, log: (line: string) => void = () => undefined): Promise<Infrastructure> {
  const fromEnv = infrastructureFromEnv(env);
  if (fromEnv) return fromEnv;
  const containers = await startContainers(log);
  const needed = containers ? (['prometheus', 'alertmanager'] as const) : undefined;
  const alreadyRunning = status(needed).missing.length === 0;
  const local = await up(log, needed);
  // Stop only what this resolution started; a developer's own `infra:up` stays up.
  const stopLocal = alreadyRunning ? async () => undefined : () => down(log);
  const targets = join(stateDir(env), 'prometheus', 'targets');
  if (containers) {
    return {
      ...containers.addresses,
      prometheusUrl: required(local, 'PROMETHEUS_URL'),
      alertmanagerUrl: required(local, 'ALERTMANAGER_URL'),
      prometheusTargetsDir: targets,
      source: 'testcontainers',
      stop: async () => {
        await containers.stop();
        await stopLocal();
      },
    };
  }
  return {
    kafkaBrokers: required(local, 'KAFKA_BROKERS').split(','),
    redisUrl: required(local, 'REDIS_URL'),
    prometheusUrl: required(local, 'PROMETHEUS_URL'),
    alertmanagerUrl: required(local, 'ALERTMANAGER_URL'),
    prometheusTargetsDir: targets,
    source: 'local processes',
    stop: stopLocal,
  };
}

/** The infrastructure named by environment variables, or undefined when any of them is missing. */
export function infrastructureFromEnv(env: NodeJS.ProcessEnv = process.env): Infrastructure | undefined {
  if (!ENV_NAMES.every((name) => env[name])) return undefined;
  return {
    kafkaBrokers: env.KAFKA_BROKERS!.split(',').map((b) => b.trim()),
    redisUrl: env.REDIS_URL!,
    prometheusUrl: env.PROMETHEUS_URL!,
    alertmanagerUrl: env.ALERTMANAGER_URL!,
    prometheusTargetsDir: env.PROMETHEUS_SD_DIR || undefined,
    source: 'environment',
    stop: async () => undefined,
  };
}

/** The variables a child process (or a shell) needs to reach `infra`. */
export function infrastructureEnv(infra: Infrastructure): Record<string, string> {
  return {
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    REDIS_URL: infra.redisUrl,
    PROMETHEUS_URL: infra.prometheusUrl,
    ALERTMANAGER_URL: infra.alertmanagerUrl,
    ...(infra.prometheusTargetsDir ? { PROMETHEUS_SD_DIR: infra.prometheusTargetsDir } : {}),
  };
}

function required(addresses: Record<string, string>, name: string): string {
  const value = addresses[name];
  if (!value) throw new Error(`local infrastructure did not report ${name}`);
  return value;
}
