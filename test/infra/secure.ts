import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { probeKafka, resolveKafkaSecurity } from '@hourglass/kafka';
import { probeRedis } from '@hourglass/redis';
import { ensurePrograms, which } from './packages';
import { freePort, isOurProcess, spawnDetached, stopProcess, waitFor } from './processes';
import { KAFKA_LOG4J, KAFKA_VERSION, kafkaLibs, singleNodeKraftProperties } from './services';

const run = promisify(execFile);

/**
 * A second, secured Kafka broker and Redis for the security tests, beside (never instead of) the
 * plaintext ones of `infra:up`:
 * - Kafka 3.9.1, KRaft, one node; its only client listener is SASL_SSL with SCRAM-SHA-512 (the user
 *   is created at format time with `--add-scram`); the controller listener is PLAINTEXT on loopback.
 * - redis-server with `port 0` (no plaintext port), `tls-port`, and an ACL user; `default` is off.
 * Both use a certificate signed by a throwaway CA made with openssl. Everything lives in one
 * private temporary folder (mode 0700; secrets 0600) that `stop()` removes; the processes are
 * started there and stopped by their own pids only.
 */
export interface SecureInfra {
  readonly dir: string;
  readonly user: string;
  readonly kafkaBrokers: readonly string[];
  /** `rediss://127.0.0.1:PORT`, no credentials in it. */
  readonly redisUrl: string;
  /** PEM of the CA that signed both servers' certificates. */
  readonly caFile: string;
  readonly kafkaPasswordFile: string;
  readonly redisPasswordFile: string;
  /** The passwords themselves, only so that tests can assert they never leak. */
  readonly secrets: { readonly kafka: string; readonly redis: string };
  readonly pids: { readonly kafka: number; readonly redis: number };
  stop(): Promise<void>;
}

/** Why the secured infrastructure cannot be started here, or undefined when it can. */
export function secureInfraUnavailable(): string | undefined {
  const missing = ['openssl', 'java', 'redis-server'].filter((b) => !which(b));
  return missing.length > 0 ? `missing ${missing.join(', ')}` : undefined;
}

