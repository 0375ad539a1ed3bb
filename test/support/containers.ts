import { GenericContainer, Wait, getContainerRuntimeClient, type StartedTestContainer } from 'testcontainers';

/**
 * Kafka and Redis in containers, where a container runtime answers (a laptop with Docker, hosted
 * CI). Returns undefined at once where none does, as on the project's own build machines.
 */
export async function startContainers(log: (line: string) => void): Promise<
  { addresses: { kafkaBrokers: string[]; redisUrl: string }; stop(): Promise<void> } | undefined
> {
  if (process.env.HOURGLASS_NO_CONTAINERS === '1' || !(await containerRuntimeAnswers())) return undefined;
  log('container runtime found: starting Kafka and Redis with testcontainers');
  const started: StartedTestContainer[] = [];
  try {
    const redis = await new GenericContainer('redis:7.0').withExposedPorts(6379).withWaitStrategy(Wait.forLogMessage('Ready to accept connections')).start();
    started.push(redis);
    const kafkaPort = 9092;
    const kafka = await new GenericContainer('apache/kafka:3.9.1')
      .withExposedPorts({ container: kafkaPort, host: kafkaPort })
      .withEnvironment({
        KAFKA_NODE_ID: '1',
        KAFKA_PROCESS_ROLES: 'broker,controller',
        KAFKA_LISTENERS: `PLAINTEXT://:${kafkaPort},CONTROLLER://:9093`,
        KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${kafkaPort}`,
        KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
        KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
        KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
        KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
        KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS: '1',
        KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
        KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
      })
      .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
      .start();
    started.push(kafka);
    return {
      addresses: { kafkaBrokers: [`127.0.0.1:${kafkaPort}`], redisUrl: `redis://${redis.getHost()}:${redis.getMappedPort(6379)}` },
      stop: async () => {
        for (const container of started.reverse()) await container.stop();
      },
    };
  } catch (error) {
    for (const container of started.reverse()) await container.stop().catch(() => undefined);
    throw error;
  }
}

async function containerRuntimeAnswers(): Promise<boolean> {
  try {
    const client = await Promise.race([
      getContainerRuntimeClient(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 5000)),
    ]);
    return Boolean(client);
  } catch {
    return false;
  }
}
