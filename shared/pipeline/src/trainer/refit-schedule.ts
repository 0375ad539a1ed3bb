import type { TrainerConfig } from '@hourglass/core';

/**
 * When a group is refitted: the `trainer` section's rules, as one pure function that the trainer
 * service and embedded mode both call. Each runner brings its own clock: the service the wall
 * clock, embedded mode the stream's event time (the newest window end it has seen), so a file
 * replayed in seconds is refitted as the service would have refitted it live.
 */
export interface RefitSchedule {
  /** Fewest clean windows for a first fit. */
  readonly minWindows: number;
  /** Refit a group that has a model at least this often, on the runner's clock. */
  readonly refitIntervalMs: number;
  /** ...or once this many clean windows arrived since its current model was fitted. */
  readonly refitAfterNewWindows: number;
  /** After an attempt that did not promote, wait this long before trying the group again. */
  readonly retryAfterMissMs: number;
}

/** What the runner knows about one group, on its clock. */
export interface GroupFitState {
  /** Clean windows in the buffer now. */
  readonly buffered: number;
  /** Windows ever appended to the buffer (a counter that trimming does not lower). */
  readonly added: number;
  /** The current model: when it was fitted and the `added` counter then; null before the first. */
  readonly current: { readonly fittedAtMs: number; readonly addedAtFit: number } | null;
  /** When the last attempt that did not promote began; null when there was none since. */
  readonly lastMissAtMs: number | null;
}

export type RefitDecision =
  | { readonly due: true; readonly why: 'first_fit' | 'interval' | 'new_windows' }
  | { readonly due: false; readonly why: 'retry_wait' | 'too_few_windows' | 'not_yet' };

export function refitDue(schedule: RefitSchedule, state: GroupFitState, nowMs: number): RefitDecision {
  if (state.lastMissAtMs !== null && nowMs - state.lastMissAtMs < schedule.retryAfterMissMs) return { due: false, why: 'retry_wait' };
  if (state.current === null) return state.buffered >= schedule.minWindows ? { due: true, why: 'first_fit' } : { due: false, why: 'too_few_windows' };
  if (state.added - state.current.addedAtFit >= schedule.refitAfterNewWindows) return { due: true, why: 'new_windows' };
  if (nowMs - state.current.fittedAtMs >= schedule.refitIntervalMs) return { due: true, why: 'interval' };
  return { due: false, why: 'not_yet' };
}

/** The schedule of the config's `trainer` section. */
export function refitScheduleOf(trainer: TrainerConfig): RefitSchedule {
  return { minWindows: trainer.minWindows, refitIntervalMs: trainer.refitIntervalMs, refitAfterNewWindows: trainer.refitAfterNewWindows, retryAfterMissMs: trainer.retryAfterMissMs };
}
