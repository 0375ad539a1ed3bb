// Prometheus rules and Alertmanager config of deploy/: validated by the real promtool and amtool
// (no infrastructure needed), and held to the conventions every alert must follow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { repoRoot } from '../infra/paths';
import { loadRuleFiles } from '../support/deploy-dashboards';
import { runDeployTool } from '../support/deploy-tools';

test('promtool check rules, promtool test rules and promtool check config pass on deploy/prometheus', (t) => {
  const result = runDeployTool(t, 'rules');
  if (!result) return;
  assert.ok(result.ok, result.output);
  assert.match(result.output, /ok {3}promtool test rules/);
});

test('amtool check-config passes on deploy/alertmanager/alertmanager.yml', (t) => {
  const result = runDeployTool(t, 'alertmanager');
  if (!result) return;
  assert.ok(result.ok, result.output);
});

const alerts = () => loadRuleFiles().flatMap(({ file, groups }) => groups.flatMap((g) => g.rules.filter((r) => r.alert).map((r) => ({ file, ...r }))));

test('every alert has severity, scope, summary, description and a runbook_url to a section of docs/runbook.md', () => {
  const runbook = readFileSync(join(repoRoot(), 'docs', 'runbook.md'), 'utf8');
  // GitHub's anchors: the heading lower-cased, punctuation dropped, spaces to dashes.
  const anchors = new Set([...runbook.matchAll(/^#{2,3} (.+)$/gm)].map((m) => m[1]!.trim().toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-')));
  const list = alerts();
  assert.ok(list.length >= 15, `only ${list.length} alerts`);
  for (const a of list) {
    assert.match(a.labels?.severity ?? '', /^(critical|warning|info)$/, `${a.alert}: severity`);
    assert.match(a.labels?.scope ?? '', /^(series|group|instance|service|pipeline)$/, `${a.alert}: scope`);
    assert.ok(a.annotations?.summary && a.annotations.description, `${a.alert}: summary and description`);
    const url = a.annotations?.runbook_url ?? '';
    const [page, anchor] = url.split('#');
    assert.ok(page?.endsWith('/docs/runbook.md'), `${a.alert}: runbook_url ${url} is not docs/runbook.md`);
    assert.equal(anchor, a.alert!.toLowerCase(), `${a.alert}: anchor`);
    assert.ok(anchors.has(anchor!), `${a.alert}: docs/runbook.md has no section #${anchor}`);
  }
});

test('every alert is covered by a promtool unit test that expects it to fire', () => {
  const dir = join(repoRoot(), 'deploy', 'prometheus', 'tests');
  const fired = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.test.yml'))) {
    const parsed = parseYaml(readFileSync(join(dir, file), 'utf8')) as { tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[] };
    for (const unit of parsed.tests) for (const c of unit.alert_rule_test ?? []) if (c.exp_alerts.length > 0) fired.add(c.alertname);
  }
  const missing = alerts().map((a) => a.alert!).filter((name) => !fired.has(name));
  assert.deepEqual(missing, [], 'alerts without a firing unit test');
});

test('the Alertmanager config groups by group and series, and inhibits per-series alerts while their group fires', () => {
  const config = parseYaml(readFileSync(join(repoRoot(), 'deploy', 'alertmanager', 'alertmanager.yml'), 'utf8')) as {
    route: { group_by: string[]; receiver: string };
    receivers: { name: string; webhook_configs?: unknown[] }[];
    inhibit_rules: { source_matchers: string[]; target_matchers: string[]; equal?: string[] }[];
  };
  assert.ok(config.route.group_by.includes('group') && config.route.group_by.includes('series'));
  assert.ok(config.receivers.find((r) => r.name === config.route.receiver)?.webhook_configs?.length);
  const perSeries = config.inhibit_rules.find((r) => r.target_matchers.includes('scope="series"'));
  assert.ok(perSeries, 'no inhibit rule targets scope="series"');
  assert.deepEqual(perSeries.equal, ['group']);
  // Its sources must be alerts that exist and are group-wide.
  const groupAlerts = new Set(alerts().filter((a) => a.labels?.scope === 'group').map((a) => a.alert));
  const names = /alertname=~"([^"]+)"/.exec(perSeries.source_matchers.join(' '))![1]!.split('|');
  for (const n of names) assert.ok(groupAlerts.has(n), `${n} is not a scope=group alert`);
});

test('episode alerts wait for the incident alert that mutes them: their group_wait covers a scrape and a rule evaluation', () => {
  interface Route { matchers?: string[]; group_wait?: string; routes?: Route[] }
  const config = parseYaml(readFileSync(join(repoRoot(), 'deploy', 'alertmanager', 'alertmanager.yml'), 'utf8')) as { route: Route };
  const prometheus = parseYaml(readFileSync(join(repoRoot(), 'deploy', 'prometheus', 'prometheus.yml'), 'utf8')) as { global: { scrape_interval: string; evaluation_interval: string } };
  const seconds = (d: string) => {
    const m = /^(\d+)(s|m)$/.exec(d);
    assert.ok(m, `unexpected duration ${d}`);
    return Number(m[1]) * (m[2] === 'm' ? 60 : 1);
  };
  // Alertmanager takes the first matching sub-route; the episode alerts must reach one that names them.
  const routes = config.route.routes ?? [];
  for (const alertname of ['HourglassAnomalyEpisodeOpened', 'HourglassSevereAnomalyEpisodeOpened']) {
    const route = routes.find((r) => (r.matchers ?? []).some((m) => m.startsWith('alertname=~') && m.includes(alertname)));
    assert.ok(route, `no route names ${alertname}`);
    const before = routes.slice(0, routes.indexOf(route));
    assert.ok(before.every((r) => (r.matchers ?? []).some((m) => /scope=~?"instance/.test(m))), `a route before ${alertname}'s would take it`);
    const needed = seconds(prometheus.global.scrape_interval) + seconds(prometheus.global.evaluation_interval);
    assert.ok(seconds(route.group_wait ?? '30s') > needed, `${alertname} waits ${route.group_wait}, not longer than a scrape and an evaluation (${needed}s)`);
  }
});
