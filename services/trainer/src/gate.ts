/**
 * The validation gate: a candidate replaces the current model only when it is no worse on recent
 * held-out clean windows, judged by reconstruction error (in data units, so models normalised on
 * different data compare fairly) and by the false-alarm rate at each model's own threshold.
 */
export interface HoldoutMetrics {
  /** Mean reconstruction error on the held-out windows, in squared data units. */
  readonly meanError: number;
  /** Share of held-out (clean) windows the model flags as anomalous. */
  readonly falseAlarmRate: number;
}

export interface GatePolicy {
  /** The candidate's error may exceed the current one's by this share (noise between fits). */
  readonly errorTolerance: number;
  /** The candidate's false-alarm rate may exceed max(current, this) by nothing. */
  readonly falseAlarmBudget: number;
  /**
   * The budget of a group's first model. Looser, because the alternative is no detection at all,
   * and the newest held-out windows of a young buffer often sit a little beyond what it has seen.
   */
  readonly firstModelFalseAlarmBudget: number;
}

/** Decides promotion; the reason is written for an operator reading the decision log. */
export function judge(policy: GatePolicy, candidate: HoldoutMetrics, current: HoldoutMetrics | null): { promote: boolean; reason: string } {
  const farLimit = current === null ? policy.firstModelFalseAlarmBudget : Math.max(current.falseAlarmRate, policy.falseAlarmBudget);
  if (candidate.falseAlarmRate > farLimit) {
    return { promote: false, reason: `false-alarm rate ${pct(candidate.falseAlarmRate)} on held-out clean windows exceeds ${pct(farLimit)}` };
  }
  if (current === null) return { promote: true, reason: 'first model of the group' };
  const errorLimit = current.meanError * (1 + policy.errorTolerance);
  if (candidate.meanError > errorLimit) {
    return { promote: false, reason: `held-out error ${fmt(candidate.meanError)} is worse than the current model's ${fmt(current.meanError)} (+${pct(policy.errorTolerance)} allowed)` };
  }
  return { promote: true, reason: `held-out error ${fmt(candidate.meanError)} vs ${fmt(current.meanError)}, false alarms ${pct(candidate.falseAlarmRate)} vs ${pct(current.falseAlarmRate)}` };
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

function fmt(x: number): string {
  return x.toPrecision(4);
}
