import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The incidents stage's metrics (prefix `hourglass_incidents_`); labels are bounded: model groups, states, bands, outcomes. */
export function createIncidentsMetrics(registry: Registry) {
  const registers = [registry];
  return {
    messages: new Counter({
      name: 'hourglass_incidents_total', labelNames: ['group', 'state', 'band'], registers,
      help: 'Incident messages published, by the model group of the incident\'s first series, state (open, updated, closed) and severity band (0-3) of the incident.',
    }),
    open: new Gauge({ name: 'hourglass_incidents_open', help: 'Incidents open now, by the model group of their first series.', labelNames: ['group'], registers }),
    members: new Histogram({
      name: 'hourglass_incidents_members', help: 'Member episodes of each incident when it closed.', registers,
      buckets: [1, 2, 3, 5, 8, 13, 21, 50, 100],
    }),
    events: new Counter({
      name: 'hourglass_incidents_events_total', labelNames: ['outcome'], registers,
      help: 'Anomaly events taken, by what they did: opened (an incident), joined, updated, unchanged, replayed (dropped), orphaned (a closed event of an episode never seen).',
    }),
    forcedCloses: new Counter({ name: 'hourglass_incidents_forced_closes_total', help: 'Incidents closed early because more than incidents.maxOpenIncidents were open.', registers }),
    storeFailures: new Counter({ name: 'hourglass_incidents_store_failures_total', help: 'Writes or reads of the incident store that failed (Redis down); writes are retried with the next batch.', registers }),
    failedBatches: new Counter({ name: 'hourglass_incidents_failed_batches_total', help: 'Batches whose incident messages were not published; nothing of them was committed, and they are redelivered.', registers }),
    undecodable: new Counter({ name: 'hourglass_incidents_undecodable_events_total', help: 'Messages on the anomalies topic that are not anomaly events; skipped.', registers }),
    consumerLag: new Gauge({ name: 'hourglass_incidents_consumer_lag', help: 'Anomaly events behind the partition\'s high watermark when its last batch was fetched.', labelNames: ['topic', 'partition'], registers }),
  };
}

export type IncidentsMetrics = ReturnType<typeof createIncidentsMetrics>;
