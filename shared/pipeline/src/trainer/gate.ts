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
  /**
   * What happens to a first model over that budget: `take` it with a warning (a group without a
   * model detects nothing, and a refit replaces it as soon as a candidate is within the budget or
   * raises fewer false alarms than it did: `judge`'s `provisional`), or `refuse` it (the group
   * stays in cold start and rolls its warm-up forward).
   */
  readonly firstModelOverBudget: 'take' | 'refuse';
}

/**
 * Why the gate decided as it did: a metric label and a code for programs, beside the operator's
 * sentence. `forgot_confirmed` is decided by the trainer stage after `judge`: the candidate no
 * longer flags an anomaly an operator confirmed (feedback/training-feedback.ts).
 */
export type GateCode = 'first_model' | 'first_model_over_budget' | 'gate_passed' | 'false_alarms' | 'worse_error' | 'forgot_confirmed';

export interface GateVerdict {
  readonly promote: boolean;
  readonly code: GateCode;
  /** Written for an operator reading the decision log; never parsed. */
  readonly reason: string;
}

/**
 * Decides promotion. `provisional` is given when the current model is a first model that was taken
 * over budget, with the false-alarm rate it had then: the held-out windows are the ones it let into
 * the clean buffer, so it would win an error comparison on them by construction (and raises few
 * false alarms on them), and stay for good. It is replaced by the first candidate within the
 * first-model budget or raising fewer false alarms than it did when it was taken; the error is
 * not compared.
 */
export function judge(policy: GatePolicy, candidate: HoldoutMetrics, current: HoldoutMetrics | null, provisional?: { readonly falseAlarmRate: number }): GateVerdict {
  if (current !== null && provisional) {
    if (candidate.falseAlarmRate <= policy.firstModelFalseAlarmBudget || candidate.falseAlarmRate < provisional.falseAlarmRate) {
      return {
        promote: true, code: 'gate_passed',
        reason: `replaces a first model taken over budget (false-alarm rate ${pct(provisional.falseAlarmRate)} when taken): false alarms ${pct(candidate.falseAlarmRate)}, held-out error ${fmt(candidate.meanError)} vs ${fmt(current.meanError)} not compared`,
      };
    }
    return { promote: false, code: 'false_alarms', reason: `false-alarm rate ${pct(candidate.falseAlarmRate)} on held-out clean windows exceeds the first-model budget ${pct(policy.firstModelFalseAlarmBudget)} and the ${pct(provisional.falseAlarmRate)} of the first model taken over budget` };
  }
  const farLimit = current === null ? policy.firstModelFalseAlarmBudget : Math.max(current.falseAlarmRate, policy.falseAlarmBudget);
  if (candidate.falseAlarmRate > farLimit) {
    if (current === null && policy.firstModelOverBudget === 'take') {
      return {
        promote: true, code: 'first_model_over_budget',
        reason: `first model taken over budget: false-alarm rate ${pct(candidate.falseAlarmRate)} on held-out clean windows exceeds ${pct(farLimit)}, but without a model the group detects nothing; the next refit replaces it once a candidate raises fewer`,
      };
    }
    return { promote: false, code: 'false_alarms', reason: `false-alarm rate ${pct(candidate.falseAlarmRate)} on held-out clean windows exceeds ${pct(farLimit)}` };
  }
  if (current === null) return { promote: true, code: 'first_model', reason: 'first model of the group' };
  const errorLimit = current.meanError * (1 + policy.errorTolerance);
  if (candidate.meanError > errorLimit) {
    return { promote: false, code: 'worse_error', reason: `held-out error ${fmt(candidate.meanError)} is worse than the current model's ${fmt(current.meanError)} (+${pct(policy.errorTolerance)} allowed)` };
  }
  return { promote: true, code: 'gate_passed', reason: `held-out error ${fmt(candidate.meanError)} vs ${fmt(current.meanError)}, false alarms ${pct(candidate.falseAlarmRate)} vs ${pct(current.falseAlarmRate)}` };
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

function fmt(x: number): string {
  return x.toPrecision(4);
}
