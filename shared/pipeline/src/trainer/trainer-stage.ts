import { describeError, stillFlagged, type ModelConfigInput, type Window } from '@hourglass/core';
import { fitModel, loadModel, type AnomalyModel } from '@hourglass/model';
import type { Logger } from '@hourglass/runtime';
import { describeLeftOut, selectChannelSet } from './channel-sets';
import type { AdoptionLog } from '../adoption/adoption-log';
import { checkConfirmed, feedbackReport, loadTrainingFeedback, weightedFalsePositives, type TrainingFeedback, type TrainingFeedbackPolicy } from '../feedback/training-feedback';
import { judge, type GateCode, type GatePolicy, type HoldoutMetrics } from './gate';
import type { CleanWindowSource, ModelStore, TrainLocks } from './ports';
import type { TrainerMetrics } from './trainer-metrics';

/** How one group is refitted. Units in the names. */
export interface RefitPolicy {
  /** Most recent clean windows read per fit (N). */
  readonly maxWindows: number;
  /** Fewer clean windows than this: no fit (cold start continues). */
  readonly minWindows: number;
  /** Newest share of the windows held out from fitting, for the gate and the contamination check. */
  readonly holdoutFraction: number;
  /** Refuse to fit when the current model flags more than this share of the buffer (poisoning). */
  readonly maxContamination: number;
  readonly gate: GatePolicy;
  /** Lock lifetime; extended while fitting, so a crashed trainer frees the group within this. */
  readonly lockTtlMs: number;
}

/** What a refit attempt did. */
export type RefitOutcome =
  | { readonly status: 'promoted'; readonly version: string; readonly reason: string; readonly code: GateCode }
  | { readonly status: 'rejected'; readonly reason: string }
  | { readonly status: 'skipped'; readonly reason: string };

export interface TrainerStageOptions {
  readonly source: CleanWindowSource;
  readonly store: ModelStore;
  readonly locks: TrainLocks;
  readonly metrics: TrainerMetrics;
  /** Adoptions of a new normal recorded by the scorers: a buffer holding one is not refused as contaminated. Default none. */
  readonly adoptions?: AdoptionLog;
  /** Operators' verdicts: false positives are learned (weighted), confirmed anomalies must stay flagged. Default none. */
  readonly feedback?: TrainingFeedbackPolicy;
  readonly log: Logger;
  readonly now?: () => number;
}

/**
 * The trainer's stage, shared by the service and embedded mode: one refit of one group, from
 * reading its clean buffer to moving the registry pointer. Fitting happens before anything is
 * written, and a version is written whole before the pointer moves, so a crash at any point
 * leaves the current model in place.
 */
export class TrainerStage {
  constructor(private readonly options: TrainerStageOptions) {}

  /** Refits `group` once. `extraReport` is stored with a promoted version (e.g. the buffer position). */
  async refit(group: string, modelConfig: ModelConfigInput, policy: RefitPolicy, extraReport: Readonly<Record<string, unknown>> = {}): Promise<RefitOutcome> {
    const lock = await this.options.locks.tryLock(group, policy.lockTtlMs);
    if (!lock) return { status: 'skipped', reason: 'another trainer holds this group' };
    const keepAlive = setInterval(() => void lock.extend(policy.lockTtlMs).catch(() => undefined), Math.max(100, policy.lockTtlMs / 3));
    try {
      return await this.refitLocked(group, modelConfig, policy, extraReport);
    } finally {
      clearInterval(keepAlive);
      await lock.release().catch(() => undefined);
    }
  }

