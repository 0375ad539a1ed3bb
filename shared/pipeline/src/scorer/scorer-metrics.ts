import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The scorer's metrics (prefix `hourglass_scorer_`, plus the contract's per-series gauge). */
export function createScorerMetrics(registry: Registry) {
  const registers = [registry];
  return {
    windows: new Counter({ name: 'hourglass_scorer_windows_total', help: 'Windows scored, by model group.', labelNames: ['group'], registers }),
    scores: new Histogram({
      name: 'hourglass_scorer_score', help: 'Calibrated anomaly scores (0 to 1) by model group.', labelNames: ['group'], registers,
      buckets: [0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999, 1],
    }),
    anomalies: new Counter({ name: 'hourglass_scorer_anomalous_windows_total', help: 'Windows above their threshold, by group and severity band (0-3).', labelNames: ['group', 'band'], registers }),
    episodes: new Counter({ name: 'hourglass_scorer_episodes_total', help: 'Anomaly episode events published, by group, state (open, ongoing, closed) and severity band.', labelNames: ['group', 'state', 'band'], registers }),
    openEpisodes: new Gauge({ name: 'hourglass_scorer_open_episodes', help: 'Episodes currently open in this scorer, by group.', labelNames: ['group'], registers }),
    threshold: new Gauge({ name: 'hourglass_scorer_threshold', help: 'Current model threshold (calibrated score), by group.', labelNames: ['group'], registers }),
    modelInfo: new Gauge({ name: 'hourglass_scorer_model_info', help: 'Always 1 for the model version each group uses now.', labelNames: ['group', 'version'], registers }),
    modelLoaded: new Gauge({ name: 'hourglass_scorer_model_loaded', help: '1 when the group has a model, 0 while it is in cold start.', labelNames: ['group'], registers }),
    modelSwaps: new Counter({ name: 'hourglass_scorer_model_swaps_total', help: 'Model hot-swaps, by group and outcome (loaded, refused).', labelNames: ['group', 'outcome'], registers }),
    inferenceSeconds: new Histogram({
      name: 'hourglass_scorer_inference_duration_seconds', help: 'Time to score one group batch on the TensorFlow backend.', labelNames: ['group'], registers,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    }),
    batchSize: new Histogram({ name: 'hourglass_scorer_batch_size', help: 'Windows per micro-batch.', registers, buckets: [1, 8, 32, 128, 512, 1024, 2048, 4096, 8192] }),
    eventLatency: new Histogram({
      name: 'hourglass_scorer_event_latency_seconds', help: 'From a window\'s newest point to its anomaly event being published, by clock (event time or ingest time).', labelNames: ['from'], registers,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    }),
    bufferWrites: new Counter({ name: 'hourglass_scorer_buffer_writes_total', help: 'Windows appended to the clean buffer, by group.', labelNames: ['group'], registers }),
    bufferDrops: new Counter({ name: 'hourglass_scorer_buffer_drops_total', help: 'Clean-buffer writes dropped because Redis failed, by group.', labelNames: ['group'], registers }),
    heldBackWrites: new Counter({ name: 'hourglass_scorer_held_back_writes_total', help: 'Windows kept out of the clean buffer (anomalous or in an episode) and stored for feedback, by group.', labelNames: ['group'], registers }),
    heldBackDrops: new Counter({ name: 'hourglass_scorer_held_back_drops_total', help: 'Held-back windows not stored for feedback because Redis failed, by group.', labelNames: ['group'], registers }),
    coldStartSeconds: new Gauge({
      name: 'hourglass_scorer_cold_start_seconds', labelNames: ['group', 'reason'], registers,
      help: 'How long the group has had no model (since its oldest buffered window, or since this scorer first saw it without one), by why (too_few_windows, fit_rejected, ...); absent once it has one.',
    }),
    coldStartAlertAfter: new Gauge({ name: 'hourglass_scorer_cold_start_alert_after_seconds', help: 'scorer.coldStartAlertAfterMs: cold start longer than this is an alert (HourglassGroupStuckInColdStart).', registers }),
    coldStartWindows: new Counter({ name: 'hourglass_scorer_cold_start_windows_total', help: 'Windows buffered for a first fit while the group had no model.', labelNames: ['group'], registers }),
    consumerLag: new Gauge({ name: 'hourglass_scorer_consumer_lag', help: 'Windows behind the partition\'s high watermark when its last batch was fetched.', labelNames: ['topic', 'partition'], registers }),
    undecodable: new Counter({ name: 'hourglass_scorer_undecodable_windows_total', help: 'Messages on the windows topic that did not decode; skipped.', registers }),
    unscorable: new Counter({ name: 'hourglass_scorer_unscorable_windows_total', help: 'Windows whose shape (steps, channels) differs from their group\'s model; not scored.', labelNames: ['group'], registers }),
    failedBatches: new Counter({ name: 'hourglass_scorer_failed_batches_total', help: 'Consumer batches that failed (their events were not published) and are redelivered; nothing of them was committed.', registers }),
    checkpointFailures: new Counter({ name: 'hourglass_scorer_episode_checkpoint_failures_total', help: 'Episode-state checkpoints that failed (Redis down).', registers }),
  };
}

export type ScorerMetrics = ReturnType<typeof createScorerMetrics>;
