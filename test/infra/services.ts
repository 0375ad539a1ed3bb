import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { probeKafka } from '@hourglass/kafka';
import { probeRedis } from '@hourglass/redis';
import { ensurePrograms, which } from './packages';
import { freePort } from './processes';
import { cacheDir, repoRoot } from './paths';

/** How one piece of local infrastructure is prepared, started and probed. */
export interface ServiceSpec {
  readonly name: 'kafka' | 'redis' | 'prometheus' | 'alertmanager';
  /** Installs or downloads what is missing; may be slow the first time only. */
  prepare(log: (line: string) => void): void;
  /** Picks ports, writes config files into `dir`, and returns the command to run. `started` holds the ports of services started before it. */
  configure(dir: string, started: Readonly<Record<string, Record<string, number>>>): Promise<{ command: string; args: string[]; ports: Record<string, number> }>;
  /** Resolves when the service really serves requests. */
  ready(ports: Record<string, number>): Promise<boolean>;
  /** The address line(s) `infra:status` prints. */
  addresses(ports: Record<string, number>): Record<string, string>;
  /** How long a cold start may take on a 2-core machine. */
  readonly startTimeoutMs: number;
}

export const KAFKA_VERSION = '3.9.1';

const kafka: ServiceSpec = {
  name: 'kafka',
  startTimeoutMs: 90_000,
  prepare(log) {
    ensurePrograms([{ binary: 'java', debianPackage: 'openjdk-17-jre-headless' }, { binary: 'mvn', debianPackage: 'maven' }], log);
    kafkaLibs(log);
  },
  async configure(dir) {
    const port = await freePort();
    const controller = await freePort();
    const logDirs = join(dir, 'data');
    writeFileSync(join(dir, 'server.properties'), kafkaProperties(port, controller, logDirs));
    writeFileSync(join(dir, 'log4j.properties'), KAFKA_LOG4J);
    const libs = join(kafkaLibs(() => undefined), '*');
    // A fresh cluster each time: tests own their topics, and nothing local is worth keeping. An id
    // that starts with '-' (1 draw in 64) is read by StorageTool as an option and fails the set-up.
    let clusterId = randomBytes(16).toString('base64url');
    while (clusterId.startsWith('-')) clusterId = randomBytes(16).toString('base64url');
    execFileSync('java', ['-cp', libs, `-Dlog4j.configuration=file:${join(dir, 'log4j.properties')}`, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', join(dir, 'server.properties'), '--ignore-formatted'], { stdio: 'ignore' });
    const heap = process.env.HOURGLASS_KAFKA_HEAP ?? '768m';
    return {
      command: 'java',
      args: [`-Xms256m`, `-Xmx${heap}`, '-XX:+UseSerialGC', `-Dlog4j.configuration=file:${join(dir, 'log4j.properties')}`, '-cp', libs, 'kafka.Kafka', join(dir, 'server.properties')],
      ports: { port, controller },
    };
  },
  async ready(ports) {
    try {
      await probeKafka({ brokers: [`127.0.0.1:${ports.port}`], clientId: 'hourglass-infra', connectionTimeoutMs: 1000 });
      return true;
    } catch {
      return false;
    }
  },
  addresses: (ports) => ({ KAFKA_BROKERS: `127.0.0.1:${ports.port}` }),
};

const redis: ServiceSpec = {
  name: 'redis',
  startTimeoutMs: 20_000,
  prepare: (log) => ensurePrograms([{ binary: 'redis-server', debianPackage: 'redis-server' }], log),
  async configure(dir) {
    const port = await freePort();
    const data = join(dir, 'data');
    mkdirSync(data, { recursive: true });
    const args = ['--bind', '127.0.0.1', '--port', String(port), '--dir', data, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'];
    return { command: 'redis-server', args, ports: { port } };
  },
  async ready(ports) {
    try {
      await probeRedis(`redis://127.0.0.1:${ports.port}`, 1000);
      return true;
    } catch {
      return false;
    }
  },
  addresses: (ports) => ({ REDIS_URL: `redis://127.0.0.1:${ports.port}` }),
};

const prometheus: ServiceSpec = {
  name: 'prometheus',
  startTimeoutMs: 30_000,
  prepare: (log) => ensurePrograms([{ binary: 'prometheus', debianPackage: 'prometheus' }, { binary: 'promtool', debianPackage: 'prometheus' }], log),
  async configure(dir, started) {
    const port = await freePort();
    mkdirSync(join(dir, 'targets'), { recursive: true });
    mkdirSync(join(dir, 'rules'), { recursive: true });
    writeFileSync(join(dir, 'prometheus.yml'), prometheusConfig(dir, started.alertmanager?.port));
    const args = [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-lifecycle',
      '--log.level=warn',
    ];
    return { command: 'prometheus', args, ports: { port } };
  },
  ready: (ports) => httpReady(`http://127.0.0.1:${ports.port}/-/ready`),
  addresses: (ports) => ({ PROMETHEUS_URL: `http://127.0.0.1:${ports.port}` }),
};

const alertmanager: ServiceSpec = {
  name: 'alertmanager',
  startTimeoutMs: 30_000,
  prepare: (log) => ensurePrograms([{ binary: 'prometheus-alertmanager', debianPackage: 'prometheus-alertmanager' }], log),
  async configure(dir) {
    const port = await freePort();
    writeFileSync(join(dir, 'alertmanager.yml'), ALERTMANAGER_CONFIG);
    const args = [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // An empty cluster address turns off the HA gossip listener, which would bind all interfaces.
      '--cluster.listen-address=',
      '--log.level=warn',
    ];
    return { command: 'prometheus-alertmanager', args, ports: { port } };
  },
  ready: (ports) => httpReady(`http://127.0.0.1:${ports.port}/-/ready`),
  addresses: (ports) => ({ ALERTMANAGER_URL: `http://127.0.0.1:${ports.port}` }),
};

/** In start order: Prometheus is configured to send alerts to Alertmanager, so that comes first. */
export const SERVICES: readonly ServiceSpec[] = [kafka, redis, alertmanager, prometheus];

/** Fetches Kafka's jars into the cache once (Maven keeps its own copy in ~/.m2) and returns the folder. */
export function kafkaLibs(log: (line: string) => void): string {
  const pom = join(repoRoot(), 'test', 'infra', 'kafka', 'pom.xml');
  const digest = createHash('sha256').update(readFileSync(pom)).digest('hex').slice(0, 12);
  const libs = join(cacheDir(), `kafka-${KAFKA_VERSION}-${digest}`, 'libs');
  if (existsSync(libs) && readdirSync(libs).some((f) => f.startsWith(`kafka_2.13-${KAFKA_VERSION}`))) return libs;
  if (!which('mvn')) throw new Error('Maven (mvn) is needed to fetch the Kafka broker jars from Maven Central');
  log(`fetching Apache Kafka ${KAFKA_VERSION} jars from Maven Central into ${libs}`);
  execFileSync('mvn', ['-q', '-B', '-f', pom, 'dependency:copy-dependencies', `-DoutputDirectory=${libs}`, '-DincludeScope=runtime'], { stdio: ['ignore', 'ignore', 'inherit'] });
  return libs;
}

function kafkaProperties(port: number, controller: number, logDirs: string): string {
  return `# Written by test/infra for one local single-node KRaft broker on loopback.
listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controller}
advertised.listeners=PLAINTEXT://127.0.0.1:${port}
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
${singleNodeKraftProperties(controller, logDirs)}`;
}

/**
 * What every local single-node KRaft broker shares, whatever its client listener: one combined
 * broker and controller on loopback, replication factors of 1, and no topic auto-creation.
 */
export function singleNodeKraftProperties(controller: number, logDirs: string): string {
  return `process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${controller}
controller.listener.names=CONTROLLER
log.dirs=${logDirs}
num.partitions=3
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
min.insync.replicas=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
num.network.threads=2
num.io.threads=2
`;
}

/** Quiet broker logging (warnings and errors), shared by every local broker. */
export const KAFKA_LOG4J = `log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
`;

function prometheusConfig(dir: string, alertmanagerPort: number | undefined): string {
  const alerting = alertmanagerPort === undefined ? '' : `alerting:
  alertmanagers:
    - static_configs:
        - targets: ['127.0.0.1:${alertmanagerPort}']
`;
  return `# Written by test/infra. Tests add scrape targets as files under targets/ and rules under rules/.
global:
  scrape_interval: 1s
  evaluation_interval: 1s
${alerting}rule_files:
  - ${join(dir, 'rules')}/*.yml
scrape_configs:
  - job_name: hourglass
    file_sd_configs:
      - files: ['${join(dir, 'targets')}/*.json']
        refresh_interval: 1s
`;
}

const ALERTMANAGER_CONFIG = `# Written by test/infra. Tests replace it and reload to route alerts to their own receivers.
route:
  receiver: blackhole
receivers:
  - name: blackhole
`;

async function httpReady(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    return response.ok;
  } catch {
    return false;
  }
}