  private async refitLocked(group: string, modelConfig: ModelConfigInput, policy: RefitPolicy, extraReport: Readonly<Record<string, unknown>>): Promise<RefitOutcome> {
    const { metrics, log, store } = this.options;
    const started = Date.now();
    const buffered = await this.options.source.recent(group, policy.maxWindows);
    metrics.bufferSize.set({ group }, buffered.length);
    if (buffered.length < policy.minWindows) return { status: 'skipped', reason: `only ${buffered.length} clean windows (need ${policy.minWindows})` };

    const stored = await store.loadCurrent(group);
    const current = stored ? await loadModel(stored.artifact) : null;
    let candidate: AnomalyModel | null = null;
    try {
      const selection = selectChannelSet(buffered, current?.manifest.shape.channels);
      const windows = selection.kept;
      const leftOutCount = buffered.length - windows.length;
      metrics.leftOutWindows.set({ group }, leftOutCount);
      if (leftOutCount > 0) {
        log.warn(
          { group, channels: selection.channels, leftOut: selection.leftOut },
          `left ${leftOutCount} of ${buffered.length} clean windows out of the fit: their channels differ from the group's [${selection.channels.join(', ')}] (${describeLeftOut(selection.leftOut)}); give those series their own group`,
        );
      }
      if (windows.length < policy.minWindows) {
        const reason = `only ${windows.length} clean windows with channels [${selection.channels.join(', ')}] (need ${policy.minWindows}); left out ${describeLeftOut(selection.leftOut)}`;
        await store.recordDecision({ group, at: new Date(this.now()).toISOString(), outcome: 'skipped', promoted: false, reason, candidate: {}, current: null, version: null });
        return { status: 'skipped', reason };
      }

      // Split by time: the newest windows judge the candidate; the older ones train it.
      const holdoutCount = Math.max(1, Math.floor(windows.length * policy.holdoutFraction));
      const training = windows.slice(0, windows.length - holdoutCount);
      const holdout = windows.slice(windows.length - holdoutCount);
      // A buffer holding an adopted new normal is flagged by the model it replaces, on purpose.
      const adopted = stored !== null && (await this.options.adoptions?.adoptedUnder(group, stored.version)) === true;
      if (current && adopted) log.info({ group, version: stored?.version }, 'a series adopted a new normal under the current model: the contamination check is skipped for this fit');
      if (current && !adopted) {
        const contamination = flaggedShare(current, windows);
        if (contamination > policy.maxContamination) {
          return await this.reject(group, 'contaminated', `buffer looks contaminated: the current model flags ${(100 * contamination).toFixed(1)}% of it (limit ${(100 * policy.maxContamination).toFixed(1)}%)`, null, null);
        }
      }
      // Verdicts: a false positive's windows join the training windows (never the held-out ones).
      const fb = await this.trainingFeedback(group, windows[0] as Window);
      if (fb && fb.falsePositives.length > 0) training.push(...weightedFalsePositives(fb.falsePositives, this.options.feedback!.falsePositiveWeight, policy.maxWindows));
      const config = { ...(modelConfig as object), robust: { enabled: true, ...((modelConfig as { robust?: object }).robust ?? {}) } } as ModelConfigInput;
      candidate = await fitModel(config, training, {
        onProgress: async (p) => {
          log.debug({ group, ...p }, 'training epoch');
          // Fitting is synchronous TensorFlow work; yielding once per epoch keeps /healthz, /readyz
          // and /metrics answering (and the lock extended) during a long fit.
          await new Promise((resolve) => setImmediate(resolve));
        },
      });
      const report = candidate.manifest.training;
      const last = report.history[report.history.length - 1];
      if (last) {
        metrics.loss.set({ group, split: 'train' }, last.trainLoss);
        metrics.loss.set({ group, split: 'validation' }, report.bestValidationLoss);
      }
      const candidateMetrics = holdoutMetrics(candidate, holdout);
      const currentMetrics = current ? holdoutMetrics(current, holdout) : null;
      // A candidate that learns a false positive the current model still raises spends some of its
      // capacity on that pattern, so its error on clean windows may rise a little: that one check is
      // waived for it (as the contamination check is for an adoption); the false-alarm check stays.
      const unlearned = fb && current ? stillRaised(fb, current, this.options.feedback!.openAfterWindows(group)) : [];
      if (unlearned.length > 0) log.info({ group, episodes: unlearned }, 'the current model still raises false positives operators reported: the held-out error check is waived for this fit');
      // Errors of models that transform values differently (docs/models.md, "Transform") are in
      // different units and do not compare: then only the false-alarm check judges.
      const otherUnits = current !== null && !sameTransform(candidate, current);
      if (otherUnits) log.info({ group }, 'the candidate transforms values differently from the current model: the held-out error check is waived for this fit');
      const gatePolicy = unlearned.length > 0 || otherUnits ? { ...policy.gate, errorTolerance: Number.POSITIVE_INFINITY } : policy.gate;
      const verdict = judge(gatePolicy, candidateMetrics, currentMetrics, takenOverBudget(stored?.report, policy.gate));
      if (!verdict.promote) return await this.reject(group, verdict.code, verdict.reason, candidateMetrics, currentMetrics);
      // An anomaly an operator confirmed must keep alerting: a candidate that forgot one is refused.
      const flags = (model: AnomalyModel) => (ws: readonly Window[]) => model.score(ws).map((s) => s.anomalous);
      const confirmed = fb ? checkConfirmed(fb.confirmed, this.options.feedback!.openAfterWindows(group), flags(candidate), current ? flags(current) : null) : null;
      if (confirmed && confirmed.forgotten.length > 0) {
        const named = confirmed.forgotten.map((f) => `${f.episodeId} on ${f.series} (${f.candidateFlagged} of ${f.windows} windows flagged, the current model ${f.currentFlagged})`).join('; ');
        return await this.reject(group, 'forgot_confirmed', `the candidate no longer flags ${confirmed.forgotten.length} confirmed anomal${confirmed.forgotten.length === 1 ? 'y' : 'ies'}: ${named}`, candidateMetrics, currentMetrics);
      }

      const artifact = candidate.toArtifact();
      const leftOut = selection.leftOut.length > 0 ? { channels: selection.channels, leftOut: selection.leftOut } : {};
      const feedback = fb ? { feedback: feedbackReport(fb, this.options.feedback!.falsePositiveWeight, confirmed?.checks ?? []) } : {};
      const { version } = await store.putVersion(group, artifact, { ...extraReport, ...leftOut, ...feedback, training: report, gate: { candidate: candidateMetrics, current: currentMetrics }, reason: verdict.reason, code: verdict.code });
      await store.setCurrent(group, version);
      await store.recordDecision({ group, at: new Date(this.now()).toISOString(), outcome: 'promoted', promoted: true, reason: verdict.reason, candidate: { ...candidateMetrics }, current: currentMetrics ? { ...currentMetrics } : null, version });
      metrics.fits.inc({ group, outcome: 'promoted', reason: verdict.code });
      metrics.lastSuccess.set({ group }, this.now() / 1000);
      metrics.duration.observe({ group }, (Date.now() - started) / 1000);
      metrics.threshold.set({ group }, candidate.threshold.score);
      if (verdict.code === 'first_model_over_budget') log.warn({ group, version, reason: verdict.reason, windows: training.length }, 'took a first model over the false-alarm budget; expect noisy episodes until a refit replaces it');
      else log.info({ group, version, reason: verdict.reason, windows: training.length }, 'promoted a new model version');
      return { status: 'promoted', version, reason: verdict.reason, code: verdict.code };
    } catch (error) {
      metrics.fits.inc({ group, outcome: 'failed', reason: 'error' });
      // Best effort, so that `models list` and the scorers' /readyz can say why there is no model;
      // when Redis itself is what failed, this fails too and the thrown error says so.
      await store
        .recordDecision({ group, at: new Date(this.now()).toISOString(), outcome: 'failed', promoted: false, reason: `fit failed: ${describeError(error)}`, candidate: {}, current: null, version: null })
        .catch(() => undefined);
      throw error;
    } finally {
      candidate?.dispose();
      current?.dispose();
    }
  }

