import type { Producer } from 'kafkajs';
import type { AnomalyEvent } from '@hourglass/core';
import { createRedis, type ModelNotification, type ModelRegistry, type RedisKeys, type RedisTarget } from '@hourglass/redis';
import type { EventSink, ModelSource } from '@hourglass/pipeline';

/** Publishes anomaly events to Kafka, keyed by series, and resolves once all replicas acknowledged. */
export class KafkaEventSink implements EventSink {
  constructor(private readonly producer: Producer, private readonly topic: string) {}

  async publish(events: readonly AnomalyEvent[]): Promise<void> {
    await this.producer.send({ topic: this.topic, acks: -1, messages: events.map((e) => ({ key: e.series, value: JSON.stringify(e) })) });
  }
}

/** The Redis registry as the scorer's model source, with pub/sub notifications on a dedicated connection. */
export class RegistryModelSource implements ModelSource {
  constructor(private readonly registry: ModelRegistry, private readonly keys: RedisKeys, private readonly redis: RedisTarget) {}

  current(group: string): Promise<{ version: string; sha256: string } | null> {
    return this.registry.current(group);
  }

  async load(group: string, version: string, sha256: string): Promise<Uint8Array> {
    return (await this.registry.load(group, version, sha256)).artifact;
  }

  async subscribe(onChange: (group: string) => void): Promise<() => Promise<void>> {
    const subscriber = createRedis(this.redis);
    subscriber.on('error', () => undefined); // reconnects by itself; polling covers the gap
    await subscriber.subscribe(this.keys.modelsChannel());
    subscriber.on('message', (_channel: string, text: string) => {
      try {
        onChange((JSON.parse(text) as ModelNotification).group);
      } catch {
        // A malformed notification only delays the swap until the next poll.
      }
    });
    return async () => {
      subscriber.disconnect();
    };
  }
}
