// The README's "Running it against Kafka", as a new operator runs it: exactly its lines, in order,
// in one bash with job control (as an interactive shell has, so `&` and `kill %1 %2 %3` mean what
// they mean there), against the run's infrastructure, until the first anomaly event.
//
// The infrastructure is the harness's. `npm run infra:up` and `eval "$(npm run -s infra:status)"`
// run as written when that is the local infrastructure of `infra:up` (with the address variables
// cleared first, so `doctor` passes only if the eval exported them); otherwise they are replaced by
// exporting the harness's addresses. `npm run infra:down` never runs: other tests use the
// infrastructure, and the harness stops what it started. The README's config uses the default
// names (topics `hourglass.*`, groups `hourglass-ingest`, `hourglass-scorer` and `hourglass-incidents`, keys
// `hourglass:*`), so they are deleted first, as on a fresh `infra:up`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { repoRoot } from '../infra/paths';
import { status } from '../infra/infra';
import { waitFor } from '../infra/processes';
import { integrationInfrastructure } from '../support/fixtures';
import { infrastructureEnv } from '../support/infrastructure';
import { portIsFree, readmeCommands, resetDefaultNames } from '../support/readme';

const OPS_PORTS = [9401, 9402, 9403, 9404]; // deploy/config/local.yaml's ops.servicePorts
const ADDRESS_NAMES = ['KAFKA_BROKERS', 'REDIS_URL', 'PROMETHEUS_URL', 'ALERTMANAGER_URL'];
/** Everything, from infra:up to the first event and the services stopped: a few minutes on 2 cores. */
const SCRIPT_TIMEOUT_MS = 6 * 60_000;

