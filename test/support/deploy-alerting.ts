import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { repoRoot, stateDir } from '../infra/paths';
import type { Infrastructure } from './infrastructure';

/**
 * The folders of the test run's Prometheus and Alertmanager that a test may write: file_sd targets,
 * rule files and the Alertmanager config (test/infra/services.ts lays them out). Undefined when the
 * infrastructure is someone else's (addresses from the environment without PROMETHEUS_SD_DIR and no
 * local state folder).
 */
export function writableMonitoring(infra: Infrastructure): { targetsDir: string; rulesDir: string; alertmanagerConfig: string } | undefined {
  const targetsDir = infra.prometheusTargetsDir ?? join(stateDir(), 'prometheus', 'targets');
  const rulesDir = join(dirname(targetsDir), 'rules');
  const alertmanagerConfig = join(dirname(dirname(targetsDir)), 'alertmanager', 'alertmanager.yml');
  if (![targetsDir, rulesDir, alertmanagerConfig].every((p) => existsSync(p))) return undefined;
  return { targetsDir, rulesDir, alertmanagerConfig };
}

/**
 * A copy of the production rule files for a live test: every `for:` is scaled from minutes to
 * seconds (`10m` becomes `10s`; the production values are minutes, which a test cannot wait),
 * which keeps the production order in which alerts start firing, and every alert gets the label
 * `test_run: <run>` so the test's Alertmanager route picks out its own alerts. The expressions,
 * labels and annotations are otherwise exactly the production ones.
 */
export function testRuleCopy(run: string): string {
  const dir = join(repoRoot(), 'deploy', 'prometheus', 'rules');
  const groups: unknown[] = [];
  for (const file of ['hourglass-recording.yml', 'hourglass-alerts.yml']) {
    const parsed = parseYaml(readFileSync(join(dir, file), 'utf8')) as { groups: { name: string; rules: Record<string, unknown>[] }[] };
    for (const group of parsed.groups) {
      groups.push({
        name: `${group.name}-${run}`,
        rules: group.rules.map((rule) => (rule.alert ? { ...rule, ...(rule.for ? { for: minutesToSeconds(String(rule.for)) } : {}), labels: { ...(rule.labels as object), test_run: run } } : rule)),
      });
    }
  }
  return stringifyYaml({ groups });
}

/** `10m` → `10s`, `1h` → `60s`, `30s` → `1s`: production durations compressed sixty-fold. */
function minutesToSeconds(duration: string): string {
  const match = /^(\d+)([smh])$/.exec(duration.trim());
  if (!match) throw new Error(`unexpected for: duration '${duration}'`);
  const seconds = Number(match[1]) * { s: 1, m: 60, h: 3600 }[match[2] as 's' | 'm' | 'h'];
  return `${Math.max(1, Math.round(seconds / 60))}s`;
}

async function post(url: string): Promise<void> {
  const response = await fetch(url, { method: 'POST', signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`POST ${url}: ${response.status} ${await response.text()}`);
}

/** Writes the test copy of the rules into Prometheus' rules folder and reloads; returns the undo. */
export async function loadTestRules(infra: Infrastructure, rulesDir: string, run: string): Promise<() => Promise<void>> {
  const file = join(rulesDir, `deploy-test-${run}.yml`);
  writeFileSync(file, testRuleCopy(run));
  await post(new URL('/-/reload', infra.prometheusUrl).href);
  return async () => {
    rmSync(file, { force: true });
    await post(new URL('/-/reload', infra.prometheusUrl).href).catch(() => undefined);
  };
}

interface ProductionRoute {
  receiver?: string;
  group_by?: string[];
  group_wait?: string;
  routes?: ProductionRoute[];
  [key: string]: unknown;
}

/** One notification as Alertmanager's webhook sends it. */
export interface WebhookNotification {
  readonly status: 'firing' | 'resolved';
  readonly receiver: string;
  readonly groupLabels: Record<string, string>;
  readonly commonLabels: Record<string, string>;
  readonly alerts: { status: string; labels: Record<string, string>; annotations: Record<string, string> }[];
}

/** An HTTP server that records the notifications Alertmanager posts to it. */
export async function startWebhookReceiver(): Promise<{ url: string; received: WebhookNotification[]; close(): Promise<void> }> {
  const received: WebhookNotification[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      try {
        received.push(JSON.parse(body) as WebhookNotification);
      } catch {
        /* not a notification: ignored */
      }
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/alerts`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Adds to the running Alertmanager's config a first route that sends the alerts labelled
 * `test_run=<run>` through the production route tree of deploy/alertmanager/alertmanager.yml to
 * `webhookUrl` (quickly: group_wait 1s), adds the production inhibit rules, and reloads. Everything else in the config stays, so other
 * tests' routes keep working. The undo restores the previous file (unless someone replaced it
 * meanwhile) and reloads.
 */
export async function routeAlertsToWebhook(infra: Infrastructure, configFile: string, run: string, webhookUrl: string): Promise<() => Promise<void>> {
  const original = readFileSync(configFile, 'utf8');
  const config = (parseYaml(original) ?? {}) as { route?: { receiver?: string; routes?: unknown[] }; receivers?: unknown[]; inhibit_rules?: unknown[] };
  const production = parseYaml(readFileSync(join(repoRoot(), 'deploy', 'alertmanager', 'alertmanager.yml'), 'utf8')) as { route: ProductionRoute; inhibit_rules: unknown[] };
  const receiver = `deploy-test-${run}`;
  // The production route tree (grouping, sub-routes) under a matcher on this run, every receiver
  // replaced by the webhook and every wait shortened.
  const fast = (route: ProductionRoute): ProductionRoute => ({
    ...route,
    receiver,
    ...(route.group_wait ? { group_wait: '1s' } : {}),
    ...(route.routes ? { routes: route.routes.map(fast) } : {}),
  });
  const { routes, group_by } = production.route;
  config.route ??= { receiver: 'blackhole' };
  config.route.routes = [
    { ...fast({ receiver, group_by, routes }), matchers: [`test_run="${run}"`], group_wait: '1s', group_interval: '1s', repeat_interval: '1h', continue: false },
    ...(config.route.routes ?? []),
  ];
  config.receivers = [...(config.receivers ?? []), { name: receiver, webhook_configs: [{ url: webhookUrl, send_resolved: true }] }];
  config.inhibit_rules = [...(config.inhibit_rules ?? []), ...production.inhibit_rules];
  const ours = `# Changed by a deploy test (run ${run}); restored when it ends.\n${stringifyYaml(config)}`;
  writeFileSync(configFile, ours);
  await post(new URL('/-/reload', infra.alertmanagerUrl).href);
  return async () => {
    if (readFileSync(configFile, 'utf8') === ours) writeFileSync(configFile, original);
    await post(new URL('/-/reload', infra.alertmanagerUrl).href).catch(() => undefined);
  };
}

/** Alerts Alertmanager holds now (API v2), with their inhibition state. */
export async function alertmanagerAlerts(infra: Infrastructure, filter: string[]): Promise<{ labels: Record<string, string>; status: { state: string; inhibitedBy: string[] } }[]> {
  const url = new URL('/api/v2/alerts', infra.alertmanagerUrl);
  for (const f of filter) url.searchParams.append('filter', f);
  return (await (await fetch(url)).json()) as { labels: Record<string, string>; status: { state: string; inhibitedBy: string[] } }[];
}
