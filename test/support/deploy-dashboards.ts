import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { repoRoot } from '../infra/paths';
import { writableMonitoring } from './deploy-alerting';
import { addScrapeTarget, eventually } from './fixtures';
import type { Infrastructure } from './infrastructure';

/** One PromQL expression of the deployment files, with where it comes from (for messages). */
export interface DeployQuery {
  /** e.g. `hourglass-overview.json › Anomaly rate › A` or `hourglass-alerts.yml › HourglassInstanceDown`. */
  readonly where: string;
  readonly expr: string;
}

interface PanelJson {
  readonly type: string;
  readonly title: string;
  readonly targets?: readonly { readonly refId: string; readonly expr?: string }[];
  readonly panels?: readonly PanelJson[];
}

interface DashboardJson {
  readonly title: string;
  readonly panels: readonly PanelJson[];
  readonly templating: { readonly list: readonly { readonly name: string; readonly type: string; readonly definition?: string }[] };
}

const deployDir = (): string => join(repoRoot(), 'deploy');

/** The dashboards of deploy/grafana/dashboards, parsed, by file name. */
export function loadDashboards(): Map<string, DashboardJson> {
  const dir = join(deployDir(), 'grafana', 'dashboards');
  const out = new Map<string, DashboardJson>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) out.set(file, JSON.parse(readFileSync(join(dir, file), 'utf8')) as DashboardJson);
  return out;
}

/** Every panel target's PromQL (rows included) and every query variable's definition, unexpanded. */
export function dashboardQueries(): DeployQuery[] {
  const out: DeployQuery[] = [];
  for (const [file, dashboard] of loadDashboards()) {
    const visit = (panels: readonly PanelJson[]): void => {
      for (const panel of panels) {
        for (const target of panel.targets ?? []) if (target.expr) out.push({ where: `${file} › ${panel.title} › ${target.refId}`, expr: target.expr });
        if (panel.panels) visit(panel.panels);
      }
    };
    visit(dashboard.panels);
    for (const v of dashboard.templating.list) {
      const m = v.type === 'query' ? /^label_values\((.*),\s*\w+\)$/.exec(v.definition ?? '') : null;
      if (m) out.push({ where: `${file} › variable $${v.name}`, expr: m[1]! });
    }
  }
  return out;
}

/** Every rule file of deploy/prometheus/rules, as `{ file, groups }`. */
export function loadRuleFiles(): { file: string; groups: { name: string; rules: { alert?: string; record?: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }[] }[] }[] {
  const dir = join(deployDir(), 'prometheus', 'rules');
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((file) => ({ file, ...(parseYaml(readFileSync(join(dir, file), 'utf8')) as { groups: never[] }) }));
}

/** Every recording and alerting rule expression. */
export function ruleQueries(): DeployQuery[] {
  return loadRuleFiles().flatMap(({ file, groups }) => groups.flatMap((g) => g.rules.map((r) => ({ where: `${file} › ${r.alert ?? r.record}`, expr: r.expr }))));
}

/** Names the recording rules define (level:metric:operation). */
export function recordedNames(): Set<string> {
  return new Set(loadRuleFiles().flatMap(({ groups }) => groups.flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : [])))));
}

/** Values that stand in for Grafana's variables when a dashboard query is run outside Grafana. */
export interface VariableValues {
  /** `$group`: a regex (the panels use `=~`), e.g. a group name, `a|b` or `.*`. */
  readonly group: string;
  /** `$series`: one series id. */
  readonly series: string;
  /** `$__rate_interval`, `$__interval`, `$__range`: PromQL durations. Defaults 1m, 15s, 1h. */
  readonly rateInterval?: string;
  readonly interval?: string;
  readonly range?: string;
}

