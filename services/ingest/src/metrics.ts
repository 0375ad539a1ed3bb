import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { REJECT_REASONS } from '@hourglass/core';

/** The ingest stage's Prometheus metrics (prefix `hourglass_ingest_`); every label set is bounded. */
export interface IngestMetrics {
  readonly points: Counter<'outcome'>;
  readonly windows: Counter;
  readonly deadLetters: Counter<'reason'>;
  readonly latePoints: Counter;
  readonly duplicatePoints: Counter;
  readonly evictions: Counter;
  readonly stateResets: Counter<'cause'>;
  readonly lag: Gauge<'topic' | 'partition'>;
  readonly produceSeconds: Histogram;
}

/** Registers the ingest metrics on `registry`; `liveSeries` is read at scrape time. */
export function createIngestMetrics(registry: Registry, liveSeries: () => number): IngestMetrics {
  const registers = [registry];
  const deadLetters = new Counter({ name: 'hourglass_ingest_dead_letters_total', help: 'Messages sent to the dead-letter topic, by reason.', labelNames: ['reason'], registers });
  for (const reason of REJECT_REASONS) deadLetters.inc({ reason }, 0); // every reason visible from the start
  new Gauge({
    name: 'hourglass_ingest_live_series',
    help: 'Series with live window state in this process.',
    registers,
    collect() {
      this.set(liveSeries());
    },
  });
  return {
    points: new Counter({ name: 'hourglass_ingest_points_total', help: 'Input points by outcome (one per JSON message; each point of an Influx, Prometheus or OTLP message): accepted, duplicate (merged, no window changes) or rejected (dead-lettered).', labelNames: ['outcome'], registers }),
    windows: new Counter({ name: 'hourglass_ingest_windows_total', help: 'Windows produced to the windows topic and acknowledged.', registers }),
    deadLetters,
    latePoints: new Counter({ name: 'hourglass_ingest_late_points_total', help: 'Points later than the allowed lateness (dropped from windowing, dead-lettered as too_late).', registers }),
    duplicatePoints: new Counter({ name: 'hourglass_ingest_duplicate_points_total', help: 'Points on an already occupied step, merged per the duplicates policy.', registers }),
    evictions: new Counter({ name: 'hourglass_ingest_series_evictions_total', help: 'Series whose state was evicted (live-series cap or idle timeout).', registers }),
    stateResets: new Counter({ name: 'hourglass_ingest_state_resets_total', help: 'Times all window state was dropped and rebuilt by replay, by cause (rebalance, produce_failure).', labelNames: ['cause'], registers }),
    lag: new Gauge({ name: 'hourglass_ingest_consumer_lag', help: 'Messages between the last fetched offset and the high watermark, per assigned partition.', labelNames: ['topic', 'partition'], registers }),
    produceSeconds: new Histogram({
      name: 'hourglass_ingest_produce_duration_seconds',
      help: 'Time for one batch of windows and dead letters to be acknowledged by Kafka.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
  };
}
