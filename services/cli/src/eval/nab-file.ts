import { writeFile } from 'node:fs/promises';
import { numericColumn, readNabDataFile, readWindowLabels, type NabWindowLabels } from '@hourglass/eval';
import { initBackend } from '@hourglass/model';
import { formatResultCsv, labelRows, resultPath, writeResultFile, type NabDataFile } from './nab-results';
import { runNabSeries, type NabRunnerOptions } from './nab-runner';

/** One file's job, as the parent sends it to a child process. */
export interface NabFileTask {
  readonly file: NabDataFile;
  readonly labelsFile: string;
  readonly outDir: string;
  readonly detector: string;
  readonly runner: NabRunnerOptions;
  readonly requireNative: boolean;
}

/** What a child reports back for its file. */
export interface NabFileOutcome {
  readonly key: string;
  readonly rows: number;
  readonly probation: number;
  readonly fits: { promoted: number; rejected: number; skipped: number };
  readonly rejectedPoints: number;
  readonly seconds: number;
  readonly backend: string;
}

/** Path of the side file with what the report plots beyond NAB's columns (ignored by the scorer: not .csv). */
export function detailPath(csvPath: string): string {
  return csvPath.replace(/\.csv$/, '.detail.json');
}

/** Runs one NAB file and writes its result file (and the detail side file). */
export async function runNabFile(task: NabFileTask, onProgress?: (rows: number, total: number) => void, labels?: NabWindowLabels): Promise<NabFileOutcome> {
  const { info } = await initBackend({ requireNative: task.requireNative });
  const table = await readNabDataFile(task.file.path);
  const values = numericColumn(table, 'value');
  const allLabels = labels ?? (await readWindowLabels(task.labelsFile));
  const windows = allLabels.get(task.file.key);
  if (windows === undefined) throw new Error(`${task.file.path}: no entry "${task.file.key}" in labels file ${task.labelsFile}`);
  const labelColumn = labelRows(table.timestamps, windows, task.file.path);
  const run = await runNabSeries(task.file.name, table.timestamps, values, task.runner, {
    onProgress: onProgress ? (rows) => onProgress(rows, table.length) : undefined,
  });
  const out = resultPath(task.outDir, task.detector, task.file.category, task.file.name);
  await writeResultFile(out, formatResultCsv(table.timestamps, table.columns.get('value')!, run.anomalyScore, labelColumn));
  await writeFile(detailPath(out), JSON.stringify({
    key: task.file.key, probation: run.probation, modelChanges: run.modelChanges, fits: run.fits,
    surprise: Array.from(run.surprise, round), threshold: Array.from(run.threshold, orNull),
    // The expected-value band of each row (the report draws it), null where none.
    band: { expected: Array.from(run.scales[0]!.expected, orNull), lower: Array.from(run.scales[0]!.lower, orNull), upper: Array.from(run.scales[0]!.upper, orNull) },
    scales: run.scales.map((s) => ({
      windowSteps: s.windowSteps, modelChanges: s.modelChanges, fits: s.fits,
      calibrated: Array.from(s.calibrated, round), rawError: Array.from(s.rawError, (x) => (Number.isFinite(x) ? x : null)), surprise: Array.from(s.surprise, round),
      thresholdSurprise: Array.from(s.thresholdSurprise, orNull), anomalous: Array.from(s.anomalous), opened: Array.from(s.opened),
    })),
  }));
  return { key: task.file.key, rows: table.length, probation: run.probation, fits: run.fits, rejectedPoints: run.rejectedPoints, seconds: run.seconds, backend: info.name };
}

function round(x: number): number {
  return Math.round(x * 1e9) / 1e9;
}

function orNull(x: number): number | null {
  return Number.isFinite(x) ? round(x) : null;
}
