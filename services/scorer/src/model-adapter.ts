import type { Window } from '@hourglass/core';
import type { AnomalyModel } from '@hourglass/model';
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
      return model.score(windows).map((s, i) => {
        const w = windows[i]!;
        return {
          rawError: s.rawError,
          score: s.score,
          severity: s.severity,
          surprise: s.surprise,
          anomalous: s.isAnomaly,
          explanation: {
            topSteps: s.explanation.steps.map((x) => ({ step: x.step, ts: w.startMs + x.step * w.intervalMs, share: x.share })),
            topChannels: s.explanation.channels.map((x) => ({ channel: x.channel, share: x.share })),
          },
        };
      });
    },
    dispose: () => model.dispose(),
  };
}
