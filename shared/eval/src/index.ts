// Public API of @hourglass/eval: NAB's scoring, reproduced exactly (see docs/nab-scoring.md).
export {
  NabCsvError,
  numericColumn,
  parseNabCsv,
  readNabDataFile,
  readNabResultFile,
  readNabResultFileSync,
  toResultTable,
  type NabResultTable,
  type NabTable,
} from './nab-csv.js';
export {
  NabWindowError,
  canonicalTimestamp,
  parseWindowLabels,
  readWindowLabels,
  windowsToRows,
  type NabWindowLabels,
  type RowWindow,
  type TimestampWindow,
} from './nab-windows.js';
export {
  normalizeScore,
  prepareFile,
  probationaryLength,
  scaledSigmoid,
  scoreFile,
  truePositiveValue,
  type CostMatrix,
  type Counts,
  type FileScore,
  type PreparedFile,
} from './nab-scorer.js';
export {
  NO_DETECTION_THRESHOLD,
  buildScorePool,
  sweepThresholds,
  type ScorePool,
  type SweepResult,
} from './nab-sweep.js';
export {
  NabBenchmarkError,
  PROFILE_NAMES,
  loadDetectorResults,
  parseProfiles,
  readProfiles,
  scoreDetector,
  scorePreparedFiles,
  type DetectorScores,
  type LoadedResultFile,
  type ProfileName,
  type ProfileScore,
  type Profiles,
  type ScoreDetectorOptions,
  type ThresholdChoice,
} from './nab-benchmark.js';
export { falsePerThousandRows, scoreEpisodes, sumEpisodeScores, type EpisodeScore } from './episode-score.js';
export { categoryOf, leaveOneCategoryOut, type LocoCandidate, type LocoFold, type LocoResult } from './nab-loco.js';
