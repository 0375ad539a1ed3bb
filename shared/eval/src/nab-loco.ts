import { PROFILE_NAMES, scorePreparedFiles, type ProfileName, type Profiles } from './nab-benchmark.js';
import { normalizeScore, scoreFile, type PreparedFile } from './nab-scorer.js';

/**
 * Leave-one-category-out (LOCO): how a way of choosing settings would do on data it was not chosen
 * on. For each category C, the candidate (a whole configuration, run on every file) with the best
 * score on the other categories is picked, and NAB's threshold is swept on those other categories
 * too; C is then scored with that candidate at that threshold. Nothing about C itself decides
 * anything, so the figure is an honest estimate for a sixth category, unlike the plain score, whose
 * threshold sweep has seen every file.
 */

/** One candidate configuration's results: prepared files keyed `<category>/<file>.csv`. */
export interface LocoCandidate {
  readonly name: string;
  readonly files: readonly PreparedFile[];
}

/** What LOCO decided for one held-out category under one profile. */
export interface LocoFold {
  readonly category: string;
  /** The candidate chosen on the other categories, and the threshold swept there. */
  readonly chosen: string;
  readonly threshold: number;
  /** The chosen candidate's normalised score on the other categories (what it was chosen by). */
  readonly trainScore: number;
  /** Its normalised score on the held-out category, at that threshold (NaN for a category without labelled windows: nothing to normalise by). */
  readonly heldOutScore: number;
  /** False-positive detections in the held-out category at that threshold (what a category without windows can only lose by). */
  readonly falsePositives: number;
  /** Raw, null and perfect sums over the held-out category (for the pooled total). */
  readonly raw: number;
  readonly null: number;
  readonly perfect: number;
}

export interface LocoResult {
  readonly categories: readonly string[];
  /** Per profile: one fold per category, and the total over every file, each scored as its fold says. */
  readonly profiles: Readonly<Record<ProfileName, { readonly folds: readonly LocoFold[]; readonly total: number }>>;
  /** Per candidate and profile: the plain (in-sample) normalised score over all files, and per category at that threshold. */
  readonly plain: Readonly<Record<string, Readonly<Record<ProfileName, { readonly total: number; readonly byCategory: Readonly<Record<string, number>> }>>>>;
}

/** `<category>/<file>.csv` -> category. */
export function categoryOf(name: string): string {
  const slash = name.indexOf('/');
  return slash < 0 ? '' : name.slice(0, slash);
}

/**
 * Runs LOCO over candidates that all cover the same files. Ties go to the earlier candidate, so list
 * the simplest first. Throws when the candidates' file sets differ (a comparison on different files
 * would be meaningless) or when there are fewer than two categories.
 */
export function leaveOneCategoryOut(candidates: readonly LocoCandidate[], profiles: Profiles): LocoResult {
  if (candidates.length === 0) throw new RangeError('LOCO needs at least one candidate');
  const keys = (c: LocoCandidate): string => c.files.map((f) => f.name).sort().join('\n');
  const reference = keys(candidates[0] as LocoCandidate);
  for (const c of candidates) {
    if (keys(c) !== reference) throw new RangeError(`candidate ${c.name} covers other files than ${(candidates[0] as LocoCandidate).name}`);
  }
  const categories = [...new Set((candidates[0] as LocoCandidate).files.map((f) => categoryOf(f.name)))].sort();
  if (categories.length < 2) throw new RangeError(`LOCO needs at least two categories, got ${categories.length}`);
  const split = (c: LocoCandidate, held: string) => ({
    train: c.files.filter((f) => categoryOf(f.name) !== held),
    test: c.files.filter((f) => categoryOf(f.name) === held),
  });

  const out = {} as Record<ProfileName, { folds: LocoFold[]; total: number }>;
  for (const profile of PROFILE_NAMES) {
    const cost = profiles[profile];
    const folds: LocoFold[] = [];
    for (const held of categories) {
      let best: { name: string; threshold: number; score: number; test: readonly PreparedFile[] } | undefined;
      for (const c of candidates) {
        const { train, test } = split(c, held);
        const s = scorePreparedFiles(train, profiles)[profile];
        if (best === undefined || s.normalized > best.score) best = { name: c.name, threshold: s.threshold, score: s.normalized, test };
      }
      const chosen = best as NonNullable<typeof best>;
      const scored = chosen.test.map((f) => scoreFile(f, chosen.threshold, cost));
      const raw = scored.reduce((a, s) => a + s.raw, 0);
      const nullScore = scored.reduce((a, s) => a + s.null, 0);
      const perfect = scored.reduce((a, s) => a + s.perfect, 0);
      const falsePositives = scored.reduce((a, s) => a + s.fp, 0);
      folds.push({ category: held, chosen: chosen.name, threshold: chosen.threshold, trainScore: chosen.score, heldOutScore: normalizeScore(raw, nullScore, perfect), falsePositives, raw, null: nullScore, perfect });
    }
    const sum = (get: (f: LocoFold) => number): number => folds.reduce((a, f) => a + get(f), 0);
    out[profile] = { folds, total: normalizeScore(sum((f) => f.raw), sum((f) => f.null), sum((f) => f.perfect)) };
  }

  const plain: Record<string, Record<ProfileName, { total: number; byCategory: Record<string, number> }>> = {};
  for (const c of candidates) {
    const scores = scorePreparedFiles(c.files, profiles);
    plain[c.name] = {} as Record<ProfileName, { total: number; byCategory: Record<string, number> }>;
    for (const profile of PROFILE_NAMES) {
      const s = scores[profile];
      const byCategory: Record<string, number> = {};
      for (const cat of categories) {
        const inCat = s.files.filter((f) => categoryOf(f.name) === cat);
        byCategory[cat] = normalizeScore(
          inCat.reduce((a, f) => a + f.raw, 0),
          inCat.reduce((a, f) => a + f.null, 0),
          inCat.reduce((a, f) => a + f.perfect, 0),
        );
      }
      (plain[c.name] as Record<ProfileName, { total: number; byCategory: Record<string, number> }>)[profile] = { total: s.normalized, byCategory };
    }
  }
  return { categories, profiles: out, plain };
}
