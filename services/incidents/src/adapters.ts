import type { Producer } from 'kafkajs';
import type { Incident } from '@hourglass/core';
import type { IncidentSink } from '@hourglass/pipeline';

/** Publishes incident messages to Kafka, keyed by incident id, and resolves once all replicas acknowledged. */
export class KafkaIncidentSink implements IncidentSink {
  constructor(private readonly producer: Producer, private readonly topic: string) {}

  async publish(incidents: readonly Incident[]): Promise<void> {
    await this.producer.send({ topic: this.topic, acks: -1, messages: incidents.map((i) => ({ key: i.id, value: JSON.stringify(i) })) });
  }
}
