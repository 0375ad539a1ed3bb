// The production alert rules, live: a copy of deploy/prometheus/rules (same expressions, labels and
// annotations; `for:` compressed from minutes to seconds) is loaded into the real local
// Prometheus, which scrapes a real prom-client /metrics endpoint built with the scorer's own metric
// factory; the real Alertmanager routes the alerts (with the production inhibit rules) to a webhook
// receiver in this test.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createMetricsRegistry, startOpsServer } from '@hourglass/runtime';
import { createIncidentsMetrics, createScorerMetrics, SeriesScoreGauges } from '@hourglass/pipeline';
import { addScrapeTarget, eventually, integrationInfrastructure, uniqueName } from '../support/fixtures';
import type { Infrastructure } from '../support/infrastructure';
import { alertmanagerAlerts, loadTestRules, routeAlertsToWebhook, startWebhookReceiver, writableMonitoring, type WebhookNotification } from '../support/deploy-alerting';

interface LiveAlerting {
  readonly infra: Infrastructure;
  readonly run: string;
  readonly received: WebhookNotification[];
  /** Registers a scrape target labelled like a production Hourglass target (service=...). */
  target(name: string, address: string, service: string): () => void;
}

async function liveAlerting(t: TestContext): Promise<LiveAlerting | undefined> {
  const infra = await integrationInfrastructure(t);
  if (!infra) return undefined;
  const dirs = writableMonitoring(infra);
  if (!dirs) {
    const reason = 'this Prometheus/Alertmanager has no local rules folder and config file this test may write';
    if (process.env.CI === 'true') throw new Error(reason);
    t.skip(reason);
    return undefined;
  }
  const run = uniqueName('alerts');
  const webhook = await startWebhookReceiver();
  t.after(() => webhook.close());
  const unroute = await routeAlertsToWebhook(infra, dirs.alertmanagerConfig, run, webhook.url);
  t.after(unroute);
  const unload = await loadTestRules(infra, dirs.rulesDir, run);
  t.after(unload);
  const withTargets = { ...infra, prometheusTargetsDir: dirs.targetsDir };
  return { infra, run, received: webhook.received, target: (name, address, service) => addScrapeTarget(withTargets, name, address, { service }) };
}

/** The firing alerts named `alertname` that the webhook has received with `labels`. */
function delivered(received: WebhookNotification[], alertname: string, labels: Record<string, string>) {
  return received.flatMap((n) => n.alerts.map((a) => ({ notification: n, alert: a }))).filter(
    ({ alert }) => alert.status === 'firing' && alert.labels.alertname === alertname && Object.entries(labels).every(([k, v]) => alert.labels[k] === v),
  );
}