export async function startSecureInfra(log: (line: string) => void = () => undefined): Promise<SecureInfra> {
  ensurePrograms([{ binary: 'java', debianPackage: 'openjdk-17-jre-headless' }, { binary: 'redis-server', debianPackage: 'redis-server' }, { binary: 'openssl', debianPackage: 'openssl' }], log);
  const libs = join(kafkaLibs(log), '*');
  const dir = mkdtempSync(join(tmpdir(), 'hourglass-secure-'));
  const started: number[] = [];
  const killOnExit = (): void => {
    for (const pid of started) if (isOurProcess(pid, dir)) process.kill(pid, 'SIGKILL');
  };
  process.once('exit', killOnExit);
  const stop = async (): Promise<void> => {
    for (const pid of started.reverse()) await stopProcess(pid, dir, 10_000);
    process.removeListener('exit', killOnExit);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const user = 'hourglass';
    // Hex only: SCRAM's --add-scram syntax, JAAS and redis.conf all take it without quoting.
    const secrets = { kafka: `kp${randomBytes(12).toString('hex')}`, redis: `rp${randomBytes(12).toString('hex')}` };
    const kafkaPasswordFile = secret(dir, 'kafka.password', `${secrets.kafka}\n`);
    const redisPasswordFile = secret(dir, 'redis.password', `${secrets.redis}\n`);
    const tls = await makeCertificates(dir);
    const [kafkaPort, controllerPort, redisPort] = await distinctFreePorts(3);

    // Redis: TLS only, one ACL user, the default user off. Config in a 0600 file, not on the command line.
    secret(dir, 'redis.conf', [
      'bind 127.0.0.1', 'port 0', `tls-port ${redisPort}`,
      `tls-cert-file ${tls.cert}`, `tls-key-file ${tls.key}`, `tls-ca-cert-file ${tls.ca}`, 'tls-auth-clients no',
      'user default off', `user ${user} on >${secrets.redis} ~* &* +@all`,
      `dir ${dir}`, 'save ""', 'appendonly no', 'daemonize no', 'loglevel warning', '',
    ].join('\n'));
    const redisPid = spawnDetached('redis-server', [join(dir, 'redis.conf')], { logFile: join(dir, 'redis.log'), cwd: dir });
    started.push(redisPid);

    // Kafka: SASL_SSL (SCRAM-SHA-512) for clients and between brokers; the user exists from format time.
    const properties = join(dir, 'server.properties');
    secret(dir, 'server.properties', kafkaProperties({ dir, port: kafkaPort, controller: controllerPort, user, password: secrets.kafka, keystore: tls.keystore, ca: tls.ca }));
    writeFileSync(join(dir, 'log4j.properties'), KAFKA_LOG4J);
    const log4j = `-Dlog4j.configuration=file:${join(dir, 'log4j.properties')}`;
    await run('java', ['-cp', libs, log4j, 'kafka.tools.StorageTool', 'format', '-t', randomBytes(16).toString('base64url'), '-c', properties,
      '--add-scram', `SCRAM-SHA-512=[name=${user},password=${secrets.kafka}]`], { cwd: dir });
    const kafkaPid = spawnDetached('java', ['-Xms256m', `-Xmx${process.env.HOURGLASS_KAFKA_HEAP ?? '512m'}`, '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', log4j, '-cp', libs, 'kafka.Kafka', properties],
      { logFile: join(dir, 'kafka.log'), cwd: dir });
    started.push(kafkaPid);

    const kafkaBrokers = [`127.0.0.1:${kafkaPort}`];
    const redisUrl = `rediss://127.0.0.1:${redisPort}`;
    const kafkaSecurity = resolveKafkaSecurity({ sasl: { mechanism: 'scram-sha-512', username: user, passwordFile: kafkaPasswordFile }, tls: { enabled: true, caFile: tls.ca, rejectUnauthorized: true } });
    const redisReady = await waitFor(async () => {
      if (!isOurProcess(redisPid, dir)) return true;
      return probeRedis({ url: redisUrl, username: user, passwordFile: redisPasswordFile, tls: { enabled: true, caFile: tls.ca, rejectUnauthorized: true } }, 1000).then(() => true, () => false);
    }, 20_000, 200);
    if (!redisReady || !isOurProcess(redisPid, dir)) throw new Error(`the secured redis-server did not become ready; ${tail(join(dir, 'redis.log'))}`);
    const kafkaReady = await waitFor(async () => {
      if (!isOurProcess(kafkaPid, dir)) return true;
      return probeKafka({ brokers: kafkaBrokers, clientId: 'hourglass-secure-infra', connectionTimeoutMs: 1000 }, kafkaSecurity).then(() => true, () => false);
    }, 90_000, 300);
    if (!kafkaReady || !isOurProcess(kafkaPid, dir)) throw new Error(`the secured Kafka ${KAFKA_VERSION} did not become ready; ${tail(join(dir, 'kafka.log'))}`);
    log(`secured Kafka on ${kafkaBrokers[0]} (SASL_SSL, SCRAM-SHA-512; pid ${kafkaPid}) and Redis on ${redisUrl} (TLS, ACL; pid ${redisPid}) in ${dir}`);
    return {
      dir, user, kafkaBrokers, redisUrl, caFile: tls.ca, kafkaPasswordFile, redisPasswordFile, secrets,
      pids: { kafka: kafkaPid, redis: redisPid }, stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A throwaway CA and one server certificate for 127.0.0.1 (and localhost), as PEM; the key also in a PEM keystore for Kafka. */
async function makeCertificates(dir: string): Promise<{ ca: string; cert: string; key: string; keystore: string }> {
  const p = (name: string): string => join(dir, name);
  const quiet = { cwd: dir };
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('ca.key'), '-out', p('ca.pem'), '-days', '2', '-subj', '/CN=Hourglass test CA'], quiet);
  await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('server.key'), '-out', p('server.csr'), '-subj', '/CN=127.0.0.1'], quiet);
  writeFileSync(p('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  await run('openssl', ['x509', '-req', '-in', p('server.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial', '-out', p('server.pem'), '-days', '2', '-extfile', p('server.ext')], quiet);
  for (const key of ['ca.key', 'server.key']) chmodSync(p(key), 0o600);
  // Kafka's PEM keystore: an unencrypted PKCS#8 key followed by the certificate chain.
  secret(dir, 'keystore.pem', `${readFileSync(p('server.key'), 'utf8')}${readFileSync(p('server.pem'), 'utf8')}`);
  return { ca: p('ca.pem'), cert: p('server.pem'), key: p('server.key'), keystore: p('keystore.pem') };
}

function kafkaProperties(o: { dir: string; port: number; controller: number; user: string; password: string; keystore: string; ca: string }): string {
  return `# Written by test/infra/secure.ts: one KRaft node whose only client listener is SASL_SSL.
listeners=SASL_SSL://127.0.0.1:${o.port},CONTROLLER://127.0.0.1:${o.controller}
advertised.listeners=SASL_SSL://127.0.0.1:${o.port}
inter.broker.listener.name=SASL_SSL
listener.security.protocol.map=CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${o.user}" password="${o.password}";
ssl.keystore.type=PEM
ssl.keystore.location=${o.keystore}
ssl.truststore.type=PEM
ssl.truststore.location=${o.ca}
ssl.client.auth=none
${singleNodeKraftProperties(o.controller, join(o.dir, 'kafka-data'))}`;
}

/** Writes a file only its owner can read; returns its path. */
function secret(dir: string, name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

async function distinctFreePorts(count: 3): Promise<[number, number, number]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports] as [number, number, number];
}

function tail(file: string, lines = 15): string {
  try {
    return `last lines of ${file}:\n${readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')}`;
  } catch {
    return `no log at ${file}`;
  }
}
