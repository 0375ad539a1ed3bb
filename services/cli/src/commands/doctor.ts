import { describeError, type HourglassConfig } from '@hourglass/core';
import { probeKafka, resolveKafkaSecurity } from '@hourglass/kafka';
import { ModelRegistry, describeRedisSecurity, probeRedis, redactUrl, redisKeys } from '@hourglass/redis';
import { withRedis } from './redis-session';
import { initBackend, requireNativeFromEnv } from '@hourglass/model';

/**
 * One line of the doctor's report. `skipped` means the check was not asked for; `warn` is worth an
 * operator's attention but not a broken dependency (a fresh deployment has no models yet).
 */
export interface DoctorCheck {
  readonly name: string;
  readonly status: 'ok' | 'warn' | 'fail' | 'skipped';
  readonly detail: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

const MIN_NODE = [20, 19] as const;

/**
 * Checks the runtime, the TensorFlow backend and each configured dependency, each independently
 * and with a timeout, so one dead dependency never hides the state of the others.
 */
export async function runDoctor(config: HourglassConfig, options: { offline: boolean; env: NodeJS.ProcessEnv }): Promise<DoctorCheck[]> {
  const checks: Promise<DoctorCheck>[] = [checkNode(), checkBackend(options.env)];
  if (options.offline) {
    for (const name of ['kafka', 'redis', 'prometheus', 'models']) checks.push(Promise.resolve({ name, status: 'skipped', detail: 'offline mode' }));
  } else {
    checks.push(checkKafka(config), checkRedis(config), checkPrometheus(config), checkModels(config));
  }
  return Promise.all(checks);
}

async function checkNode(): Promise<DoctorCheck> {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  const ok = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  return {
    name: 'node',
    status: ok ? 'ok' : 'fail',
    detail: ok ? `v${process.versions.node}` : `v${process.versions.node}; Hourglass needs Node.js >= ${MIN_NODE.join('.')}`,
    data: { version: process.versions.node },
  };
}

async function checkBackend(env: NodeJS.ProcessEnv): Promise<DoctorCheck> {
  try {
    const { info } = await initBackend({ requireNative: requireNativeFromEnv(env), warn: () => undefined });
    const detail = info.native
      ? `native (tfjs-node, TensorFlow ${info.tensorflowVersion ?? 'unknown'})`
      : `${info.name} fallback: ${info.fallbackReason ?? ''}`;
    return { name: 'backend', status: info.native ? 'ok' : 'fail', detail, data: { ...info } };
  } catch (error) {
    return { name: 'backend', status: 'fail', detail: describeError(error) };
  }
}

/**
 * Kafka and Redis are probed with the configured security (secret files read here). Details name
 * the mechanism, user and whether TLS is on, never a password: the report is safe to paste.
 */
async function checkKafka(config: HourglassConfig): Promise<DoctorCheck> {
  const address = config.kafka.brokers.join(',');
  const security = describeKafkaSecurity(config);
  try {
    const cluster = await probeKafka(config.kafka, resolveKafkaSecurity(config.kafka.security));
    return { name: 'kafka', status: 'ok', detail: `${address} (${cluster.brokers} broker${cluster.brokers === 1 ? '' : 's'}; ${security})`, data: { address, security, ...cluster } };
  } catch (error) {
    return { name: 'kafka', status: 'fail', detail: describeError(error), data: { address, security } };
  }
}

async function checkRedis(config: HourglassConfig): Promise<DoctorCheck> {
  const address = redactUrl(config.redis.url);
  const security = describeRedisSecurity(config.redis);
  try {
    const { version } = await probeRedis(config.redis);
    return { name: 'redis', status: 'ok', detail: `${address} (Redis ${version}; ${security})`, data: { address, security, version } };
  } catch (error) {
    return { name: 'redis', status: 'fail', detail: describeError(error), data: { address, security } };
  }
}

/**
 * Which configured groups have a current model in the registry. A group without one scores
 * nothing: its series are unwatched (cold start, or first fits refused). That is a warning, not a
 * failure, because every deployment starts so; the scorers' /readyz and the
 * HourglassGroupStuckInColdStart alert say when it lasts too long.
 */
async function checkModels(config: HourglassConfig): Promise<DoctorCheck> {
  try {
    return await withRedis(config, async (redis) => {
      const registry = new ModelRegistry(redis, redisKeys(config.redis.keyPrefix));
      const current = await Promise.all(config.groups.map(async (g) => [g.name, (await registry.current(g.name))?.version ?? null] as const));
      const missing = current.filter(([, v]) => v === null).map(([g]) => g);
      const models = Object.fromEntries(current);
      if (missing.length === 0) return { name: 'models', status: 'ok', detail: `every group has a model (${current.map(([g, v]) => `${g} ${v}`).join(', ')})`, data: { models } };
      return {
        name: 'models', status: 'warn', data: { models, withoutModel: missing },
        detail: `no model yet for ${missing.join(', ')}: their series are not scored (cold start or refused fits; \`hourglass models list --group NAME\` says why)`,
      };
    });
  } catch (error) {
    return { name: 'models', status: 'fail', detail: describeError(error) };
  }
}

/** `SASL_SSL scram-sha-512 as hourglass`, `SSL`, `PLAINTEXT`: Kafka's protocol names, no secrets. */
function describeKafkaSecurity(config: HourglassConfig): string {
  const { sasl, tls } = config.kafka.security;
  const usesTls = tls ? tls.enabled : sasl !== undefined;
  if (!sasl) return usesTls ? 'SSL' : 'PLAINTEXT';
  return `${usesTls ? 'SASL_SSL' : 'SASL_PLAINTEXT'} ${sasl.mechanism} as ${sasl.username}`;
}

async function checkPrometheus(config: HourglassConfig): Promise<DoctorCheck> {
  const address = config.prometheus.url;
  try {
    const response = await fetch(new URL('/-/ready', address), { signal: AbortSignal.timeout(3000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return { name: 'prometheus', status: 'ok', detail: `${address} (ready)`, data: { address } };
  } catch (error) {
    return { name: 'prometheus', status: 'fail', detail: `Prometheus at ${address} is unreachable: ${describeError(error)}`, data: { address } };
  }
}

/** The report as aligned text lines for a terminal. */
export function formatDoctor(checks: readonly DoctorCheck[]): string {
  const width = Math.max(...checks.map((c) => c.name.length));
  const mark = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', skipped: 'skip' } as const;
  return checks.map((c) => `${mark[c.status]}  ${c.name.padEnd(width)}  ${c.detail}`).join('\n');
}
