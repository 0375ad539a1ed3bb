// Every metric that the rules and dashboards read is one that Hourglass really exports (or a
// Prometheus/kube-state-metrics one), and every label they match on is one that metric has.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { createMetricsRegistry, exportBackendInfo } from '@hourglass/runtime';
import { createIncidentsMetrics, createScorerMetrics, createTrainerMetrics, SeriesScoreGauges } from '@hourglass/pipeline';
import { createIngestMetrics } from '@hourglass/ingest';
import { EXTERNAL_METRICS, baseMetricName, dashboardQueries, definedMetricNames, metricSelectors, recordedNames, ruleQueries } from '../support/deploy-dashboards';

/** Label names per metric, from the services' own metric factories on real registries. */
async function realLabelNames(): Promise<Map<string, Set<string>>> {
  const registries: Registry[] = [createMetricsRegistry('deploy-test')];
  const scorer = new Registry();
  createScorerMetrics(scorer);
  new SeriesScoreGauges(scorer, { allowlist: [], topK: 1, hardCap: 1, trackedMax: 1 });
  exportBackendInfo(scorer, 'tensorflow');
  const trainer = new Registry();
  createTrainerMetrics(trainer);
  const ingest = new Registry();
  createIngestMetrics(ingest, () => 0);
  const incidents = new Registry();
  createIncidentsMetrics(incidents);
  registries.push(scorer, trainer, ingest, incidents);
  const out = new Map<string, Set<string>>();
  for (const registry of registries) {
    for (const metric of registry.getMetricsAsArray()) {
      const labels = new Set<string>([...((metric as unknown as { labelNames: string[] }).labelNames ?? []), 'job', 'instance', 'service', 'namespace', 'pod']);
      if ((metric as unknown as { type?: string }).type === 'histogram' || metric.constructor.name === 'Histogram') labels.add('le');
      out.set((metric as unknown as { name: string }).name, labels);
    }
  }
  return out;
}

test('every metric name used in rules and dashboards is defined by Hourglass code (or is up / kube-state-metrics)', async () => {
  const defined = definedMetricNames();
  const real = await realLabelNames();
  for (const name of real.keys()) defined.add(name); // hourglass_process_* default metrics
  const recorded = recordedNames();
  const unknown: string[] = [];
  for (const { where, expr } of [...ruleQueries(), ...dashboardQueries()]) {
    for (const name of metricSelectors(expr).keys()) {
      if (recorded.has(name) || name in EXTERNAL_METRICS) continue;
      if (!defined.has(baseMetricName(name, defined))) unknown.push(`${where}: ${name}`);
    }
  }
  assert.deepEqual(unknown, [], 'metrics used but not exported by any service');
  // The grep and the real factories agree on what exists.
  for (const name of real.keys()) if (name.startsWith('hourglass_') && !name.startsWith('hourglass_process_')) assert.ok(definedMetricNames().has(name), name);
});

test('every label that a rule or dashboard selector matches on exists on that metric', async () => {
  const real = await realLabelNames();
  const bad: string[] = [];
  for (const { where, expr } of [...ruleQueries(), ...dashboardQueries()]) {
    for (const [name, labels] of metricSelectors(expr)) {
      const known = real.get(baseMetricName(name, new Set(real.keys())));
      if (!known) continue; // recording rules, up, kube-state-metrics: not ours
      for (const label of labels) if (!known.has(label)) bad.push(`${where}: ${name}{${label}}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('the PromQL metric-name extractor finds names, skips functions, keywords, labels and strings', () => {
  const names = [...metricSelectors('sum by (group) (rate(a_total{x="b_total"}[5m])) / on (group) group_left max by (le) (hourglass:c:rate5m) > 3 * 3600 and time() - d offset 5m').keys()].sort();
  assert.deepEqual(names, ['a_total', 'd', 'hourglass:c:rate5m']);
  assert.deepEqual([...metricSelectors('up{service=~"ingest|scorer", job!="x"} == 0').get('up')!].sort(), ['job', 'service']);
});
