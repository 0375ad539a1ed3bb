import { fork } from 'node:child_process';
import { rm, writeFile, mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { PROFILE_NAMES, scoreDetector, type DetectorScores } from '@hourglass/eval';
import { nabScoreSummary } from '../commands/eval-nab-score';
import { listNabDataFiles, type NabDataFile } from './nab-results';
import type { NabFileOutcome, NabFileTask } from './nab-file';
import type { NabRunnerOptions } from './nab-runner';

export interface NabEvalOptions {
  readonly dataDir: string;
  readonly labelsFile: string;
  readonly profilesFile: string;
  readonly outDir: string;
  readonly detector: string;
  readonly runner: NabRunnerOptions;
  /** Files run at once (child processes); default: the core count. */
  readonly jobs?: number;
  /** Only files whose key contains one of these substrings (for quick experiments). */
  readonly only?: readonly string[];
  readonly requireNative: boolean;
  /** Called as rows are processed: rows done over all files, rows in all files, files done. */
  readonly onProgress?: (p: { rows: number; totalRows: number; files: number; totalFiles: number }) => void;
}

export interface NabEvalResult {
  /** The same object `hourglass eval nab-score --json` prints. */
  readonly summary: Record<string, unknown>;
  readonly scores: DetectorScores;
  readonly files: readonly NabFileOutcome[];
  readonly seconds: number;
}

/** Name of the run summary written next to the result folders: `<out>/<detector>/summary.json`. */
export function summaryPath(outDir: string, detector: string): string {
  return join(outDir, detector, 'summary.json');
}

/**
 * `hourglass eval nab`: runs every data file in its own child process (at most `jobs` at once),
 * each writing its NAB result file, then scores the results exactly as NAB does.
 */
export async function runNabEval(options: NabEvalOptions): Promise<NabEvalResult> {
  const started = Date.now();
  let files = await listNabDataFiles(options.dataDir);
  if (options.only && options.only.length > 0) files = files.filter((f) => options.only!.some((o) => f.key.includes(o)));
  if (files.length === 0) throw new Error(`no NAB data files (<category>/<file>.csv) under ${options.dataDir}`);
  await rm(join(options.outDir, options.detector), { recursive: true, force: true });
  await mkdir(join(options.outDir, options.detector), { recursive: true });

  const jobs = Math.max(1, Math.min(options.jobs ?? availableParallelism(), files.length));
  // Largest files first, so the longest job does not start last.
  const { statSync } = await import('node:fs');
  const sizes = new Map(files.map((f) => [f.key, statSync(f.path).size]));
  const queue = [...files].sort((a, b) => sizes.get(b.key)! - sizes.get(a.key)!);
  const totalBytes = [...sizes.values()].reduce((a, b) => a + b, 0);
  const doneRows = new Map<string, number>();
  const rowsOf = new Map<string, number>();
  const outcomes: NabFileOutcome[] = [];
  const report = () => {
    // Rows are known per file once its child reports; bytes stand in for the rest.
    let rows = 0;
    let total = 0;
    for (const f of files) {
      const n = rowsOf.get(f.key);
      const estimate = n ?? Math.round(sizes.get(f.key)! / (totalBytes / Math.max(1, files.length)) * 4000);
      total += estimate;
      rows += Math.min(estimate, doneRows.get(f.key) ?? 0);
    }
    options.onProgress?.({ rows, totalRows: total, files: outcomes.length, totalFiles: files.length });
  };

  const runOne = (file: NabDataFile): Promise<NabFileOutcome> =>
    new Promise((resolve, reject) => {
      const task: NabFileTask = { file, labelsFile: options.labelsFile, outDir: options.outDir, detector: options.detector, runner: options.runner, requireNative: options.requireNative };
      const child = fork(join(__dirname, 'nab-child.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
      let settled = false;
      child.on('message', (m: { kind: string; rows?: number; outcome?: NabFileOutcome; message?: string }) => {
        if (m.kind === 'progress') {
          doneRows.set(file.key, m.rows ?? 0);
          report();
        } else if (m.kind === 'done' && m.outcome) {
          settled = true;
          rowsOf.set(file.key, m.outcome.rows);
          doneRows.set(file.key, m.outcome.rows);
          resolve(m.outcome);
        } else if (m.kind === 'error') {
          settled = true;
          reject(new Error(m.message));
        }
      });
      child.on('error', (e) => {
        if (!settled) reject(e);
        settled = true;
      });
      child.on('exit', (code, signal) => {
        if (!settled) reject(new Error(`${file.key}: the child process exited (${signal ?? `code ${code}`}) without a result`));
        settled = true;
      });
      child.send(task);
    });

  let failure: unknown;
  const workers = Array.from({ length: jobs }, async () => {
    for (let file = queue.shift(); file && failure === undefined; file = queue.shift()) {
      try {
        outcomes.push(await runOne(file));
        report();
      } catch (error) {
        failure ??= error;
      }
    }
  });
  await Promise.all(workers);
  if (failure !== undefined) throw failure;

  const scores = await scoreDetector({ resultsDir: options.outDir, labelsFile: options.labelsFile, profilesFile: options.profilesFile, detector: options.detector });
  const summary = nabScoreSummary(options.detector, scores);
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  outcomes.sort((a, b) => (a.key < b.key ? -1 : 1));
  await writeFile(summaryPath(options.outDir, options.detector), `${JSON.stringify({
    ...summary,
    seconds,
    jobs,
    runner: options.runner,
    perFile: outcomes.map((o) => ({
      ...o,
      scores: Object.fromEntries(PROFILE_NAMES.map((p) => {
        const f = scores[p].files.find((x) => x.name === o.key);
        return [p, f ? { raw: f.raw, null: f.null, perfect: f.perfect, windows: f.windows, scorableWindows: f.scorableWindows, detectedWindows: f.detectedWindows, fp: f.fp } : null];
      })),
    })),
  }, null, 2)}\n`);
  return { summary, scores, files: outcomes, seconds };
}