test('an opened severe episode fires in Prometheus, passes Alertmanager and reaches the webhook with its labels; per-series alerts are inhibited while the group fires', { timeout: 120_000 }, async (t) => {
  const live = await liveAlerting(t);
  if (!live) return;
  const group = uniqueName('grp');
  const registry = createMetricsRegistry('scorer');
  const metrics = createScorerMetrics(registry);
  const gauges = new SeriesScoreGauges(registry, { allowlist: [], topK: 10, hardCap: 10, trackedMax: 100 });
  // What a scorer exports when an episode of severity band 3 opens and most series are far above the threshold.
  metrics.threshold.set({ group }, 0.9);
  metrics.episodes.inc({ group, state: 'open', band: '3' });
  metrics.openEpisodes.set({ group }, 1);
  gauges.observe('web-01', group, 0.99);
  gauges.observe('web-02', group, 0.98);
  const server = await startOpsServer({ registry, host: '127.0.0.1', port: 0, readiness: () => ({ ready: true, details: {} }) });
  t.after(() => server.close());
  t.after(live.target(live.run, `127.0.0.1:${server.port}`, 'scorer'));

  const [hit] = await eventually(
    'HourglassSevereAnomalyEpisodeOpened at the webhook',
    async () => {
      const found = delivered(live.received, 'HourglassSevereAnomalyEpisodeOpened', { group });
      return found.length > 0 ? found : undefined;
    },
    90_000,
    500,
  );
  const { alert, notification } = hit!;
  assert.equal(alert.labels.band, '3');
  assert.equal(alert.labels.severity, 'critical');
  assert.equal(alert.labels.scope, 'group');
  assert.equal(alert.labels.test_run, live.run);
  assert.match(alert.annotations.summary ?? '', new RegExp(`group ${group}`));
  assert.match(alert.annotations.runbook_url ?? '', /docs\/runbook\.md#hourglasssevereanomalyepisodeopened$/);
  // Grouped the production way: by alert name, model group and series.
  assert.equal(notification.groupLabels.group, group);
  assert.equal(notification.groupLabels.alertname, 'HourglassSevereAnomalyEpisodeOpened');

  // Both series are above threshold: the group-wide alert fires, and it mutes the per-series ones.
  await eventually('HourglassGroupWideAnomaly at the webhook', async () => (delivered(live.received, 'HourglassGroupWideAnomaly', { group }).length > 0 ? true : undefined), 60_000, 500);
  const inhibited = await eventually(
    'per-series alerts held by Alertmanager, inhibited',
    async () => {
      const held = await alertmanagerAlerts(live.infra, ['alertname="HourglassSeriesAboveThreshold"', `group="${group}"`]);
      return held.length === 2 && held.every((a) => a.status.state === 'suppressed' && a.status.inhibitedBy.length > 0) ? held : undefined;
    },
    60_000,
    500,
  );
  assert.deepEqual(inhibited.map((a) => a.labels.series).sort(), ['web-01', 'web-02']);
  assert.equal(delivered(live.received, 'HourglassSeriesAboveThreshold', { group }).length, 0, 'an inhibited per-series alert was delivered');
});

test('the alert for a stopped scorer fires: HourglassInstanceDown reaches the webhook for the instance that went away', { timeout: 120_000 }, async (t) => {
  const live = await liveAlerting(t);
  if (!live) return;
  const registry = createMetricsRegistry('scorer');
  createScorerMetrics(registry);
  const server = await startOpsServer({ registry, host: '127.0.0.1', port: 0, readiness: () => ({ ready: true, details: {} }) });
  const instance = `127.0.0.1:${server.port}`;
  const name = uniqueName('stopped-scorer');
  t.after(live.target(name, instance, 'scorer'));
  const up = new URL('/api/v1/query', live.infra.prometheusUrl);
  up.searchParams.set('query', `up{test="${name}"}`);
  const upValue = async () => ((await (await fetch(up)).json()) as { data: { result: { value: [number, string] }[] } }).data.result[0]?.value[1];
  await eventually('the scorer to be scraped (up == 1)', async () => ((await upValue()) === '1' ? true : undefined), 30_000, 250);
  assert.equal(delivered(live.received, 'HourglassInstanceDown', { instance }).length, 0, 'fired while the scorer was up');

  await server.close();
  const [hit] = await eventually(
    'HourglassInstanceDown at the webhook',
    async () => {
      const found = delivered(live.received, 'HourglassInstanceDown', { instance });
      return found.length > 0 ? found : undefined;
    },
    60_000,
    500,
  );
  assert.equal(hit!.alert.labels.service, 'scorer');
  assert.equal(hit!.alert.labels.severity, 'critical');
  assert.equal(hit!.alert.labels.test, name);
  assert.equal(hit!.notification.groupLabels.instance, instance, 'availability alerts are grouped by service and instance');
  assert.match(hit!.alert.annotations.summary ?? '', /scorer instance 127\.0\.0\.1:\d+ is down/);
});

test('with the incidents service running, an incident pages and mutes the episode alerts of its group', { timeout: 120_000 }, async (t) => {
  const live = await liveAlerting(t);
  if (!live) return;
  const group = uniqueName('grp');
  // A scorer that opened four severe episodes, and the incidents service that grouped them into one incident.
  const scorerRegistry = createMetricsRegistry('scorer');
  createScorerMetrics(scorerRegistry).episodes.inc({ group, state: 'open', band: '3' }, 4);
  const incidentsRegistry = createMetricsRegistry('incidents');
  const incidents = createIncidentsMetrics(incidentsRegistry);
  incidents.messages.inc({ group, state: 'open', band: '3' });
  incidents.messages.inc({ group, state: 'updated', band: '3' }, 3);
  const scrape = async (registry: typeof scorerRegistry, service: string) => {
    const server = await startOpsServer({ registry, host: '127.0.0.1', port: 0, readiness: () => ({ ready: true, details: {} }) });
    t.after(() => server.close());
    t.after(live.target(`${live.run}-${service}`, `127.0.0.1:${server.port}`, service));
  };
  // The incident alert first: in production the episode alerts wait (their route's group_wait, held
  // to a scrape and an evaluation by deploy-rules.test.ts) for it; here every wait is 1 s, so the
  // order is made explicit instead of left to which target Prometheus scrapes first.
  await scrape(incidentsRegistry, 'incidents');
  const [hit] = await eventually('HourglassSevereIncidentOpened at the webhook', async () => {
    const found = delivered(live.received, 'HourglassSevereIncidentOpened', { group });
    return found.length > 0 ? found : undefined;
  }, 90_000, 500);
  await scrape(scorerRegistry, 'scorer');
  assert.equal(hit!.alert.labels.severity, 'critical');
  assert.match(hit!.alert.annotations.runbook_url ?? '', /docs\/runbook\.md#hourglasssevereincidentopened$/);
  const muted = await eventually('the episode alert held by Alertmanager, inhibited by the incident', async () => {
    const held = await alertmanagerAlerts(live.infra, ['alertname="HourglassSevereAnomalyEpisodeOpened"', `group="${group}"`]);
    return held.length === 1 && held[0]!.status.state === 'suppressed' && held[0]!.status.inhibitedBy.length > 0 ? held : undefined;
  }, 60_000, 500);
  assert.equal(muted[0]!.labels.band, '3');
  assert.equal(delivered(live.received, 'HourglassSevereAnomalyEpisodeOpened', { group }).length, 0, 'the episode alert was delivered beside its incident');
});
