#!/usr/bin/env node
// Generates the Grafana dashboards in deploy/grafana/dashboards/ from the compact panel lists
// below, so that every panel has the same datasource, variables and layout rules. Edit this file,
// then run `node deploy/grafana/dashboards.mjs`; `--check` fails when the JSON files are stale
// (the deploy tests run it). Queries use raw metrics with $__rate_interval, not recording rules,
// so the dashboards work on any Prometheus that scrapes Hourglass, rules loaded or not.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const G = 'group=~"$group"';

const datasourceVar = { name: 'datasource', type: 'datasource', query: 'prometheus', label: 'Prometheus', current: {}, hide: 0 };
const groupVar = {
  name: 'group', label: 'Model group', type: 'query', datasource: { type: 'prometheus', uid: '${datasource}' },
  query: { query: 'label_values(hourglass_scorer_windows_total, group)', refId: 'group' },
  definition: 'label_values(hourglass_scorer_windows_total, group)',
  refresh: 2, multi: true, includeAll: true, allValue: '.*', sort: 1, current: {}, hide: 0,
};
const seriesVar = {
  name: 'series', label: 'Series', type: 'query', datasource: { type: 'prometheus', uid: '${datasource}' },
  query: { query: 'label_values(hourglass_series_anomaly_score{group=~"$group"}, series)', refId: 'series' },
  definition: 'label_values(hourglass_series_anomaly_score{group=~"$group"}, series)',
  refresh: 2, multi: false, includeAll: false, sort: 1, current: {}, hide: 0,
};

