import { describeError } from '@hourglass/core';
import type { ScorerMetrics } from '@hourglass/pipeline';

/** Why a group has no model yet; bounded, since it is a metric label. */
export type ColdStartReason =
  | 'too_few_windows'
  | 'warmup_below_min_windows'
  | 'waiting_for_trainer'
  | 'fit_rejected'
  | 'fit_failed'
  | 'fit_skipped'
  | 'not_loaded'
  | 'registry_unreachable';

/** What a scorer can read about a group in cold start (the Redis registry and clean buffer). */
export interface ColdStartFacts {
  bufferSize(group: string): Promise<number>;
  /** When the oldest buffered window was appended (Unix ms), or null when the buffer is empty. */
  oldestBufferedMs(group: string): Promise<number | null>;
  /** The version the registry's pointer names, or null before the first promotion. */
  currentVersion(group: string): Promise<string | null>;
  /** The trainer's newest decision about the group (registry decision log), or null. */
  lastDecision(group: string): Promise<TrainerDecision | null>;
}

/** The fields of a trainer's decision-log entry that the scorer reads (`outcome` is absent in old entries). */
export interface TrainerDecision {
  readonly at: string;
  readonly outcome?: string;
  readonly promoted: boolean;
  readonly reason: string;
}

export interface ColdStartStatusOptions {
  readonly facts: ColdStartFacts;
  /** Groups that have no model in this scorer now (the stage's cold-start groups still without one). */
  readonly coldGroups: () => readonly string[];
  /** trainer.minWindows, trainer.checkIntervalMs and scorer.warmupWindows of the shared config. */
  readonly minWindows: number;
  readonly trainerCheckIntervalMs: number;
  readonly warmupWindows: number;
  readonly metrics: Pick<ScorerMetrics, 'coldStartSeconds'>;
  readonly now?: () => number;
}

/** What /readyz shows per group in cold start. */
export interface ColdStartView {
  readonly reason: ColdStartReason | 'checking';
  readonly why: string;
  readonly forSeconds: number;
}

/**
 * Says why each group is still in cold start, for /readyz and `hourglass_scorer_cold_start_seconds`.
 * It reads what decides it: the registry pointer (a model exists that this scorer has not loaded),
 * the trainer's last decision (a fit refused, failed or skipped, with its reason), and the clean
 * buffer against trainer.minWindows. The duration starts at the oldest buffered window, so a
 * restarted scorer does not start counting again.
 */
export class ColdStartStatus {
  private readonly views = new Map<string, ColdStartView & { sinceMs: number }>();
  private readonly firstSeen = new Map<string, number>();
  private readonly exported = new Map<string, ColdStartReason>();
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly options: ColdStartStatusOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Refreshes every `intervalMs` (only groups in cold start cost Redis reads). */
  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.refresh(), intervalMs);
    this.timer.unref();
    void this.refresh();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The groups in cold start and why, for /readyz. */
  describe(): Record<string, ColdStartView> {
    const out: Record<string, ColdStartView> = {};
    for (const group of this.options.coldGroups()) {
      const view = this.views.get(group);
      out[group] = view
        ? { reason: view.reason, why: view.why, forSeconds: Math.round((this.now() - view.sinceMs) / 1000) }
        : { reason: 'checking', why: 'no model yet; reading the registry and the clean buffer', forSeconds: 0 };
    }
    return out;
  }

  /** Re-reads the facts of every group in cold start and updates the gauge; concurrent calls share one pass. */
  refresh(): Promise<void> {
    this.running ??= this.refreshAll().finally(() => (this.running = undefined));
    return this.running;
  }

  private async refreshAll(): Promise<void> {
    const cold = new Set(this.options.coldGroups());
    for (const group of [...this.views.keys(), ...this.firstSeen.keys()]) {
      if (!cold.has(group)) this.forget(group);
    }
    await Promise.all([...cold].map((group) => this.refreshGroup(group)));
  }

  private async refreshGroup(group: string): Promise<void> {
    const now = this.now();
    if (!this.firstSeen.has(group)) this.firstSeen.set(group, now);
    let view: { reason: ColdStartReason; why: string; oldest: number | null };
    try {
      view = await this.inspect(group);
    } catch (error) {
      view = { reason: 'registry_unreachable', why: `cannot read the registry or the clean buffer: ${describeError(error)}`, oldest: null };
    }
    const sinceMs = Math.min(this.firstSeen.get(group)!, view.oldest ?? Number.POSITIVE_INFINITY);
    this.views.set(group, { reason: view.reason, why: view.why, forSeconds: 0, sinceMs });
    const previous = this.exported.get(group);
    if (previous !== undefined && previous !== view.reason) this.options.metrics.coldStartSeconds.remove({ group, reason: previous });
    this.options.metrics.coldStartSeconds.set({ group, reason: view.reason }, Math.max(0, (now - sinceMs) / 1000));
    this.exported.set(group, view.reason);
  }

  private async inspect(group: string): Promise<{ reason: ColdStartReason; why: string; oldest: number | null }> {
    const { facts, minWindows, warmupWindows, trainerCheckIntervalMs } = this.options;
    const [size, oldest, version, decision] = await Promise.all([facts.bufferSize(group), facts.oldestBufferedMs(group), facts.currentVersion(group), facts.lastDecision(group)]);
    const buffered = `${size} clean windows buffered`;
    if (version !== null) {
      return { reason: 'not_loaded', why: `the registry's current version is ${version}, but this scorer has not loaded it (refused, or not polled yet: see its log)`, oldest };
    }
    if (decision && !decision.promoted) {
      const outcome = decision.outcome === 'failed' ? 'failed' : decision.outcome === 'skipped' ? 'skipped' : 'rejected';
      const verb = outcome === 'rejected' ? 'refused' : outcome;
      return { reason: `fit_${outcome}`, why: `last fit ${verb} (${decision.at}): ${decision.reason}; ${buffered}`, oldest };
    }
    if (size < minWindows && size >= warmupWindows) {
      return { reason: 'warmup_below_min_windows', why: `no fit yet: ${buffered}, and the scorer buffers at most scorer.warmupWindows (${warmupWindows}) for a first fit, fewer than trainer.minWindows (${minWindows})`, oldest };
    }
    if (size < minWindows) return { reason: 'too_few_windows', why: `no fit yet: ${buffered}, the trainer fits from ${minWindows} (trainer.minWindows)`, oldest };
    return { reason: 'waiting_for_trainer', why: `no fit yet: ${buffered}, enough for a first fit; is a trainer running? (it checks every ${trainerCheckIntervalMs / 1000}s)`, oldest };
  }

  private forget(group: string): void {
    const reason = this.exported.get(group);
    if (reason !== undefined) this.options.metrics.coldStartSeconds.remove({ group, reason });
    this.exported.delete(group);
    this.views.delete(group);
    this.firstSeen.delete(group);
  }
}
