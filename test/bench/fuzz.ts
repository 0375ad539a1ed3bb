import { infrastructureFromEnv } from '../support/infrastructure';
import { startPrivateKafka, type PrivateKafka } from '../support/faults-infra';
import { runFuzz } from '../support/faults-fuzz';
import { runFormatFuzz } from '../support/faults-fuzz-formats';

/**
 * `npm run test:fuzz [-- --hostile N] [--series N] [--formats N] [--huge-batch N] [--seed S]`: hostile input against ingest
 * (test/support/faults-fuzz.ts). Defaults: 100,000 malformed or adversarial messages and a
 * cardinality attack of 1,000,000 distinct series ids spread over the run, then 2,000 hostile
 * messages per metric format with batches of 1,000 points (test/support/faults-fuzz-formats.ts;
 * about a million points), against KAFKA_BROKERS
 * when set, else a private broker of its own. Progress on stderr; the JSON summary is the last
 * stdout line; exits 1 on any crash, unbounded memory, missing dead letter or label-set overflow.
 */
const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : Number.NaN;
  return Number.isFinite(v) && v >= 0 ? v : fallback;
};
const progress = (line: string): void => void process.stderr.write(`[test:fuzz ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

async function main(): Promise<number> {
  let kafka: PrivateKafka | undefined;
  try {
    const brokers = infrastructureFromEnv()?.kafkaBrokers ?? process.env.KAFKA_BROKERS?.split(',') ?? (kafka = await startPrivateKafka(progress)).brokers;
    const summary = await runFuzz({
      brokers,
      hostile: option('--hostile', 100_000),
      distinctSeries: option('--series', 1_000_000),
      seed: option('--seed', 3),
      maxLiveSeries: option('--max-live-series', 20_000),
      rssBoundMiB: option('--rss-bound', 512),
      log: progress,
    });
    const formats = await runFormatFuzz({ brokers, perFormat: option('--formats', 2000), hugeBatchPoints: option('--huge-batch', 1000), seed: option('--seed', 3), rssBoundMiB: option('--rss-bound', 512), log: progress });
    for (const f of [...summary.failures, ...formats.failures]) progress(`FAILED: ${f}`);
    process.stdout.write(`${JSON.stringify({ ...summary, ok: summary.ok && formats.ok, formats })}\n`);
    return summary.ok && formats.ok ? 0 : 1;
  } finally {
    await kafka?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`test:fuzz failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
