import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Metrics of the episode codes and similarity lookups (prefix `hourglass_scorer_`, by model group). */
export function createCodesMetrics(registry: Registry) {
  const registers = [registry];
  return {
    computed: new Counter({ name: 'hourglass_scorer_codes_total', help: 'Episode peak codes computed and stored (one per event that raised its episode\'s peak), by group.', labelNames: ['group'], registers }),
    writeFailures: new Counter({ name: 'hourglass_scorer_code_write_failures_total', help: 'Episode codes that could not be stored (Redis down), by group; their episodes are missing from later lookups.', labelNames: ['group'], registers }),
    stored: new Gauge({ name: 'hourglass_scorer_codes_stored', help: 'Episode codes this scorer holds for lookups, by group.', labelNames: ['group'], registers }),
    lookups: new Counter({ name: 'hourglass_scorer_similar_lookups_total', help: 'Similar-episode lookups, by group.', labelNames: ['group'], registers }),
    lookupSeconds: new Histogram({
      name: 'hourglass_scorer_similar_lookup_seconds', help: 'Time of one similar-episode lookup (Hamming distances over the group\'s codes, then the exact rerank).', registers,
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05],
    }),
    reencoded: new Counter({ name: 'hourglass_scorer_codes_reencoded_total', help: 'Stored episode windows re-encoded with a new model version, so their hashes compare with its codes, by group.', labelNames: ['group'], registers }),
  };
}

export type CodesMetrics = ReturnType<typeof createCodesMetrics>;
