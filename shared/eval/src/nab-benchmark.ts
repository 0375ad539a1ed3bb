import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readNabResultFile, type NabResultTable } from './nab-csv.js';
import { normalizeScore, prepareFile, scoreFile, type CostMatrix, type FileScore, type PreparedFile } from './nab-scorer.js';
import { buildScorePool, sweepThresholds } from './nab-sweep.js';
import { readWindowLabels, windowsToRows, type RowWindow } from './nab-windows.js';

/** NAB's three scoring profiles, in the names `config/profiles.json` and the `S(t)_<profile>` columns use. */
export const PROFILE_NAMES = ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];
export type Profiles = Readonly<Record<ProfileName, CostMatrix>>;

/** Thrown for benchmark set-up problems (missing directories, labels, profiles), naming the path involved. */
export class NabBenchmarkError extends Error {
  override readonly name = 'NabBenchmarkError';
}

/** Parses NAB's `config/profiles.json`, requiring all three profiles with finite tp/fp/fn weights. */
export function parseProfiles(text: string, source: string): Profiles {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new NabBenchmarkError(`${source}: invalid JSON: ${(e as Error).message}`);
  }
  const out = {} as Record<ProfileName, CostMatrix>;
  for (const name of PROFILE_NAMES) {
    const cm = (json as Record<string, { CostMatrix?: Record<string, unknown> } | undefined> | null)?.[name]?.CostMatrix;
    if (cm === undefined) throw new NabBenchmarkError(`${source}: profile "${name}" has no CostMatrix`);
    const weight = (key: string): number => {
      const v = cm[key];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new NabBenchmarkError(`${source}: profile "${name}" CostMatrix.${key} is not a finite number`);
      }
      return v;
    };
    out[name] = { tpWeight: weight('tpWeight'), fpWeight: weight('fpWeight'), fnWeight: weight('fnWeight') };
  }
  return out;
}

/** Reads and parses `config/profiles.json`. */
export async function readProfiles(path: string): Promise<Profiles> {
  return parseProfiles(await readFile(path, 'utf8'), path);
}

/** One detector result file, loaded and aligned with its labels. */
export interface LoadedResultFile {
  /** The labels key, `<category>/<file>.csv`. */
  readonly key: string;
  readonly path: string;
  /** The whole CSV, so callers can reach extra columns such as `S(t)_standard`. */
  readonly table: NabResultTable;
  readonly windows: readonly RowWindow[];
  readonly prepared: PreparedFile;
}

/**
 * Loads every `<resultsDir>/<detector>/<category>/<detector>_<file>.csv`, in sorted order. Only the files
 * present are returned (the labels may cover more); a file without a labels entry is an error, because
 * scoring it as "no anomalies" would silently inflate false positives.
 */
export async function loadDetectorResults(options: {
  resultsDir: string;
  labelsFile: string;
  detector: string;
}): Promise<LoadedResultFile[]> {
  const { resultsDir, labelsFile, detector } = options;
  const labels = await readWindowLabels(labelsFile);
  const detectorDir = join(resultsDir, detector);
  const categories = await readdir(detectorDir, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
    throw new NabBenchmarkError(`no results for detector "${detector}": cannot read ${detectorDir} (${e.code ?? e.message})`);
  });
  const prefix = `${detector}_`;
  const found: { key: string; path: string }[] = [];
  for (const cat of categories.filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
    const entries = await readdir(join(detectorDir, cat), { withFileTypes: true });
    for (const name of entries.filter((e) => e.isFile() && e.name.endsWith('.csv')).map((e) => e.name).sort()) {
      const path = join(detectorDir, cat, name);
      if (!name.startsWith(prefix)) {
        throw new NabBenchmarkError(`${path}: result file name does not start with "${prefix}"`);
      }
      found.push({ key: `${cat}/${name.slice(prefix.length)}`, path });
    }
  }
  if (found.length === 0) throw new NabBenchmarkError(`${detectorDir}: no result files (<category>/${prefix}<file>.csv)`);
  return Promise.all(
    found.map(async ({ key, path }) => {
      const limits = labels.get(key);
      if (limits === undefined) throw new NabBenchmarkError(`${path}: no entry "${key}" in labels file ${labelsFile}`);
      const table = await readNabResultFile(path);
      const windows = windowsToRows(table.timestamps, limits, path);
      return { key, path, table, windows, prepared: prepareFile(key, table.anomalyScores, windows) };
    }),
  );
}