/** A panel: [type, title, width, height, targets, options]; targets are [expr, legend, instant?]. */
const overview = [
  ['row', 'Anomalies'],
  ['timeseries', 'Anomaly rate (share of windows above threshold)', 12, 8, [
    [`sum by (group) (rate(hourglass_scorer_anomalous_windows_total{${G}}[$__rate_interval])) / sum by (group) (rate(hourglass_scorer_windows_total{${G}}[$__rate_interval]))`, '{{group}}'],
  ], { unit: 'percentunit' }],
  ['stat', 'Open episodes', 4, 8, [[`sum by (group) (hourglass_scorer_open_episodes{${G}})`, '{{group}}']], {}],
  ['timeseries', 'Episodes opened, by severity band', 8, 8, [
    [`sum by (group, band) (increase(hourglass_scorer_episodes_total{state="open", ${G}}[$__rate_interval]))`, '{{group}} band {{band}}'],
  ], { unit: 'short', bars: true }],
  ['table', 'Top series by score', 8, 10, [[`topk(20, max by (group, series) (hourglass_series_anomaly_score{${G}}))`, '', true]], {}],
  ['timeseries', 'Score vs threshold: $series', 16, 10, [
    ['max by (series) (hourglass_series_anomaly_score{series="$series"})', 'score {{series}}'],
    ['max by (group) (hourglass_scorer_threshold) and on (group) max by (group) (hourglass_series_anomaly_score{series="$series"})', 'threshold ({{group}})'],
  ], { unit: 'none', min: 0, max: 1 }],
  // The expected-value band (docs/scorer.md): actual inside the band the model expected, with its maintenance periods shaded.
  ['timeseries', 'Actual vs expected band: $series', 24, 10, [
    ['max by (series, channel) (hourglass_actual_value{series="$series"})', 'actual {{channel}}'],
    ['max by (series, channel) (hourglass_expected_value{series="$series"})', 'expected {{channel}}'],
    ['max by (series, channel) (hourglass_expected_lower{series="$series"})', 'lower {{channel}}'],
    ['max by (series, channel) (hourglass_expected_upper{series="$series"})', 'upper {{channel}}'],
    ['max by (series) (hourglass_series_maintenance{series="$series"})', 'maintenance'],
  ], {
    unit: 'short',
    overrides: [
      { matcher: { id: 'byName', options: 'upper value' }, properties: [{ id: 'custom.fillBelowTo', value: 'lower value' }, { id: 'custom.lineWidth', value: 0 }, { id: 'custom.fillOpacity', value: 20 }] },
      { matcher: { id: 'byName', options: 'lower value' }, properties: [{ id: 'custom.lineWidth', value: 0 }] },
      { matcher: { id: 'byName', options: 'expected value' }, properties: [{ id: 'custom.lineStyle', value: { fill: 'dash', dash: [6, 4] } }] },
      { matcher: { id: 'byName', options: 'maintenance' }, properties: [{ id: 'custom.axisPlacement', value: 'hidden' }, { id: 'custom.drawStyle', value: 'bars' }, { id: 'custom.fillOpacity', value: 15 }, { id: 'min', value: 0 }, { id: 'max', value: 1 }, { id: 'unit', value: 'bool' }] },
    ],
  }],
  ['timeseries', 'Score quantiles by group', 12, 8, [
    [`histogram_quantile(0.5, sum by (le, group) (rate(hourglass_scorer_score_bucket{${G}}[$__rate_interval])))`, 'p50 {{group}}'],
    [`histogram_quantile(0.99, sum by (le, group) (rate(hourglass_scorer_score_bucket{${G}}[$__rate_interval])))`, 'p99 {{group}}'],
  ], { unit: 'none' }],
  ['timeseries', 'Share of tracked series above threshold', 12, 8, [
    [`count by (group) (max by (group, series) (hourglass_series_anomaly_score{${G}}) > on (group) group_left max by (group) (hourglass_scorer_threshold)) / count by (group) (max by (group, series) (hourglass_series_anomaly_score{${G}})) or on (group) 0 * count by (group) (max by (group, series) (hourglass_series_anomaly_score{${G}}))`, '{{group}}'],
  ], { unit: 'percentunit' }],
  // The incidents service (docs/incidents.md): the episodes of related series grouped, what Alertmanager pages on.
  ['stat', 'Open incidents', 4, 8, [[`sum by (group) (hourglass_incidents_open{${G}})`, '{{group}}']], {}],
  ['timeseries', 'Incidents opened, by severity band', 10, 8, [
    [`sum by (group, band) (increase(hourglass_incidents_total{state="open", ${G}}[$__rate_interval]))`, '{{group}} band {{band}}'],
  ], { unit: 'short', bars: true }],
  ['timeseries', 'Anomaly events into incidents, by outcome', 10, 8, [
    ['sum by (outcome) (rate(hourglass_incidents_events_total[$__rate_interval]))', '{{outcome}}'],
  ], { unit: 'ops' }],
  ['row', 'Throughput and latency'],
  ['timeseries', 'Input points by outcome', 8, 8, [['sum by (outcome) (rate(hourglass_ingest_points_total[$__rate_interval]))', '{{outcome}}']], { unit: 'ops' }],
  ['timeseries', 'Windows produced and scored', 8, 8, [
    ['sum(rate(hourglass_ingest_windows_total[$__rate_interval]))', 'produced (ingest)'],
    [`sum by (group) (rate(hourglass_scorer_windows_total{${G}}[$__rate_interval]))`, 'scored {{group}}'],
  ], { unit: 'ops' }],
  ['timeseries', 'Event latency (window end to anomaly event)', 8, 8, [
    ['histogram_quantile(0.5, sum by (le, from) (rate(hourglass_scorer_event_latency_seconds_bucket[$__rate_interval])))', 'p50 from {{from}}'],
    ['histogram_quantile(0.99, sum by (le, from) (rate(hourglass_scorer_event_latency_seconds_bucket[$__rate_interval])))', 'p99 from {{from}}'],
  ], { unit: 's' }],
  ['timeseries', 'Inference time per batch (p99)', 8, 8, [
    [`histogram_quantile(0.99, sum by (le, group) (rate(hourglass_scorer_inference_duration_seconds_bucket{${G}}[$__rate_interval])))`, '{{group}}'],
  ], { unit: 's' }],
  ['timeseries', 'Micro-batch size (p50, p99)', 8, 8, [
    ['histogram_quantile(0.5, sum by (le) (rate(hourglass_scorer_batch_size_bucket[$__rate_interval])))', 'p50'],
    ['histogram_quantile(0.99, sum by (le) (rate(hourglass_scorer_batch_size_bucket[$__rate_interval])))', 'p99'],
  ], { unit: 'short' }],
  ['timeseries', 'Kafka produce time (ingest, p99)', 8, 8, [
    ['histogram_quantile(0.99, sum by (le) (rate(hourglass_ingest_produce_duration_seconds_bucket[$__rate_interval])))', 'p99'],
  ], { unit: 's' }],
  ['row', 'Lag, dead letters, health'],
  ['timeseries', 'Consumer lag (ingest) by topic', 8, 8, [['sum by (topic) (max by (topic, partition) (hourglass_ingest_consumer_lag))', '{{topic}}']], { unit: 'short' }],
  ['timeseries', 'Dead letters by reason', 8, 8, [['sum by (reason) (rate(hourglass_ingest_dead_letters_total[$__rate_interval]))', '{{reason}}']], { unit: 'ops' }],
  ['timeseries', 'Late and duplicate points, evictions', 8, 8, [
    ['sum(rate(hourglass_ingest_late_points_total[$__rate_interval]))', 'late'],
    ['sum(rate(hourglass_ingest_duplicate_points_total[$__rate_interval]))', 'duplicate'],
    ['sum(rate(hourglass_ingest_series_evictions_total[$__rate_interval]))', 'evicted series'],
  ], { unit: 'ops' }],
  ['stat', 'Instances up', 8, 6, [['sum by (service) (up{service=~"ingest|scorer|trainer|incidents"})', '{{service}}']], {}],
  ['stat', 'Live series (ingest)', 8, 6, [['sum(hourglass_ingest_live_series)', 'series']], {}],
  ['table', 'TensorFlow backend per instance', 8, 6, [['max by (instance, backend) (hourglass_backend_info)', '', true]], {}],
];

