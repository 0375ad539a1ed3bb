import { KafkaJSError } from 'kafkajs';
import { describeError } from '@hourglass/core';

/**
 * Wraps the failure of a consumer's batch handler so that kafkajs fetches the batch again. kafkajs
 * redelivers a batch when its handler throws, but it restarts a crashed consumer only when the error
 * is retriable: a broker's refusal such as MESSAGE_TOO_LARGE or an authorisation error is not, and
 * left a consumer fetching nothing, for good, while its process still looked ready. As retriable,
 * the handler is retried with backoff and then the consumer restarts and resumes from its last
 * commit: the same batch again.
 */
export function redeliverable(error: unknown): KafkaJSError {
  // The typings omit `cause`, which the constructor accepts; the message keeps the original text anyway.
  return new KafkaJSError(error instanceof Error ? error : describeError(error), { retriable: true });
}