/** Replaces Grafana's variables the way Grafana does before it sends a query to Prometheus. */
export function expandVariables(expr: string, values: VariableValues): string {
  const range = values.range ?? '1h';
  const table: Record<string, string> = {
    __rate_interval: values.rateInterval ?? '1m',
    __interval: values.interval ?? '15s',
    __range: range,
    __range_s: String(durationSeconds(range)),
    group: values.group,
    series: values.series,
  };
  return expr.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare!;
    const value = table[name];
    if (value === undefined) throw new Error(`unknown variable ${whole} in ${expr}`);
    return value;
  });
}

function durationSeconds(d: string): number {
  const units: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
  let total = 0;
  for (const [, n, u] of d.matchAll(/(\d+)([smhd])/g)) total += Number(n) * units[u!]!;
  return total;
}

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'offset', 'bool', 'inf', 'nan', 'atan2', 'topk', 'bottomk']);

/**
 * The metric names a PromQL expression reads, and the label names its selectors match on, per
 * metric. A small tokenizer, enough for the deployment files: strings, label matchers, durations
 * and grouping clauses are removed before the remaining identifiers that are not functions or
 * keywords are taken as metric names.
 */
export function metricSelectors(expr: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  let s = expr.replace(/\[[^\]]*\]/g, ' ');
  // Selectors with their matchers, before the matchers' strings are removed.
  for (const m of s.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}/g)) {
    const labels = out.get(m[1]!) ?? new Set<string>();
    for (const l of m[2]!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/g)) labels.add(l[1]!);
    out.set(m[1]!, labels);
  }
  s = s
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  for (const m of s.matchAll(/(?<![\w:.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    const [, name, call] = m;
    if (call || KEYWORDS.has(name!) || /^\d/.test(name!)) continue;
    if (!out.has(name!)) out.set(name!, new Set());
  }
  return out;
}

/** Metric names (with their label names) that Hourglass code defines: `name: 'hourglass_...'` in services/ and shared/. */
export function definedMetricNames(): Set<string> {
  const root = repoRoot();
  const names = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'dist') walk(path);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts')) {
        for (const m of readFileSync(path, 'utf8').matchAll(/name:\s*'(hourglass_[a-z0-9_]+)'/g)) names.add(m[1]!);
      }
    }
  };
  // Packages without sources of their own (shared/otlp-proto is generated at set-up) define no metrics.
  for (const top of ['services', 'shared']) for (const pkg of readdirSync(join(root, top))) if (existsSync(join(root, top, pkg, 'src'))) walk(join(root, top, pkg, 'src'));
  return names;
}

/** Metrics that others export and the deployment files may read, with who exports them. */
export const EXTERNAL_METRICS: Readonly<Record<string, string>> = {
  up: 'Prometheus (scrape health of every target)',
  kube_pod_status_ready: 'kube-state-metrics (only in hourglass-kubernetes.yml)',
};

/** The names a query may use for a metric `name`: histograms add _bucket, _sum and _count. */
export function baseMetricName(name: string, known: ReadonlySet<string>): string {
  if (known.has(name)) return name;
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  return m && known.has(m[1]!) ? m[1]! : name;
}


/** A dashboard query that returned nothing usable, with what Prometheus said. */
export interface DataGap {
  readonly where: string;
  readonly query: string;
  readonly reason: string;
}

/**
 * Runs every dashboard panel query (variables expanded with `values`) as an instant query through
 * Prometheus' HTTP API and returns the ones that fail or return no sample with a finite value.
 * An empty list means every panel would show data now.
 */
export async function dashboardDataGaps(prometheusUrl: string, values: VariableValues): Promise<DataGap[]> {
  const gaps: DataGap[] = [];
  for (const { where, expr } of dashboardQueries()) {
    if (where.includes('› variable $')) continue;
    const query = expandVariables(expr, values);
    const url = new URL('/api/v1/query', prometheusUrl);
    url.searchParams.set('query', query);
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    const body = (await response.json()) as { status: string; error?: string; data?: { result: { value: [number, string] }[] } };
    if (body.status !== 'success') gaps.push({ where, query, reason: `error: ${body.error ?? response.status}` });
    else if (!body.data!.result.some((r) => Number.isFinite(Number(r.value[1])))) gaps.push({ where, query, reason: body.data!.result.length === 0 ? 'no samples' : 'only NaN/Inf samples' });
  }
  return gaps;
}