/** A profile's score over a set of files: pooled totals at one threshold plus the per-file breakdown. */
export interface ProfileScore {
  /** 100 * (raw - null) / (perfect - null), over exactly the files scored. */
  readonly normalized: number;
  readonly raw: number;
  /** The threshold used: the sweep's best unless one was given. */
  readonly threshold: number;
  readonly null: number;
  readonly perfect: number;
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
  readonly tn: number;
  readonly files: readonly FileScore[];
}

/** The benchmark result: one ProfileScore per NAB profile. */
export type DetectorScores = Readonly<Record<ProfileName, ProfileScore>>;

/** A fixed threshold for every profile, or per profile (profiles left out are swept). */
export type ThresholdChoice = number | Partial<Record<ProfileName, number>>;

/**
 * Pure core of the benchmark: scores prepared files under every profile, sweeping the threshold (pooled
 * over these files only) unless one is given, then totals and normalises over these files only.
 */
export function scorePreparedFiles(
  files: readonly PreparedFile[],
  profiles: Profiles,
  threshold?: ThresholdChoice,
): DetectorScores {
  let pool: ReturnType<typeof buildScorePool> | undefined;
  const out = {} as Record<ProfileName, ProfileScore>;
  for (const name of PROFILE_NAMES) {
    const cost = profiles[name];
    let th = typeof threshold === 'number' ? threshold : threshold?.[name];
    if (th === undefined) {
      pool ??= buildScorePool(files); // sorted once, shared by the profiles that sweep
      th = sweepThresholds(pool, cost).threshold;
    }
    const perFile = files.map((f) => scoreFile(f, th, cost));
    const sum = (get: (s: FileScore) => number): number => perFile.reduce((acc, s) => acc + get(s), 0);
    const raw = sum((s) => s.raw);
    const nullScore = sum((s) => s.null);
    const perfect = sum((s) => s.perfect);
    out[name] = {
      normalized: normalizeScore(raw, nullScore, perfect),
      raw,
      threshold: th,
      null: nullScore,
      perfect,
      tp: sum((s) => s.tp),
      fp: sum((s) => s.fp),
      fn: sum((s) => s.fn),
      tn: sum((s) => s.tn),
      files: perFile,
    };
  }
  return out;
}

/** Options of scoreDetector; paths follow NAB's repository layout. */
export interface ScoreDetectorOptions {
  /** NAB's `results/` directory. */
  resultsDir: string;
  /** NAB's `labels/combined_windows.json`. */
  labelsFile: string;
  /** NAB's `config/profiles.json`. */
  profilesFile: string;
  /** Detector name: the sub-directory of `resultsDir` and the file-name prefix. */
  detector: string;
  /** Fixed threshold(s) instead of the sweep. */
  threshold?: ThresholdChoice;
}

/**
 * Scores a detector's NAB result files exactly as NAB does, over exactly the files present for it, and
 * returns each profile's normalised score, raw score, threshold, null/perfect scores, counts and per-file scores.
 */
export async function scoreDetector(options: ScoreDetectorOptions): Promise<DetectorScores> {
  const [files, profiles] = await Promise.all([loadDetectorResults(options), readProfiles(options.profilesFile)]);
  return scorePreparedFiles(
    files.map((f) => f.prepared),
    profiles,
    options.threshold,
  );
}
