import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { HourglassError, describeError } from '@hourglass/core';
import { createLogger, onShutdownSignal, HOURGLASS_VERSION } from '@hourglass/runtime';
import { probeKafka } from '@hourglass/kafka';
import { probeRedis } from '@hourglass/redis';
import { startIngest } from '@hourglass/ingest';
import { startScorer } from '@hourglass/scorer';
import { startTrainer } from '@hourglass/trainer';
import { loadConfig } from './config-file';
import { formatDoctor, runDoctor } from './commands/doctor';
import { formatNabScore, runNabScore } from './commands/eval-nab-score';

/**
 * The `hourglass` command line: the composition root of every command. It is the only module
 * that reads the environment, writes to stdout, or exits.
 */
function buildProgram(): Command {
  const program = new Command('hourglass')
    .description('Anomaly detection on Kafka streams with autoencoders on the native TensorFlow backend.')
    .version(HOURGLASS_VERSION)
    .option('--verbose', 'show stack traces on errors')
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('doctor')
    .description('Report the Node.js version, the TensorFlow backend, and whether Kafka, Redis and Prometheus answer.')
    .option('-c, --config <file>', 'config file (YAML or JSON); KAFKA_BROKERS, REDIS_URL and PROMETHEUS_URL override it')
    .option('--json', 'print one JSON object instead of text')
    .option('--offline', 'skip the Kafka, Redis and Prometheus checks')
    .action(async (opts: { config?: string; json?: boolean; offline?: boolean }) => {
      const config = loadConfig(opts.config, process.env);
      const checks = await runDoctor(config, { offline: opts.offline === true, env: process.env });
      const ok = checks.every((c) => c.status !== 'fail');
      if (opts.json) {
        const byName = Object.fromEntries(checks.map((c) => [c.name, { status: c.status, detail: c.detail, ...c.data }]));
        process.stdout.write(`${JSON.stringify({ ok, version: HOURGLASS_VERSION, ...byName })}\n`);
      } else {
        process.stdout.write(`${formatDoctor(checks)}\n`);
      }
      process.exitCode = ok ? 0 : 1;
    });

  program
    .command('config')
    .description('Work with configuration files.')
    .command('check')
    .description('Validate a config file (YAML or JSON) with the environment overrides; report every problem with its path.')
    .argument('<file>', 'config file')
    .option('--json', 'print the compiled config (defaults filled in) as JSON when it is valid')
    .action((file: string, opts: { json?: boolean }) => {
      const config = loadConfig(file, process.env);
      if (opts.json) process.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
      else process.stdout.write(`${file}: OK (${config.groups.length} model group${config.groups.length === 1 ? '' : 's'}: ${config.groups.map((g) => g.name).join(', ')})\n`);
    });

  const evaluate = program.command('eval').description('Measure detection quality on labelled benchmarks.');
  evaluate
    .command('nab-score')
    .description("Score NAB-format result files exactly as the Numenta Anomaly Benchmark does (all three profiles).")
    .requiredOption('--results <dir>', 'NAB results directory: <dir>/<detector>/<category>/<detector>_<file>.csv')
    .requiredOption('--labels <file>', "NAB's labels/combined_windows.json")
    .requiredOption('--profiles <file>', "NAB's config/profiles.json")
    .requiredOption('--detector <name>', 'detector name (sub-directory and file prefix)')
    .option('--threshold <t>', 'use this threshold for every profile instead of the sweep', parseFiniteNumber)
    .option('--json', 'print one JSON object with standard, reward_low_FP_rate, reward_low_FN_rate, thresholds and raw scores')
    .action(async (opts: { results: string; labels: string; profiles: string; detector: string; threshold?: number; json?: boolean }) => {
      const summary = await runNabScore(opts);
      process.stdout.write(opts.json ? `${JSON.stringify(summary)}\n` : `${formatNabScore(summary)}\n`);
    });

  for (const [name, start, needs] of [
    ['ingest', startIngest, ['kafka']],
    ['scorer', startScorer, ['kafka', 'redis']],
    ['trainer', startTrainer, ['redis']],
  ] as const) {
    program
      .command(name)
      .description(`Start the ${name} service (serves /metrics, /healthz, /readyz; stops gracefully on SIGTERM).`)
      .option('-c, --config <file>', 'config file (YAML or JSON)')
      .action(async (opts: { config?: string }) => {
        const config = loadConfig(opts.config, process.env);
        const log = createLogger({ level: config.log.level, name: `hourglass-${name}` });
        const dependencies: Record<string, () => Promise<unknown>> = {};
        if ((needs as readonly string[]).includes('kafka')) dependencies.kafka = () => probeKafka(config.kafka);
        if ((needs as readonly string[]).includes('redis')) dependencies.redis = () => probeRedis(config.redis.url);
        const service = await start({ log, ops: config.ops, dependencies });
        onShutdownSignal(log, () => service.stop());
      });
  }

  program
    .command('start')
    .description('What `npm start` runs. Until the embedded pipeline lands, it checks this installation offline.')
    .option('--json', 'print one JSON object instead of text')
    .action(async (opts: { json?: boolean }) => {
      const checks = await runDoctor(loadConfig(undefined, process.env), { offline: true, env: process.env });
      const ok = checks.every((c) => c.status !== 'fail');
      if (opts.json) process.stdout.write(`${JSON.stringify({ ok, checks })}\n`);
      else {
        process.stdout.write(`${formatDoctor(checks)}\n\n`);
        process.stdout.write('Hourglass is installed. The embedded demo pipeline (`hourglass run --demo`) is not built yet;\n');
        process.stdout.write('`npm run infra:up` starts a local Kafka, Redis, Prometheus and Alertmanager, and `hourglass doctor` checks them.\n');
      }
      process.exitCode = ok ? 0 : 1;
    });
  return program;
}

function parseFiniteNumber(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value)) throw new InvalidArgumentError(`'${text}' is not a number`);
  return value;
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram().exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    const verbose = argv.includes('--verbose');
    process.stderr.write(`hourglass: ${verbose && error instanceof Error ? (error.stack ?? error.message) : describeError(error)}\n`);
    process.exitCode = error instanceof HourglassError && error.code.startsWith('CONFIG') ? 2 : 1;
  }
}

void main(process.argv);
