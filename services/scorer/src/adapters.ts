import type { Producer } from 'kafkajs';
import type { AnomalyEvent } from '@hourglass/core';
import { createRedis, type ModelNotification, type ModelRegistry, type RedisKeys, type RedisTarget } from '@hourglass/redis';
import type { EventSink, ModelSource } from '@hourglass/pipeline';

/**
 * Event bytes per produce request. A request carries one record batch per partition, and the broker
 * refuses a batch over its max.message.bytes (1 MiB by default) as a whole: one large micro-batch
 * (hundreds of events of about 1.5 KB) then failed on every redelivery and the scorer never got
 * past it. Half the default leaves room for keys and record overhead.
 */
export const EVENT_REQUEST_MAX_BYTES = 512 * 1024;

/**
 * Publishes anomaly events to Kafka, keyed by series, and resolves once all replicas acknowledged.
 * Events go in order, in requests of at most `maxRequestBytes` of values (one event larger than
 * that goes alone), one after the other, so a series' events stay in order.
 */
export class KafkaEventSink implements EventSink {
  constructor(private readonly producer: Pick<Producer, 'send'>, private readonly topic: string, private readonly maxRequestBytes = EVENT_REQUEST_MAX_BYTES) {}

  async publish(events: readonly AnomalyEvent[]): Promise<void> {
    let messages: { key: string; value: string }[] = [];
    let bytes = 0;
    for (const e of events) {
      const value = JSON.stringify(e);
      const size = Buffer.byteLength(value) + Buffer.byteLength(e.series);
      if (messages.length > 0 && bytes + size > this.maxRequestBytes) {
        await this.producer.send({ topic: this.topic, acks: -1, messages });
        messages = [];
        bytes = 0;
      }
      messages.push({ key: e.series, value });
      bytes += size;
    }
    if (messages.length > 0) await this.producer.send({ topic: this.topic, acks: -1, messages });
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
