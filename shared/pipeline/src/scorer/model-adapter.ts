import type { Explanation, Window } from '@hourglass/core';
import type { AnomalyModel, ScoreBatch } from '@hourglass/model';
import type { ScoringModel, WindowScore } from './ports';

/** Wraps a fitted AnomalyModel as the scorer's ScoringModel for one group and version. */
export function toScoringModel(model: AnomalyModel, group: string, version: string): ScoringModel {
  const { shape } = model.manifest;
  const channels = shape.channels.join('\u0000');
  return {
    group,
    version,
    threshold: model.threshold.score,
    steps: shape.steps,
    accepts: (w: Window) => w.values.length === shape.steps * shape.channels.length && w.channels.join('\u0000') === channels,
    score(windows: readonly Window[]): WindowScore[] {
      const batch = new LazyExplanations(model.scoreBatch(windows));
      const out: WindowScore[] = new Array(windows.length);
      for (let i = 0; i < windows.length; i += 1) out[i] = new LeanWindowScore(batch, i);
      return out;
    },
    // The model's lean batch is already columns; its explain(rows) is one pass over those rows.
    scoreColumns: (windows: readonly Window[]) => model.scoreBatch(windows),
    bands: (windows: readonly Window[], coverage: number) => model.bands(windows, coverage),
    encode: (windows: readonly Window[]) => model.encode(windows),
    codeCenter: model.codeCenter,
    dispose: () => model.dispose(),
  };
}

/**
 * A window's verdict read from its batch's columns; the explanation is computed when first read
 * (a prototype getter: no closure per window), so windows that emit no event never pay for one.
 */
class LeanWindowScore implements WindowScore {
  readonly rawError: number;
  readonly score: number;
  readonly severity: number;
  readonly surprise: number;
  readonly anomalous: boolean;
  readonly aboveThreshold: boolean;

  constructor(private readonly batch: LazyExplanations, private readonly index: number) {
    const s = batch.scores;
    this.rawError = s.rawError[index] as number;
    this.score = s.score[index] as number;
    this.severity = s.severity[index] as number;
    this.surprise = s.surprise[index] as number;
    this.anomalous = s.anomalous[index] === 1;
    this.aboveThreshold = s.aboveThreshold[index] === 1;
  }

  get explanation(): Explanation {
    return this.batch.get(this.index);
  }
}

/**
 * Explanations of one batch, computed in as few network passes as possible. The first read
 * explains every anomalous window of the batch at once (open and ongoing events come from those;
 * ongoing updates are rate-limited, so some go unused, but one pass over a few rows costs about as
 * much as one row), and later reads of other windows (an episode's closing window is normal) one each.
 */
class LazyExplanations {
  private readonly done = new Map<number, Explanation>();
  private first = true;

  constructor(readonly scores: ScoreBatch) {}

  get(index: number): Explanation {
    const known = this.done.get(index);
    if (known) return known;
    const rows = [index];
    if (this.first) {
      for (let i = 0; i < this.scores.n; i += 1) if (this.scores.anomalous[i] === 1 && i !== index) rows.push(i);
      this.first = false;
    }
    this.scores.explain(rows).forEach((e, k) => this.done.set(rows[k] as number, e));
    return this.done.get(index) as Explanation;
  }
}
