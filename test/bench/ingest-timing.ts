// One timing rule for the ingest benchmarks that go through the broker: points/s from the first
// batch the consumer reads to the moment its points counter reaches every point produced.
import { performance } from 'node:perf_hooks';
import { IngestConsumer, type IngestConsumerOptions } from '@hourglass/ingest';

/** Starts an ingest consumer with `options` (its clock is taken over), waits until `points` are counted, stops it. */
export async function timedIngest(options: Omit<IngestConsumerOptions, 'now'>, points: number): Promise<number> {
  let first = 0;
  const now = (): number => {
    if (first === 0) first = performance.now();
    return Date.now();
  };
  const consumer = new IngestConsumer({ ...options, now });
  await consumer.start();
  let end = 0;
  for (;;) {
    const counted = (await options.metrics.points.get()).values.reduce((n, v) => n + v.value, 0);
    if (counted >= points) {
      end = performance.now();
      break;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  await consumer.stop();
  return (points / (end - first)) * 1000;
}
