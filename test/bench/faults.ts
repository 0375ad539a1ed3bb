import { runFaultScenario } from '../support/faults-pipeline';

/**
 * `npm run test:faults [-- --points N] [--rate R] [--seed S] [--kills K] [--pause-ms MS]`: the long
 * fault run (test/support/faults-pipeline.ts) on a private broker and Redis. Defaults: 1,000,000
 * points at 4,000 points/s, each service SIGKILLed 3 times, the broker and Redis restarted twice
 * each, the scorer paused twice for 15 s. Progress on stderr; the JSON summary is the last stdout
 * line; exits 1 on any loss or broken bound.
 */
const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : Number.NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
};
const progress = (line: string): void => void process.stderr.write(`[test:faults ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

async function main(): Promise<number> {
  const points = option('--points', 1_000_000);
  const kills = option('--kills', 3);
  const summary = await runFaultScenario({
    points,
    rate: option('--rate', 4000),
    seed: option('--seed', 11),
    killsPerService: kills,
    brokerRestarts: option('--broker-restarts', 2),
    redisRestarts: option('--redis-restarts', 2),
    scorerPauses: option('--pauses', 2),
    pauseMs: option('--pause-ms', 15_000),
    refitAfterNewWindows: option('--refit-after', 60_000),
    log: progress,
  });
  for (const f of summary.failures) progress(`FAILED: ${f}`);
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  return summary.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`test:faults failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