const models = [
  ['row', 'Versions'],
  ['table', 'Model version in use', 12, 8, [[`max by (group, version, instance) (hourglass_scorer_model_info{${G}})`, '', true]], {}],
  ['stat', 'Model loaded (all scorers)', 6, 8, [[`min by (group) (hourglass_scorer_model_loaded{${G}})`, '{{group}}']], {}],
  ['stat', 'Time since last promotion', 6, 8, [[`time() - max by (group) (hourglass_trainer_last_success_timestamp_seconds{${G}})`, '{{group}}']], { unit: 's' }],
  ['timeseries', 'Hot swaps by outcome', 12, 8, [[`sum by (group, outcome) (increase(hourglass_scorer_model_swaps_total{${G}}[$__rate_interval]))`, '{{group}} {{outcome}}']], { unit: 'short', bars: true }],
  ['row', 'Fits'],
  ['timeseries', 'Fits and gate decisions', 12, 8, [[`sum by (group, outcome, reason) (increase(hourglass_trainer_fits_total{${G}}[$__rate_interval]))`, '{{group}} {{outcome}} ({{reason}})']], { unit: 'short', bars: true }],
  ['timeseries', 'Fit duration (p90)', 12, 8, [[`histogram_quantile(0.9, sum by (le, group) (rate(hourglass_trainer_fit_duration_seconds_bucket{${G}}[$__rate_interval])))`, '{{group}}']], { unit: 's' }],
  ['timeseries', 'Loss of the latest fit', 12, 8, [[`max by (group, split) (hourglass_trainer_loss{${G}})`, '{{group}} {{split}}']], { unit: 'none' }],
  ['timeseries', 'Thresholds (trainer promoted, scorers in use)', 12, 8, [
    [`max by (group) (hourglass_trainer_threshold{${G}})`, 'promoted {{group}}'],
    [`max by (group) (hourglass_scorer_threshold{${G}})`, 'in use {{group}}'],
  ], { unit: 'none' }],
  ['row', 'Clean buffer'],
  ['timeseries', 'Clean windows available to the next fit', 8, 8, [[`max by (group) (hourglass_trainer_buffer_windows{${G}})`, '{{group}}']], { unit: 'short' }],
  ['timeseries', 'Clean-buffer writes and drops', 8, 8, [
    [`sum by (group) (rate(hourglass_scorer_buffer_writes_total{${G}}[$__rate_interval]))`, 'written {{group}}'],
    [`sum by (group) (rate(hourglass_scorer_buffer_drops_total{${G}}[$__rate_interval]))`, 'dropped {{group}}'],
  ], { unit: 'ops' }],
  ['timeseries', 'Cold-start, unscorable and undecodable windows', 8, 8, [
    [`sum by (group) (rate(hourglass_scorer_cold_start_windows_total{${G}}[$__rate_interval]))`, 'cold start {{group}}'],
    [`sum by (group) (rate(hourglass_scorer_unscorable_windows_total{${G}}[$__rate_interval]))`, 'unscorable {{group}}'],
    ['sum(rate(hourglass_scorer_undecodable_windows_total[$__rate_interval]))', 'undecodable (all groups)'],
  ], { unit: 'ops' }],
];