/** Values for $group and $series taken from what Prometheus has now, optionally only from series matching `selector` labels. */
export async function discoverVariableValues(prometheusUrl: string, selector = ''): Promise<{ group?: string; series?: string }> {
  const labelValues = async (label: string, match: string): Promise<string[]> => {
    const url = new URL(`/api/v1/label/${label}/values`, prometheusUrl);
    url.searchParams.set('match[]', match);
    const body = (await (await fetch(url)).json()) as { data: string[] };
    return body.data.sort();
  };
  const groups = await labelValues('group', `hourglass_scorer_windows_total{${selector}}`);
  const series = await labelValues('series', `hourglass_series_anomaly_score{${selector}}`);
  return { group: groups.length > 0 ? groups.map(escapeRegex).join('|') : undefined, series: series[0] };
}

/** Escapes a regex metacharacter for a regex inside a PromQL double-quoted string (two backslashes). */
function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\\\$&');
}

/** A running Hourglass process to scrape: its service (ingest, scorer, trainer, incidents) and ops address (host:port). */
export interface PipelineTarget {
  readonly service: 'ingest' | 'scorer' | 'trainer' | 'incidents';
  readonly address: string;
}

/**
 * The live dashboard check: registers `targets` with the test run's Prometheus (labelled like
 * production targets, service=...), waits until they are scraped, fills $group and $series from
 * what they export, and waits until every panel query of every dashboard returns a finite sample.
 * Fails with the list of panels still empty after `timeoutMs`. For a real pipeline, start the
 * services, feed them data with anomalies (so episodes, events and fits exist), then call this.
 */
export async function assertDashboardsReturnData(infra: Infrastructure, name: string, targets: readonly PipelineTarget[], options: { timeoutMs?: number; rateInterval?: string } = {}): Promise<void> {
  const dirs = writableMonitoring(infra);
  if (!dirs) throw new Error('this Prometheus has no file_sd folder this test may write');
  const withTargets = { ...infra, prometheusTargetsDir: dirs.targetsDir };
  const removers = targets.map((target, i) => addScrapeTarget(withTargets, `${name}-${i}`, target.address, { service: target.service, dashboards: name }));
  try {
    const selector = `dashboards="${name}"`;
    await eventually(`all ${targets.length} targets scraped`, async () => {
      const url = new URL('/api/v1/query', infra.prometheusUrl);
      url.searchParams.set('query', `sum(up{${selector}})`);
      const body = (await (await fetch(url)).json()) as { data: { result: { value: [number, string] }[] } };
      return body.data.result[0]?.value[1] === String(targets.length) ? true : undefined;
    }, 30_000, 250);
    let gaps: DataGap[] = [];
    let values: VariableValues | undefined;
    try {
      await eventually('every dashboard panel to return data', async () => {
        const found = await discoverVariableValues(infra.prometheusUrl, selector);
        if (!found.group || !found.series) {
          gaps = [{ where: 'variables', query: '$group / $series', reason: `no values yet (group=${found.group}, series=${found.series})` }];
          return undefined;
        }
        values = { group: found.group, series: found.series, rateInterval: options.rateInterval ?? '10s' };
        gaps = await dashboardDataGaps(infra.prometheusUrl, values);
        return gaps.length === 0 ? true : undefined;
      }, options.timeoutMs ?? 60_000, 1000);
    } catch (error) {
      throw new Error(`${(error as Error).message}\nvariables: ${JSON.stringify(values)}\npanels without data:\n${gaps.map((g) => `  ${g.where}: ${g.reason}\n    ${g.query}`).join('\n')}`);
    }
  } finally {
    for (const remove of removers) remove();
  }
}
