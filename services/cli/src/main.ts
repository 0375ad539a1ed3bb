import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { HourglassError, describeError, isTimeZone } from '@hourglass/core';
import { requireNativeFromEnv } from '@hourglass/model';
import { createLogger, onShutdownSignal, HOURGLASS_VERSION, type Logger } from '@hourglass/runtime';
import { startIngest } from '@hourglass/ingest';
import { startScorerService } from '@hourglass/scorer';
import { startTrainerService } from '@hourglass/trainer';
import { loadConfig } from './config-file';
import { formatDoctor, runDoctor } from './commands/doctor';
import { listModels, rollbackModel, showModel, trainNow } from './commands/models';
import { formatNabScore, runNabScore } from './commands/eval-nab-score';
import { runEmbedded, type RunSummary } from './commands/run';
import { produce } from './commands/produce';
import { consumeEvents } from './commands/events';
import { configReference } from './commands/config-docs';
import { runEvalNab } from './commands/eval-nab';
import { runReport } from './commands/report';
import { formatIncident, formatIncidents, listIncidents, showIncident } from './commands/incidents';
import { formatSimilar, similarTo } from './commands/similar';
import { startIncidentsService } from '@hourglass/incidents';
import { addMaintenance, formatPeriods, listMaintenance, removeMaintenance } from './commands/maintenance';
import { formatFeedback, formatRecorded, giveFeedback, listFeedback, removeFeedback } from './commands/feedback';

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

  const configCommand = program.command('config').description('Work with configuration files.');
  configCommand
    .command('docs')
    .description('Print the configuration reference (Markdown), generated from the schema.')
    .action(() => void process.stdout.write(configReference()));
  configCommand
    .command('check')
    .description('Validate a config file (YAML or JSON) with the environment overrides; report every problem with its path.')
    .argument('<file>', 'config file')
    .option('--json', 'print the compiled config (defaults filled in) as JSON when it is valid')
    .action((file: string, opts: { json?: boolean }) => {
      const config = loadConfig(file, process.env);
      if (opts.json) process.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
      else process.stdout.write(`${file}: OK (${config.groups.length} model group${config.groups.length === 1 ? '' : 's'}: ${config.groups.map((g) => g.name).join(', ')})\n`);
    });

  program
    .command('run')
    .description('Run ingest, scorer and trainer in one process over a file, stdin or the built-in demo (no Kafka, Redis or Docker).')
    .option('-i, --input <file>', 'input: CSV (.csv or .tsv; a header, or data from the first row) or NDJSON in the input-topic shape; - reads NDJSON from stdin')
    .option('--demo', 'generate a realistic multi-series stream with injected anomalies, and check the episodes against them')
    .option('-e, --events <file>', 'write anomaly events (NDJSON) here instead of stdout')
    .option('-c, --config <file>', 'config file (YAML or JSON): model groups, windowing, parsing')
    .option('--state-dir <dir>', 'where models persist between runs', '.hourglass')
    .option('--metrics-port <port>', 'serve /metrics on this port while running', parsePort)
    .option('--series <id>', 'series id for input lines that name none', 'default')
    .option('-d, --delimiter <char>', "CSV field delimiter: one character, or 'tab' (default: ',', a tab for .tsv)", parseDelimiter)
    .option('--timezone <zone>', 'IANA time zone of zone-less timestamps such as 2014-07-01 00:00:00 (default: ingest.parse.timezone, UTC)', parseTimeZone)
    .option('--json', 'print the summary as one JSON object on the last line of stdout')
    .option('--band', 'also write each scored window\'s expected value and band (scorer.bandCoverage) to the events output, as "type": "band" lines')
    .action(async (opts: { input?: string; demo?: boolean; events?: string; config?: string; stateDir: string; metricsPort?: number; series: string; delimiter?: string; timezone?: string; json?: boolean; band?: boolean }) => {
      const config = loadConfig(opts.config, process.env);
      const log = createLogger({ level: opts.json ? 'warn' : config.log.level, name: 'hourglass-run' });
      // With --json the summary must be the last stdout line, so events go to a file or nowhere.
      const events = opts.events ?? (opts.json ? '/dev/null' : undefined);
      const summary = await runEmbedded(config, { ...opts, ...(events ? { events } : {}) }, log, process.env);
      if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else process.stderr.write(`${formatRunSummary(summary)}\n`);
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

  evaluate
    .command('nab')
    .description('Run Hourglass online over NAB data files (one process per file), write NAB result files, and score them (all three profiles).')
    .requiredOption('--data <dir>', "NAB's data/ directory (<category>/<file>.csv); runs the files present")
    .requiredOption('--labels <file>', "NAB's labels/combined_windows.json")
    .requiredOption('--profiles <file>', "NAB's config/profiles.json")
    .option('--out <dir>', 'results directory (<out>/<detector>/<category>/<detector>_<file>.csv)', 'nab-results')
    .option('--detector <name>', 'detector name (sub-directory and file prefix)', 'hourglass')
    .option('-c, --config <file>', 'the config to evaluate, as `hourglass run` and the services read it (default: the built-in defaults, which is what ships)')
    .option('--group <name>', 'which group of the config (default: the first)')
    .option('--jobs <n>', 'files run at once (default: the core count)', parsePositiveInt)
    .option('--only <text...>', 'only files whose key (<category>/<file>.csv) contains one of these')
    .option('--json', 'print one JSON object (the keys of eval nab-score --json) as the last stdout line')
    .action(async (opts: Parameters<typeof runEvalNab>[0] & { json?: boolean }) => {
      const result = await runEvalNab(opts, process.env, process.stderr);
      if (opts.json) process.stdout.write(`${JSON.stringify(result.summary)}\n`);
      else process.stdout.write(`${formatNabScore(result.summary)}\n\n${result.files.length} files in ${result.seconds}s; results in ${opts.out}/${opts.detector}, summary in ${result.summaryFile}\n`);
    });

  program
    .command('report')
    .description('Write a self-contained HTML report with an interactive chart per file (zoom, hover) for a results directory of `hourglass eval nab`.')
    .requiredOption('--results <dir>', 'the --out directory of an `eval nab` run')
    .option('--detector <name>', 'detector name', 'hourglass')
    .option('--out <dir>', 'where report.html goes (default: <results>/<detector>/report)')
    .option('--json', 'print one JSON object with the path written')
    .action(async (opts: { results: string; detector: string; out?: string; json?: boolean }) => {
      const written = await runReport(opts);
      process.stdout.write(opts.json ? `${JSON.stringify(written)}\n` : `wrote ${written.html}\n`);
    });

  serviceCommand(program, 'ingest', 'Start ingest: Kafka points to sliding windows (serves /metrics, /healthz, /readyz; stops gracefully on SIGTERM).',
    (config, log) => startIngest({ config, log }));
  serviceCommand(program, 'scorer', 'Start a scorer worker: windows in, anomaly events out (serves /metrics, /healthz, /readyz; stops gracefully on SIGTERM).',
    (config, log) => startScorerService(config, log, { requireNative: requireNativeFromEnv(process.env) }));
  serviceCommand(program, 'trainer', 'Start a trainer: periodic refits from the clean buffer into the model registry (several replicas are safe).',
    (config, log) => startTrainerService(config, log, { requireNative: requireNativeFromEnv(process.env) }));

  program
    .command('train')
    .description('Refit one model group now, against the running system (Redis), through the same gate as the trainer.')
    .requiredOption('-g, --group <name>', 'model group')
    .option('-c, --config <file>', 'config file (YAML or JSON)')
    .option('--json', 'print the outcome as JSON')
    .action(async (opts: { group: string; config?: string; json?: boolean }) => {
      const config = loadConfig(opts.config, process.env);
      const outcome = await trainNow(config, createLogger({ level: 'warn', name: 'hourglass-train' }), opts.group);
      process.stdout.write(opts.json ? `${JSON.stringify(outcome)}\n` : `${opts.group}: ${outcome.status}${'version' in outcome ? ` ${outcome.version}` : ''} (${outcome.reason})\n`);
      process.exitCode = outcome.status === 'promoted' ? 0 : outcome.status === 'rejected' ? 3 : 4;
    });

  program
    .command('produce')
    .description('Send a CSV, NDJSON or demo stream to a Kafka input topic, keyed by series, at a given rate.')
    .option('-i, --input <file>', 'CSV with a header, or NDJSON in the input-topic shape; - reads NDJSON from stdin')
    .option('--demo', 'send the demo stream (event times ending now)')
    .option('--days <n>', 'with --demo: days of event time', parsePositive, 2)
    .option('-t, --topic <name>', 'topic (default: the first of ingest.topics)')
    .option('-r, --rate <pointsPerSecond>', 'points per second; 0 sends as fast as the broker acknowledges', parseNonNegative, 0)
    .option('-d, --delimiter <char>', "CSV field delimiter: one character, or 'tab' (default: ',', a tab for .tsv)", parseDelimiter)
    .option('-c, --config <file>', 'config file (YAML or JSON): Kafka connection and security')
    .action(async (opts: { input?: string; demo?: boolean; days: number; topic?: string; rate: number; delimiter?: string; config?: string }) => {
      const config = loadConfig(opts.config, process.env);
      const result = await produce(config, { ...opts, onWaiting: (message) => void process.stderr.write(`hourglass produce: ${message}\n`) });
      const { count, first } = result.unreadable;
      process.stderr.write(`sent ${result.sent} points to ${result.topic} in ${result.seconds.toFixed(1)}s${first ? `; ${count} unreadable CSV records not sent (line ${first.line}: ${first.refused})` : ''}\n`);
    });

  program
    .command('events')
    .description('Print the anomaly events on the anomalies topic (NDJSON, one per line), from the earliest; --max N stops after N.')
    .option('-n, --max <n>', 'stop after n events', parsePositiveInt)
    .option('--timeout <seconds>', 'stop after this long; with --max, exit 1 when fewer than n events came', parsePositive)
    .option('--new', 'only events published from now on')
    .option('-t, --topic <name>', 'topic (default: topics.anomalies)')
    .option('-c, --config <file>', 'config file (YAML or JSON): Kafka connection and security')
    .action(async (opts: { max?: number; timeout?: number; new?: boolean; topic?: string; config?: string }) => {
      const config = loadConfig(opts.config, process.env);
      const stopped = new Promise<void>((resolve) => ['SIGINT', 'SIGTERM'].forEach((signal) => process.once(signal, () => resolve())));
      const result = await consumeEvents(config, {
        ...(opts.topic ? { topic: opts.topic } : {}), ...(opts.max ? { max: opts.max } : {}), ...(opts.timeout ? { timeoutMs: opts.timeout * 1000 } : {}),
        fromBeginning: opts.new !== true, stopped,
        onEvent: (text) => void process.stdout.write(`${text}\n`),
        onWaiting: (message) => void process.stderr.write(`hourglass events: ${message}\n`),
      });
      process.stderr.write(`${result.received} event${result.received === 1 ? '' : 's'} from ${result.topic}\n`);
    });

  const models = program.command('models').description('Inspect and roll back the versioned model registry.');
  models
    .command('list')
    .description('List the versions of a group, which one is current, and the latest gate decisions.')
    .requiredOption('-g, --group <name>', 'model group')
    .option('-c, --config <file>', 'config file (YAML or JSON)')
    .option('--json', 'print JSON')
    .action(async (opts: { group: string; config?: string; json?: boolean }) => {
      const result = await listModels(loadConfig(opts.config, process.env), createLogger({ level: 'warn' }), opts.group);
      if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      else for (const v of result.versions) process.stdout.write(`${v.current ? '*' : ' '} ${v.version.padEnd(6)} ${v.createdAt}  ${v.reason ?? ''}\n`);
    });
  models
    .command('show')
    .description('Show the stored training report of one version.')
    .requiredOption('-g, --group <name>', 'model group')
    .requiredOption('--version <v>', 'version, e.g. v3')
    .option('-c, --config <file>', 'config file (YAML or JSON)')
    .action(async (opts: { group: string; version: string; config?: string }) => {
      const result = await showModel(loadConfig(opts.config, process.env), createLogger({ level: 'warn' }), opts.group, opts.version);
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    });
  models
    .command('rollback')
    .description('Point a group back at an earlier version; scorers swap to it without a restart.')
    .requiredOption('-g, --group <name>', 'model group')
    .requiredOption('--to <version>', 'version to make current')
    .option('-c, --config <file>', 'config file (YAML or JSON)')
    .action(async (opts: { group: string; to: string; config?: string }) => {
      await rollbackModel(loadConfig(opts.config, process.env), createLogger({ level: 'warn' }), opts.group, opts.to);
      process.stdout.write(`${opts.group}: current is now ${opts.to}\n`);
    });

  const incidents = program.command('incidents').description('Incidents: the episodes of related series grouped into one (docs/incidents.md).');
  incidents
    .command('serve')
    .description('Start the incidents service: anomaly events in, incidents out (serves /metrics, /healthz, /readyz; stops gracefully on SIGTERM).')
    .option('-c, --config <file>', 'config file (YAML or JSON)')
    .action(async (opts: { config?: string }) => {
      const config = loadConfig(opts.config, process.env);
      const log = createLogger({ level: config.log.level, name: 'hourglass-incidents' });
      let service: { stop(): Promise<void> };
      try {
        service = await startIncidentsService(config, log);
      } catch (error) {
        log.error({ code: error instanceof HourglassError ? error.code : undefined }, `hourglass incidents serve did not start: ${describeError(error)}`);
        process.exit(1);
      }
      onShutdownSignal(log, () => service.stop());
    });
  incidents
    .command('list')
    .description('List the newest incidents (by start): id, state, members, severity, key, first series.')
    .option('-n, --max <n>', 'at most this many', parsePositiveInt, 20)
    .option('--state-dir <dir>', "read embedded mode's folder (what `hourglass run --state-dir DIR` wrote) instead of Redis")
    .option('-c, --config <file>', 'config file (YAML or JSON): Redis and incidents.groupId')
    .option('--json', 'print one JSON array')
    .action(async (opts: { max: number; stateDir?: string; config?: string; json?: boolean }) => {
      const found = await listIncidents(loadConfig(opts.config, process.env), { ...(opts.stateDir ? { stateDir: opts.stateDir } : {}) }, opts.max);
      process.stdout.write(opts.json ? `${JSON.stringify(found)}\n` : `${formatIncidents(found)}\n`);
    });
  incidents
    .command('show')
    .description('Show one incident (its newest message) with its members.')
    .argument('<id>', 'incident id')
    .option('--state-dir <dir>', "read embedded mode's folder instead of Redis")
    .option('-c, --config <file>', 'config file (YAML or JSON): Redis and incidents.groupId')
    .option('--json', 'print the incident as JSON')
    .action(async (id: string, opts: { stateDir?: string; config?: string; json?: boolean }) => {
      const found = await showIncident(loadConfig(opts.config, process.env), { ...(opts.stateDir ? { stateDir: opts.stateDir } : {}) }, id);
      process.stdout.write(opts.json ? `${JSON.stringify(found, null, 2)}\n` : `${formatIncident(found)}\n`);
    });

  program
    .command('similar')
    .description('The earlier episodes most similar to one (by the hash of its peak code, then the code distance), with their times, series and verdicts.')
    .requiredOption('--event <id>', "an anomaly event's episodeId (its open event's id), or the id of the event at its peak")
    .option('--state-dir <dir>', "read embedded mode's folder (what `hourglass run --state-dir DIR` wrote) instead of Redis")
    .option('-c, --config <file>', 'config file (YAML or JSON): Redis and the model groups')
    .option('--json', 'print one JSON object')
    .action(async (opts: { event: string; stateDir?: string; config?: string; json?: boolean }) => {
      const result = await similarTo(loadConfig(opts.config, process.env), opts.event, { ...(opts.stateDir ? { stateDir: opts.stateDir } : {}) });
      process.stdout.write(opts.json ? `${JSON.stringify(result)}\n` : `${formatSimilar(result)}\n`);
    });

  program
    .command('feedback')
    .description('Give a verdict on an anomaly episode: false-positive (the next refit learns its windows) or confirmed (the gate keeps it flagged). Stored in Redis, or with --state-dir in an embedded run\'s folder.')
    .option('--event <id>', "an anomaly event's episodeId (its open event's id), or the id of the event at its peak")
    .option('--verdict <verdict>', 'false-positive or confirmed')
    .option('--note <text>', 'why (stored with the verdict, shown by --list and `models show`)')
    .option('--list', 'list the stored verdicts (with --group, of one group) and the precision operators reported')
    .option('-g, --group <name>', 'with --list: one model group')
    .option('--remove', 'forget the verdict on --event (Redis); the next refit no longer uses it')
    .option('--state-dir <dir>', "embedded mode's folder (what `hourglass run --state-dir DIR` wrote) instead of Redis")
    .option('-c, --config <file>', 'config file (YAML or JSON)')
    .option('--json', 'print JSON')
    .action(async (opts: { event?: string; verdict?: string; note?: string; list?: boolean; group?: string; remove?: boolean; stateDir?: string; config?: string; json?: boolean }) => {
      const config = loadConfig(opts.config, process.env);
      if (opts.list) {
        const list = await listFeedback(config, { ...(opts.group ? { group: opts.group } : {}), ...(opts.stateDir ? { stateDir: opts.stateDir } : {}) });
        process.stdout.write(opts.json ? `${JSON.stringify(list)}\n` : `${formatFeedback(list)}\n`);
        return;
      }
      if (opts.remove) {
        if (!opts.event) throw new HourglassError('USAGE', '--remove needs --event ID (the episode id, from --list)');
        if (opts.stateDir) throw new HourglassError('USAGE', "--remove works on Redis; in a folder, give a new verdict instead");
        const group = await removeFeedback(config, opts.event);
        if (group === null) throw new HourglassError('USAGE', `no verdict on episode '${opts.event}'`);
        process.stdout.write(`removed the verdict on episode ${opts.event} (group ${group})\n`);
        return;
      }
      const recorded = await giveFeedback(config, { ...opts, by: process.env.USER ?? process.env.LOGNAME ?? 'unknown' });
      process.stdout.write(opts.json ? `${JSON.stringify(recorded.feedback)}\n` : `${formatRecorded(recorded)}\n`);
    });

  const maintenance = program.command('maintenance').description('Maintenance periods: no events and no clean-buffer windows for the series they cover (stored in Redis; scorers re-read them without a restart).');
  maintenance
    .command('add')
    .description('Add a period: once (--from, --to), or recurring (--cron with --duration, or --weekly); for --group and/or --series.')
    .option('-g, --group <name...>', 'model group(s) covered')
    .option('-s, --series <glob>', "series covered: a glob over series ids ('db-*')")
    .option('--from <time>', 'start of a one-off period: ISO-8601 or epoch ms')
    .option('--to <time>', 'end of a one-off period (exclusive)')
    .option('--cron <expression>', "recurring: when each period starts ('0 2 * * 6': Saturdays 02:00)")
    .option('--duration <d>', 'with --cron: how long each lasts (90m, 2h, 1d, or ms)')
    .option('--weekly <spec>', "recurring: 'sat,sun 02:00-04:00'")
    .option('--timezone <zone>', 'IANA zone of the times and the cron expression (default UTC)')
    .option('--reason <text>', 'why (shown by list)')
    .option('--id <id>', 'its id (default: generated)')
    .option('-c, --config <file>', 'config file (YAML or JSON)')
    .option('--json', 'print the stored period as JSON')
    .action(async (opts: { group?: string[]; series?: string; from?: string; to?: string; cron?: string; duration?: string; weekly?: string; timezone?: string; reason?: string; id?: string; config?: string; json?: boolean }) => {
      const config = loadConfig(opts.config, process.env);
      const stored = await addMaintenance(config, { ...opts, by: process.env.USER ?? process.env.LOGNAME ?? 'unknown', now: new Date() });
      process.stdout.write(opts.json ? `${JSON.stringify(stored)}\n` : `added maintenance period ${stored.id}\n`);
    });
  maintenance
    .command('list')
    .description('List the config\'s and the run-time periods; * marks those in force now.')
    .option('-c, --config <file>', 'config file (YAML or JSON)')
    .option('--json', 'print JSON')
    .action(async (opts: { config?: string; json?: boolean }) => {
      const result = await listMaintenance(loadConfig(opts.config, process.env), new Date());
      process.stdout.write(opts.json ? `${JSON.stringify(result)}\n` : `${formatPeriods(result.periods)}\n`);
      if (result.invalid.length > 0) process.stderr.write(`stored periods that do not validate (remove them): ${result.invalid.join(', ')}\n`);
    });
  maintenance
    .command('remove')
    .description('Remove a run-time period by id; scorers drop it within scorer.maintenancePollMs.')
    .requiredOption('--id <id>', 'the period\'s id (from list)')
    .option('-c, --config <file>', 'config file (YAML or JSON)')
    .action(async (opts: { id: string; config?: string }) => {
      const removed = await removeMaintenance(loadConfig(opts.config, process.env), opts.id);
      if (!removed) throw new HourglassError('USAGE', `no run-time maintenance period '${opts.id}'`);
      process.stdout.write(`removed maintenance period ${opts.id}\n`);
    });

  program
    .command('start')
    .description('What `npm start` runs: the embedded demo from scratch, checked against its injected anomalies, with a short summary.')
    .option('--json', 'print the summary as one JSON object on the last line')
    .option('--state-dir <dir>', 'folder for the demo\'s models and events (emptied first)', join('.hourglass', 'demo'))
    .action(async (opts: { json?: boolean; stateDir: string }) => {
      const config = loadConfig(undefined, process.env);
      rmSync(opts.stateDir, { recursive: true, force: true });
      mkdirSync(opts.stateDir, { recursive: true });
      const events = join(opts.stateDir, 'events.ndjson');
      if (!opts.json) process.stderr.write('Running the Hourglass demo: 6 series, 6 days of 5-minute points, with injected anomalies...\n');
      // The summary reports refused fits; per-fit log lines would only bury it.
      const log = createLogger({ level: 'error', name: 'hourglass-start' });
      const summary = await runEmbedded(config, { demo: true, stateDir: opts.stateDir, events, series: 'default' }, log, process.env);
      if (opts.json) process.stdout.write(`${JSON.stringify({ ...summary, eventsFile: events })}\n`);
      else process.stdout.write(`${formatRunSummary(summary)}\nHTML report: ${summary.report ?? '(none)'}\nAnomaly events (NDJSON): ${events}\nNext: \`npx hourglass run --input FILE\` on your own data, or \`npm test\` against real Kafka and Redis.\n`);
    });
  // Program options count only before the subcommand, so that `models show --version V` means the
  // version to show, not Hourglass' own (commander otherwise takes it for the program's --version);
  // --verbose (read from argv on errors) stays accepted anywhere.
  program.enablePositionalOptions();
  const everyCommand = (c: Command): Command[] => [c, ...c.commands.flatMap(everyCommand)];
  for (const command of everyCommand(program).slice(1)) command.addOption(new Option('--verbose', 'show stack traces on errors').hideHelp());
  return program;
}

function formatRunSummary(s: RunSummary): string {
  const lines = [
    '',
    `Hourglass processed ${s.points} points from ${s.series} series into ${s.windows} windows in ${s.seconds}s (backend: ${s.backend}).`,
    `Models fitted: ${s.modelsFitted}; anomaly events: ${s.events} in ${s.episodes} episodes, grouped into ${s.incidents} incidents (${s.incidentsFile}); refused points: ${s.rejected}.`,
  ];
  const refused = s.fits.filter((f) => f.status !== 'promoted');
  if (refused.length > 0) {
    const byGroup = new Map<string, string>();
    for (const f of refused) if (!byGroup.has(f.group)) byGroup.set(f.group, f.reason);
    lines.push(`Fits kept out by the validation gate: ${refused.length} (${[...byGroup].map(([g, r]) => `${g}: ${r}`).join('; ')}).`);
  }
  const overBudget = [...new Set(s.fits.filter((f) => f.code === 'first_model_over_budget').map((f) => f.group))];
  if (overBudget.length > 0) {
    lines.push(`WARNING: first models taken over the gate's false-alarm budget (expect noisy episodes until a refit replaces them): ${overBudget.join(', ')}.`);
  }
  const unwatched = Object.entries(s.models).filter(([, version]) => version === null).map(([group]) => group);
  if (unwatched.length > 0) lines.push(`WARNING: groups that ended without any model, so their series were never scored: ${unwatched.join(', ')}.`);
  if (s.precision !== undefined) {
    lines.push(`Against the injected anomalies: precision ${s.precision.toFixed(2)}, recall ${s.recall!.toFixed(2)}.`);
    for (const m of s.missed ?? []) lines.push(`  missed: ${m.kind} on ${m.series} at ${new Date(m.startMs).toISOString()}`);
  }
  return lines.join('\n');
}

/** A long-running service command: load the config, start the service, stop it on SIGTERM/SIGINT. */
function serviceCommand(
  program: Command,
  name: 'ingest' | 'scorer' | 'trainer',
  description: string,
  start: (config: ReturnType<typeof loadConfig>, log: Logger) => Promise<{ stop(): Promise<void> }>,
): void {
  program
    .command(name)
    .description(description)
    .option('-c, --config <file>', 'config file (YAML or JSON)')
    .action(async (opts: { config?: string }) => {
      const config = loadConfig(opts.config, process.env);
      const log = createLogger({ level: config.log.level, name: `hourglass-${name}` });
      let service: { stop(): Promise<void> };
      try {
        service = await start(config, log);
      } catch (error) {
        // One error-level line in the service's own log format, then out: clients half-connected
        // during start-up (Kafka, Redis) would otherwise keep the process alive.
        log.error({ code: error instanceof HourglassError ? error.code : undefined }, `hourglass ${name} did not start: ${describeError(error)}`);
        process.exit(1);
      }
      onShutdownSignal(log, () => service.stop());
    });
}

/** A commander parser for one number; `accepts` is the rule, `what` ends "'<text>' is not ...". */
function numberParser(what: string, accepts: (value: number) => boolean): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!Number.isFinite(value) || !accepts(value)) throw new InvalidArgumentError(`'${text}' is not ${what}`);
    return value;
  };
}

const parsePort = numberParser('a port number', (v) => Number.isInteger(v) && v >= 0 && v <= 65535);
const parsePositiveInt = numberParser('a positive integer', (v) => Number.isInteger(v) && v >= 1);
const parsePositive = numberParser('a positive number', (v) => v > 0);
const parseNonNegative = numberParser('a number >= 0', (v) => v >= 0);
const parseFiniteNumber = numberParser('a number', () => true);

function parseDelimiter(text: string): string {
  const delimiter = text === 'tab' || text === '\\t' ? '\t' : text;
  if ([...delimiter].length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') throw new InvalidArgumentError(`'${text}' is not a delimiter: give one character other than a quote or newline, or 'tab'`);
  return delimiter;
}

function parseTimeZone(text: string): string {
  if (!isTimeZone(text)) throw new InvalidArgumentError(`'${text}' is not a time zone this runtime knows (an IANA name such as UTC or Europe/Berlin)`);
  return text;
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
