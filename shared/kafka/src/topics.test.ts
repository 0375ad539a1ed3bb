import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Kafka } from 'kafkajs';
import { ensureTopics, waitForLeaders } from './topics';

/**
 * ensureTopics on a broker whose metadata lags behind its own topic creation: kafkajs' leader wait
 * gives up with UNKNOWN_TOPIC_OR_PARTITION (seen on a loaded test broker); the topics exist, so
 * ensureTopics waits for their leaders itself. Any other error still fails.
 */
const unknownTopic = Object.assign(new Error('This server does not host this topic-partition'), { type: 'UNKNOWN_TOPIC_OR_PARTITION' });

function fakeKafka(createError: Error | null, metadataAnswers: (Error | number)[]): { kafka: Kafka; calls: string[] } {
  const calls: string[] = [];
  const admin = {
    connect: async () => void calls.push('connect'),
    disconnect: async () => void calls.push('disconnect'),
    listTopics: async () => [],
    createTopics: async () => {
      calls.push('create');
      if (createError) throw createError;
      return true;
    },
    fetchTopicMetadata: async ({ topics }: { topics: string[] }) => {
      calls.push('metadata');
      const answer = metadataAnswers.shift() ?? -1;
      if (answer instanceof Error) throw answer;
      return { topics: topics.map((name) => ({ name, partitions: [{ partitionId: 0, leader: answer, replicas: [], isr: [], partitionErrorCode: 0 }] })) };
    },
  };
  return { kafka: { admin: () => admin } as unknown as Kafka, calls };
}

test('a create whose leader wait fails with an unknown topic waits for the leaders, then succeeds', async () => {
  const { kafka, calls } = fakeKafka(unknownTopic, [unknownTopic, -1, 1]);
  assert.deepEqual(await ensureTopics(kafka, [{ topic: 'a', numPartitions: 1 }]), ['a']);
  assert.deepEqual(calls, ['connect', 'create', 'metadata', 'metadata', 'metadata', 'disconnect']);
});

test('any other create error fails at once, and the admin is disconnected', async () => {
  const { kafka, calls } = fakeKafka(Object.assign(new Error('denied'), { type: 'TOPIC_AUTHORIZATION_FAILED' }), []);
  await assert.rejects(ensureTopics(kafka, [{ topic: 'a', numPartitions: 1 }]), /denied/);
  assert.deepEqual(calls, ['connect', 'create', 'disconnect']);
});

test('leaders that never come fail once the wait is over, with the last problem', async () => {
  const { kafka } = fakeKafka(null, []);
  await assert.rejects(waitForLeaders(kafka.admin(), ['a'], 50, 10), /no leader for every partition/);
});
