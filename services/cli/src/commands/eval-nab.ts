import { HourglassError } from '@hourglass/core';
import { loadConfig } from '../config-file';
import { progressBar, type ProgressOutput } from '../progress';
import { runNabEval, summaryPath, type NabEvalResult } from '../eval/nab-eval';
import { nabGroup, type NabRunnerOptions } from '../eval/nab-runner';

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
}

/**
 * The runner options: the config `hourglass run` and the services would read (`--config`, else the
 * schema's defaults, with the same environment overrides) and the group to run. There are no
 * evaluation-only settings: to measure another setting, write it in a config.
 */
export function evalNabRunnerOptions(options: EvalNabOptions, env: NodeJS.ProcessEnv): NabRunnerOptions {
  const config = loadConfig(options.config, env);
  const runner: NabRunnerOptions = { config, ...(options.group === undefined ? {} : { group: options.group }) };
  try {
    nabGroup(runner);
  } catch (error) {
    throw new HourglassError('CONFIG_INVALID', `${options.config ?? 'the default config'}: ${(error as Error).message}`);
  }
  return runner;
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
