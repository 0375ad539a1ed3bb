import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The trainer's metrics (prefix `hourglass_trainer_`). */
export function createTrainerMetrics(registry: Registry) {
  const registers = [registry];
  return {
    lastSuccess: new Gauge({ name: 'hourglass_trainer_last_success_timestamp_seconds', help: 'When a fit of the group last promoted a version (Unix seconds).', labelNames: ['group'], registers }),
    duration: new Histogram({ name: 'hourglass_trainer_fit_duration_seconds', help: 'Duration of a refit, reading to promotion.', labelNames: ['group'], registers, buckets: [1, 2, 5, 10, 20, 40, 80, 160, 320, 640] }),
    loss: new Gauge({ name: 'hourglass_trainer_loss', help: 'Loss of the latest fit, by split (train, validation).', labelNames: ['group', 'split'], registers }),
    fits: new Counter({ name: 'hourglass_trainer_fits_total', help: 'Refits by outcome (promoted, rejected, failed) and reason.', labelNames: ['group', 'outcome', 'reason'], registers }),
    leftOutWindows: new Gauge({ name: 'hourglass_trainer_left_out_windows', help: 'Clean windows the group\'s last fit left out because their channels differ from the model\'s (series that need their own group).', labelNames: ['group'], registers }),
    bufferSize: new Gauge({ name: 'hourglass_trainer_buffer_windows', help: 'Clean windows available to the group\'s next fit.', labelNames: ['group'], registers }),
    feedbackWindows: new Gauge({ name: 'hourglass_trainer_feedback_windows', help: 'Windows of operators\' verdicts the group\'s last fit used, by verdict (false-positive: learned, weighted; confirmed: checked by the gate).', labelNames: ['group', 'verdict'], registers }),
    threshold: new Gauge({ name: 'hourglass_trainer_threshold', help: 'Threshold (calibrated score) of the version last promoted.', labelNames: ['group'], registers }),
  };
}

export type TrainerMetrics = ReturnType<typeof createTrainerMetrics>;