test("the README's Kafka section, line by line, with produce --demo, gives an anomaly event on hourglass.anomalies", { timeout: SCRIPT_TIMEOUT_MS + 120_000 }, async (t) => {
  const infra = await integrationInfrastructure(t);
  if (!infra) return;
  const lines = readmeCommands('Running it against Kafka');
  // The section must stay something this test can run: the README is the spec here.
  for (const expected of [/^npm run infra:up$/, /^eval "\$\(npm run -s infra:status\)"$/, /^npx hourglass doctor$/, /^npx hourglass ingest .*&$/, /^npx hourglass scorer .*&$/,
    /^npx hourglass trainer .*&$/, /^npx hourglass incidents serve .*&$/, /^npx hourglass produce .*--demo/, /^npx hourglass events .*--max 1/,
    /^npx hourglass events .*--topic hourglass\.incidents --max 1/, /^kill %1 %2 %3 %4$/, /^npm run infra:down$/]) {
    assert.ok(lines.some((l) => expected.test(l)), `the README's Kafka section has no line like ${expected}: ${JSON.stringify(lines)}`);
  }
  for (const port of OPS_PORTS) assert.ok(await portIsFree(port), `127.0.0.1:${port} is taken: is the README's stack already running? Stop it first.`);

  const harness = infrastructureEnv(infra);
  const local = status().addresses;
  const isLocalInfra = ADDRESS_NAMES.every((name) => local[name] === harness[name]);
  if (!isLocalInfra) t.diagnostic(`the infrastructure is not infra:up's (${infra.source}): infra:up is skipped and infra:status's exports are the harness's addresses`);
  await resetDefaultNames(infra);

  const script = ['set -e -m', 'trap stop_jobs EXIT', 'stop_jobs() { for p in $(jobs -p); do kill -TERM -- "-$p" 2>/dev/null || true; done; }'];
  lines.forEach((line, i) => {
    script.push(`echo ${shellWord(`readme line ${i + 1}: ${line}`)} >&2`);
    if (line === 'npm run infra:down') script.push(': the harness owns the infrastructure and stops it');
    else if (!isLocalInfra && line === 'npm run infra:up') script.push(': infra:up skipped');
    else if (!isLocalInfra && line.startsWith('eval "$(npm run -s infra:status)"')) script.push(...ADDRESS_NAMES.map((n) => `export ${n}=${shellWord(harness[n]!)}`));
    else script.push(line);
    // Each background job is its own process group (job control): its id lets the test stop it.
    if (line.endsWith('&')) script.push('echo "readme job group $!" >&2');
  });
  // The README stopped its jobs (`kill %1 %2 %3 %4`): let them finish their graceful stop; the trap is
  // only for a script that fails half-way (a second SIGTERM would cut a graceful stop short).
  script.push('wait', 'trap - EXIT');

  const env: NodeJS.ProcessEnv = { ...process.env, HOURGLASS_LOG_LEVEL: '' };
  if (isLocalInfra) for (const name of ADDRESS_NAMES) delete env[name];
  const child = spawn('bash', ['-c', script.join('\n')], { cwd: repoRoot(), env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const groups = new Set<number>();
  child.stdout!.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    for (const m of chunk.toString().matchAll(/^readme job group (\d+)$/gm)) groups.add(Number(m[1]));
    if (stderr.length > 2_000_000) stderr = stderr.slice(-1_000_000);
  });
  const alive = (pgid: number): boolean => {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  };
  t.after(async () => {
    // Whatever happened, nothing this test started outlives it: the script, then each job's group.
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    for (const pgid of groups) if (alive(pgid)) process.kill(-pgid, 'SIGTERM');
    await waitFor(() => [...groups].every((g) => !alive(g)), 20_000, 200);
    for (const pgid of groups) if (alive(pgid)) process.kill(-pgid, 'SIGKILL');
  });

  const started = Date.now();
  const code = await new Promise<number | string>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGTERM'), SCRIPT_TIMEOUT_MS);
    child.once('exit', (c, signal) => (clearTimeout(timer), resolve(c ?? signal ?? 'unknown')));
  });
  const tail = `\n--- last lines of stdout ---\n${stdout.split('\n').slice(-15).join('\n')}\n--- last lines of stderr ---\n${stderr.split('\n').slice(-40).join('\n')}`;
  assert.equal(code, 0, `the README's commands failed (exit ${code}) after ${((Date.now() - started) / 1000).toFixed(0)} s; the last 'readme line' shows which${tail}`);
  t.diagnostic(`the README's ${lines.length} lines ran in ${((Date.now() - started) / 1000).toFixed(0)} s`);

  const printed = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  const event = printed.find((e) => typeof e.episodeId === 'string');
  assert.ok(event, `no anomaly event on stdout:\n${stdout}${tail}`);
  assert.equal(event.state, 'open', 'the first event of an episode opens it');
  assert.match(String(event.group), /^(hosts|default)$/);
  // The incidents service grouped the episodes: its first message opens an incident with a member.
  const incident = printed.find((e) => Array.isArray(e.members));
  assert.ok(incident, `no incident on stdout:\n${stdout}${tail}`);
  assert.equal(incident.state, 'open', 'the first message of an incident opens it');
  assert.equal(incident.revision, 1);
  assert.ok((incident.members as unknown[]).length >= 1);
  assert.match(String(incident.key), /^group:(hosts|default)$/);
  assert.match(stderr, /sent \d+ points to hourglass\.points/);
  assert.match(stderr, /"msg":"created topics"/, 'ingest created its topics');
  // The issue this test stands for: nothing at error level on the way (kafkajs retries included).
  const errors = stderr.split('\n').filter((l) => /"level":(50|60)/.test(l));
  assert.deepEqual(errors, [], 'error-level log lines');
  // `kill %1 %2 %3 %4` stopped the services: their ports are free again.
  assert.ok(await waitFor(async () => (await Promise.all(OPS_PORTS.map(portIsFree))).every(Boolean), 20_000, 250), 'the services still listen after kill %1 %2 %3 %4');
});

/** `text` as one single-quoted shell word. */
function shellWord(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
