// docker-compose.yml, the Kubernetes manifests, the Grafana dashboards and the configs they mount:
// validated by real tools where one exists (docker compose / docker-compose, kubernetes-validate
// with bundled schemas), and the Hourglass config files by the real config compiler.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { compileConfig, opsPort } from '@hourglass/core';
import { repoRoot } from '../infra/paths';
import { loadDashboards } from '../support/deploy-dashboards';
import { runDeployTool } from '../support/deploy-tools';

const root = repoRoot();

test('docker compose config accepts docker-compose.yml', (t) => {
  const result = runDeployTool(t, 'compose');
  if (!result) return;
  assert.ok(result.ok, result.output);
});

test('kubernetes-validate (strict, bundled schemas, offline) accepts every manifest in deploy/kubernetes', (t) => {
  const result = runDeployTool(t, 'kubernetes');
  if (!result) return;
  assert.ok(result.ok, result.output);
});

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  healthcheck?: { test: string[] };
  volumes?: string[];
  depends_on?: Record<string, unknown>;
  environment?: Record<string, string>;
}

test('the compose stack has every component, health checks on /readyz, and mounts files that exist', () => {
  const compose = parseYaml(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };
  const s = compose.services;
  for (const name of ['kafka', 'redis', 'ingest', 'scorer', 'trainer', 'incidents', 'producer', 'prometheus', 'alertmanager', 'grafana']) assert.ok(s[name], `no ${name} service`);
  assert.deepEqual(s.incidents!.command?.slice(0, 2), ['incidents', 'serve']);
  assert.equal(s.kafka!.image, 'apache/kafka:3.9.1');
  for (const name of ['ingest', 'scorer', 'trainer']) {
    const svc = s[name]!;
    assert.equal(svc.build, '.', `${name} is built from the repository's Dockerfile`);
    assert.equal(svc.command?.[0], name);
    assert.ok(svc.healthcheck?.test.join(' ').includes('/readyz'), `${name}: health check on /readyz`);
    assert.equal(svc.environment?.KAFKA_BROKERS, 'kafka:9092');
    assert.ok(svc.environment?.REDIS_URL?.startsWith('redis://redis:'));
  }
  assert.deepEqual(s.producer!.command?.slice(0, 2), ['produce', '--demo']);
  for (const [name, svc] of Object.entries(s)) {
    for (const volume of svc.volumes ?? []) {
      const source = volume.split(':')[0]!;
      if (source.startsWith('.')) assert.ok(existsSync(resolve(root, source)), `${name}: ${source} does not exist`);
    }
  }
});

test('the Hourglass config files of compose and Kubernetes pass the real config compiler', () => {
  const compose = parseYaml(readFileSync(join(root, 'deploy', 'config', 'hourglass.yaml'), 'utf8')) as unknown;
  const c = compileConfig(compose, { KAFKA_BROKERS: 'kafka:9092', REDIS_URL: 'redis://redis:6379' }, 'deploy/config/hourglass.yaml');
  assert.deepEqual({ ...c.ops }, { host: '0.0.0.0', port: 9400, servicePorts: {} });
  const docs = parseAllDocuments(readFileSync(join(root, 'deploy', 'kubernetes', '10-config.yaml'), 'utf8')).map((d) => d.toJS() as { kind: string; data?: Record<string, string> });
  const configMap = docs.find((d) => d.kind === 'ConfigMap')!;
  const k = compileConfig(parseYaml(configMap.data!['hourglass.yaml']!), { KAFKA_BROKERS: configMap.data!['kafka.brokers']!, REDIS_URL: 'redis://redis:6379' }, 'ConfigMap hourglass-config');
  assert.equal(k.ops.port, 9400);
  // The README's one-machine config: three services from one file, so three ports, all on loopback.
  const local = compileConfig(parseYaml(readFileSync(join(root, 'deploy', 'config', 'local.yaml'), 'utf8')), {}, 'deploy/config/local.yaml');
  assert.equal(local.ops.host, '127.0.0.1');
  assert.equal(new Set((['ingest', 'scorer', 'trainer', 'incidents'] as const).map((s) => opsPort(local, s))).size, 4);
  assert.ok(local.ingest.createTopics && local.scorer.createTopics && local.incidents.createTopics);
});

test('Kubernetes: many ingest and scorer replicas, two trainers, probes, resources and a metrics Service each', () => {
  const dir = join(root, 'deploy', 'kubernetes');
  const objects = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as Record<string, any>)); // eslint-disable-line @typescript-eslint/no-explicit-any
  const deployment = (c: string) => objects.find((o) => o.kind === 'Deployment' && o.metadata.name === `hourglass-${c}`);
  assert.ok(deployment('ingest')!.spec.replicas >= 3);
  assert.ok(deployment('scorer')!.spec.replicas >= 3);
  assert.equal(deployment('trainer')!.spec.replicas, 2);
  assert.equal(deployment('incidents')!.spec.replicas, 2, 'an owner and a standby');
  for (const c of ['ingest', 'scorer', 'trainer', 'incidents']) {
    const container = deployment(c)!.spec.template.spec.containers[0];
    assert.deepEqual(container.args.slice(0, c === 'incidents' ? 2 : 1), c === 'incidents' ? ['incidents', 'serve'] : [c]);
    assert.equal(container.livenessProbe.httpGet.path, '/healthz');
    assert.equal(container.readinessProbe.httpGet.path, '/readyz');
    assert.ok(container.resources.requests.cpu && container.resources.requests.memory && container.resources.limits.memory);
    assert.ok(container.env.some((e: any) => e.name === 'REDIS_URL' && e.valueFrom.secretKeyRef)); // eslint-disable-line @typescript-eslint/no-explicit-any
    const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === `hourglass-${c}`);
    assert.equal(service?.metadata.labels['app.kubernetes.io/component'], c);
    assert.equal(service?.spec.ports[0].name, 'metrics');
  }
});

test('the dashboards are generated from deploy/grafana/dashboards.mjs and have $group and $series', () => {
  const check = spawnSync(process.execPath, [join(root, 'deploy', 'grafana', 'dashboards.mjs'), '--check'], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stderr);
  const dashboards = loadDashboards();
  assert.deepEqual([...dashboards.keys()], ['hourglass-models.json', 'hourglass-overview.json']);
  for (const [file, d] of dashboards) {
    const vars = d.templating.list.map((v) => v.name);
    assert.ok(vars.includes('datasource') && vars.includes('group'), `${file}: variables ${vars.join(', ')}`);
  }
  assert.ok(dashboards.get('hourglass-overview.json')!.templating.list.some((v) => v.name === 'series'));
  // Provisioning points Grafana at the folder compose mounts the dashboards into.
  const provider = parseYaml(readFileSync(join(root, 'deploy', 'grafana', 'provisioning', 'dashboards', 'hourglass.yml'), 'utf8')) as { providers: { options: { path: string } }[] };
  const compose = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
  assert.ok(compose.includes(`./deploy/grafana/dashboards:${provider.providers[0]!.options.path}:ro`));
});
