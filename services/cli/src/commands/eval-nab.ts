import { HourglassError } from '@hourglass/core';
import { loadConfig } from '../config-file';
import { progressBar, type ProgressOutput } from '../progress';
import { runNabEval, summaryPath, type NabEvalResult } from '../eval/nab-eval';
import { NAB_DEFAULT_GROUP, NAB_RUNNER_DEFAULTS, groupForSeries, type NabRunnerOptions } from '../eval/nab-runner';

/** Options of `hourglass eval nab`, as parsed from the command line. */
export interface EvalNabOptions {
  readonly data: string;
  readonly labels: string;
  readonly profiles: string;
  readonly out: string;
  readonly detector: string;
  readonly config?: string;
  readonly group?: string;
  readonly jobs?: number;
  readonly only?: string[];
  readonly batchRows?: number;
  readonly refitEvery?: number;
  readonly buffer?: number;
  readonly suppress?: number;
  readonly riseRatio?: number;
  readonly modelJson?: string;
  readonly windowSteps?: number[];
}

/** The runner options: the config's group (or the tuned NAB default) plus command-line overrides. */
export function evalNabRunnerOptions(options: EvalNabOptions, env: NodeJS.ProcessEnv): NabRunnerOptions {
  let group: unknown = NAB_DEFAULT_GROUP;
  let windowSteps = NAB_RUNNER_DEFAULTS.windowSteps;
  if (options.config) {
    const config = loadConfig(options.config, env);
    const chosen = options.group ? config.groups.find((g) => g.name === options.group) : config.groups[0];
    if (!chosen) throw new HourglassError('CONFIG_INVALID', options.group ? `no model group '${options.group}' in ${options.config}` : `${options.config} has no model groups`);
    group = chosen;
    windowSteps = [chosen.window.lengthSteps];
  }
  if (options.windowSteps) windowSteps = options.windowSteps;
  if (options.modelJson) {
    const g = group as { model?: object };
    group = { ...g, model: { ...(g.model ?? {}), ...(JSON.parse(options.modelJson) as object) } };
  }
  const d = NAB_RUNNER_DEFAULTS;
  const buffer = options.buffer ?? d.bufferMaxWindows;
  return {
    group: groupForSeries(group, 'nab'),
    windowSteps,
    batchRows: options.batchRows ?? d.batchRows,
    refitEveryWindows: options.refitEvery ?? d.refitEveryWindows,
    bufferMaxWindows: buffer,
    refit: { ...d.refit, maxWindows: buffer },
    postprocess: {
      ...d.postprocess,
      ...(options.suppress === undefined ? {} : { suppressRows: options.suppress }),
      ...(options.riseRatio === undefined ? {} : { riseRatio: options.riseRatio }),
    },
  };
}

/** Runs `hourglass eval nab`; progress goes to `progress` (a bar on a terminal). */
export async function runEvalNab(options: EvalNabOptions, env: NodeJS.ProcessEnv, progress: ProgressOutput): Promise<NabEvalResult & { summaryFile: string }> {
  const runner = evalNabRunnerOptions(options, env);
  const bar = progressBar(progress);
  const result = await runNabEval({
    dataDir: options.data, labelsFile: options.labels, profilesFile: options.profiles, outDir: options.out, detector: options.detector,
    runner, requireNative: env.HOURGLASS_REQUIRE_NATIVE === '1' || env.HOURGLASS_REQUIRE_NATIVE === 'true',
    ...(options.jobs ? { jobs: options.jobs } : {}),
    ...(options.only ? { only: options.only } : {}),
    onProgress: ({ rows, totalRows, files, totalFiles }) => bar.update(totalRows > 0 ? rows / totalRows : 0, `${files}/${totalFiles} files`),
  }).finally(() => bar.done());
  return { ...result, summaryFile: summaryPath(options.out, options.detector) };
}
