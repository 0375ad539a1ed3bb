import type { HourglassConfig } from '@hourglass/core';
import type { RefitPolicy } from './trainer-stage';

/** The refit policy of the config's `trainer` section. */
export function refitPolicy(config: HourglassConfig): RefitPolicy {
  const t = config.trainer;
  return {
    maxWindows: t.maxWindows, minWindows: t.minWindows, holdoutFraction: t.holdoutFraction, maxContamination: t.maxContamination,
    gate: { errorTolerance: t.gateErrorTolerance, falseAlarmBudget: t.gateFalseAlarmBudget, firstModelFalseAlarmBudget: t.gateFirstModelFalseAlarmBudget, firstModelOverBudget: t.gateFirstModelOverBudget }, lockTtlMs: t.lockTtlMs,
  };
}