function build(uid, title, description, panels, variables) {
  let id = 1;
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  const out = [];
  for (const [type, panelTitle, w = 24, h = 1, targets = [], opts = {}] of panels) {
    if (type === 'row') {
      if (x > 0) {
        y += rowHeight;
        x = 0;
        rowHeight = 0;
      }
      out.push({ id: id++, type: 'row', title: panelTitle, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
      y += 1;
      continue;
    }
    if (x + w > 24) {
      y += rowHeight;
      x = 0;
      rowHeight = 0;
    }
    const panel = {
      id: id++,
      type,
      title: panelTitle,
      datasource: { type: 'prometheus', uid: '${datasource}' },
      gridPos: { h, w, x, y },
      targets: targets.map(([expr, legend, instant], i) => ({
        refId: String.fromCharCode(65 + i),
        datasource: { type: 'prometheus', uid: '${datasource}' },
        expr,
        legendFormat: legend || '__auto',
        ...(instant ? { instant: true, range: false, format: 'table' } : { range: true }),
      })),
      fieldConfig: {
        defaults: {
          unit: opts.unit ?? 'short',
          ...(opts.min !== undefined ? { min: opts.min } : {}),
          ...(opts.max !== undefined ? { max: opts.max } : {}),
          ...(type === 'timeseries' ? { custom: { drawStyle: opts.bars ? 'bars' : 'line', fillOpacity: opts.bars ? 80 : 10, showPoints: 'never' } } : {}),
        },
        overrides: opts.overrides ?? [],
      },
      options: type === 'table' ? { showHeader: true } : type === 'stat' ? { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'area' } : { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi' } },
      ...(type === 'table' ? { transformations: [{ id: 'organize', options: { excludeByName: { Time: true } } }] } : {}),
    };
    out.push(panel);
    x += w;
    rowHeight = Math.max(rowHeight, h);
  }
  return {
    uid,
    title,
    description,
    tags: ['hourglass'],
    timezone: 'browser',
    editable: true,
    graphTooltip: 1,
    refresh: '30s',
    schemaVersion: 39,
    version: 1,
    time: { from: 'now-6h', to: 'now' },
    templating: { list: variables },
    annotations: { list: [] },
    links: [{ title: 'Hourglass', type: 'dashboards', tags: ['hourglass'], asDropdown: false }],
    panels: out,
  };
}

const dashboards = {
  'hourglass-overview.json': build('hourglass-overview', 'Hourglass / Overview', 'Anomaly rate, episodes, scores, throughput, latency, lag and dead letters.', overview, [datasourceVar, groupVar, seriesVar]),
  'hourglass-models.json': build('hourglass-models', 'Hourglass / Models', 'Model versions, fits, losses, thresholds, gate decisions and clean buffers.', models, [datasourceVar, groupVar]),
};

const check = process.argv.includes('--check');
let stale = [];
for (const [file, dashboard] of Object.entries(dashboards)) {
  const path = join(here, 'dashboards', file);
  const text = `${JSON.stringify(dashboard, null, 2)}\n`;
  if (check) {
    let current = '';
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      /* missing counts as stale */
    }
    if (current !== text) stale.push(file);
  } else writeFileSync(path, text);
}
if (stale.length > 0) {
  console.error(`stale dashboards (run node deploy/grafana/dashboards.mjs): ${stale.join(', ')}`);
  process.exit(1);
}