  /** The group's verdicts with their windows of the fit's shape, or null without feedback; counted per verdict. */
  private async trainingFeedback(group: string, like: Window): Promise<TrainingFeedback | null> {
    const policy = this.options.feedback;
    if (!policy) return null;
    const fb = await loadTrainingFeedback(policy.reader, group, (w) => sameShape(w, like));
    const count = (list: TrainingFeedback['confirmed']) => list.reduce((n, e) => n + e.windows.length, 0);
    this.options.metrics.feedbackWindows.set({ group, verdict: 'false-positive' }, count(fb.falsePositives));
    this.options.metrics.feedbackWindows.set({ group, verdict: 'confirmed' }, count(fb.confirmed));
    return fb;
  }

  private async reject(group: string, code: 'contaminated' | GateCode, reason: string, candidate: HoldoutMetrics | null, current: HoldoutMetrics | null): Promise<RefitOutcome> {
    this.options.metrics.fits.inc({ group, outcome: 'rejected', reason: code });
    await this.options.store.recordDecision({
      group, at: new Date(this.now()).toISOString(), outcome: 'rejected', promoted: false, reason,
      candidate: candidate ? { ...candidate } : {}, current: current ? { ...current } : null, version: null,
    });
    // A first model refused leaves the group in cold start: say that, not "kept the current model".
    const hasCurrent = current !== null || code === 'contaminated';
    this.options.log.warn({ group, reason }, hasCurrent ? 'kept the current model' : 'refused the first model; the group stays in cold start');
    return { status: 'rejected', reason };
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}

/** The false positives the model would still open an episode on (their episode ids). */
function stillRaised(fb: TrainingFeedback, model: AnomalyModel, openAfterWindows: number): string[] {
  return fb.falsePositives
    .filter((e) => e.windows.length > 0 && stillFlagged(model.score(e.windows).map((s) => s.anomalous), openAfterWindows))
    .map((e) => e.feedback.episodeId);
}

/** Whether two windows have one shape (length and channels), so one model takes both. */
function sameShape(a: Window, b: Window): boolean {
  return a.values.length === b.values.length && a.channels.length === b.channels.length && a.channels.every((c, i) => c === b.channels[i]);
}

/** True when both models see values through the same per-channel transform (none counts as null). */
function sameTransform(a: AnomalyModel, b: AnomalyModel): boolean {
  const ta = a.manifest.normalisation.transform;
  const tb = b.manifest.normalisation.transform;
  const n = Math.max(ta?.length ?? 0, tb?.length ?? 0);
  for (let ch = 0; ch < n; ch += 1) if ((ta?.[ch] ?? null) === null !== ((tb?.[ch] ?? null) === null)) return false;
  return true;
}

/**
 * The false-alarm rate a current first model had when the gate took it over budget, read from its
 * stored report (the verdict's code; a report written before codes were stored says it by a first
 * model's rate over today's budget), else undefined.
 */
function takenOverBudget(report: unknown, gate: RefitPolicy['gate']): { falseAlarmRate: number } | undefined {
  const r = report as { code?: unknown; gate?: { candidate?: { falseAlarmRate?: unknown }; current?: unknown } } | undefined;
  const rate = r?.gate?.candidate?.falseAlarmRate;
  if (typeof rate !== 'number') return undefined;
  const over = r?.code === undefined ? r?.gate?.current === null && rate > gate.firstModelFalseAlarmBudget : r.code === 'first_model_over_budget';
  return over ? { falseAlarmRate: rate } : undefined;
}

/** Share of windows a model flags as anomalous at its own threshold. */
function flaggedShare(model: AnomalyModel, windows: readonly Window[]): number {
  if (windows.length === 0) return 0;
  return model.score(windows).filter((s) => s.anomalous).length / windows.length;
}

/**
 * Held-out error in squared data units: the model's error (in its normalised units) times the
 * mean squared scale of its normalisation, so two models normalised on different data compare.
 */
function holdoutMetrics(model: AnomalyModel, holdout: readonly Window[]): HoldoutMetrics {
  const scores = model.score(holdout);
  const scale = model.manifest.normalisation.scale;
  const unit = scale.reduce((sum, s) => sum + s * s, 0) / scale.length;
  const meanError = (scores.reduce((sum, s) => sum + s.rawError, 0) / scores.length) * unit;
  return { meanError, falseAlarmRate: scores.filter((s) => s.anomalous).length / scores.length };
}
