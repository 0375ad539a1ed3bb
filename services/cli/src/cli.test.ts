import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cli = join(__dirname, 'main.js');
const hourglass = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, HOURGLASS_REQUIRE_NATIVE: '' } });
const dir = mkdtempSync(join(tmpdir(), 'hourglass-cli-'));

test('--help lists the commands and exits 0', () => {
  const result = hourglass('--help');
  assert.equal(result.status, 0);
  for (const command of ['start', 'run', 'ingest', 'scorer', 'trainer', 'produce', 'events', 'train', 'models', 'eval', 'report', 'config', 'doctor']) assert.match(result.stdout, new RegExp(`\\b${command}\\b`));
});

test('every command has its own --help', () => {
  for (const command of [['start'], ['run'], ['ingest'], ['scorer'], ['trainer'], ['produce'], ['events'], ['train'], ['models', 'list'], ['models', 'show'], ['models', 'rollback'], ['eval', 'nab'], ['eval', 'nab-score'], ['report'], ['config', 'check'], ['doctor']]) {
    const result = hourglass(...command, '--help');
    assert.equal(result.status, 0, `${command.join(' ')} --help: ${result.stderr}`);
    assert.match(result.stdout, /Usage: hourglass/);
  }
});

test('an unknown command fails with a hint, not a stack trace', () => {
  const result = hourglass('frobnicate');
  assert.notEqual(result.status, 0);
  assert.match(result.stderr, /unknown command 'frobnicate'/);
  assert.doesNotMatch(result.stderr, /\n\s+at /);
});

test('config check: a typo gets its path and a suggestion, exit 2, one problem per line', () => {
  const file = join(dir, 'typo.yaml');
  writeFileSync(file, 'redis:\n  ulr: redis://x\ngroups:\n  - name: g\n    match: { glob: "*" }\n    window: { lengthSteps: 1 }\n');
  const result = hourglass('config', 'check', file);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /redis: unknown field 'ulr' \(did you mean 'url'\?\)/);
  assert.match(result.stderr, /groups\.0\.window\.lengthSteps: /);
  assert.doesNotMatch(result.stderr, /\n\s+at /);
});

test('config check: a missing file is one clear line', () => {
  const result = hourglass('config', 'check', join(dir, 'absent.yaml'));
  assert.equal(result.status, 2);
  assert.equal(result.stderr.trim(), `hourglass: cannot read config file ${join(dir, 'absent.yaml')}: no such file`);
});

test('config check: a valid file passes and --json prints the compiled config with defaults', () => {
  const file = join(dir, 'ok.json');
  writeFileSync(file, JSON.stringify({ kafka: { brokers: ['127.0.0.1:1'] } }));
  const result = hourglass('config', 'check', file, '--json');
  assert.equal(result.status, 0);
  const config = JSON.parse(result.stdout) as { kafka: { clientId: string }; groups: { name: string }[] };
  assert.equal(config.kafka.clientId, 'hourglass');
  assert.equal(config.groups[0]?.name, 'default');
});

test('doctor --offline --json reports node and backend and skips the network checks', () => {
  const result = hourglass('doctor', '--offline', '--json');
  const report = JSON.parse(result.stdout) as Record<string, { status: string }>;
  assert.equal(report.node?.status, 'ok');
  assert.ok(['ok', 'fail'].includes(report.backend!.status));
  assert.equal(report.kafka?.status, 'skipped');
});

test('eval nab-score --json reproduces NAB\'s published scores for the numenta detector', (t) => {
  const nab = join(__dirname, '..', '..', '..', '..', 'shared', 'eval', 'nab');
  if (!existsSync(nab)) {
    if (process.env.CI === 'true') assert.fail(`NAB development data not found at ${nab}`);
    t.skip(`NAB development data not found at ${nab} (../shared/eval/nab beside the repository)`);
    return;
  }
  const result = hourglass('eval', 'nab-score', '--results', join(nab, 'results'), '--labels', join(nab, 'labels', 'combined_windows.json'),
    '--profiles', join(nab, 'config', 'profiles.json'), '--detector', 'numenta', '--json');
  assert.equal(result.status, 0, result.stderr);
  const summary = JSON.parse(result.stdout) as Record<string, number>;
  assert.equal(summary.standard!.toFixed(2), '75.52');
  assert.equal(summary.reward_low_FP_rate!.toFixed(2), '70.68');
  assert.equal(summary.reward_low_FN_rate!.toFixed(2), '78.99');
});

test('run: a missing input file is one clear line', () => {
  const result = hourglass('run', '--input', join(dir, 'nope.csv'), '--state-dir', join(dir, 'state'));
  assert.equal(result.status, 1);
  assert.doesNotMatch(result.stderr, /\n\s+at /);
  assert.match(result.stderr, /nope\.csv/);
});

test('run: a bad CSV row is refused with its line number, and the good rows are used', () => {
  const file = join(dir, 'bad.csv');
  writeFileSync(file, 'ts,value\n1700000000000,1\n1700000001000,not-a-number\n1700000002000,3\n');
  const result = hourglass('run', '--input', file, '--state-dir', join(dir, 'state2'), '--json');
  assert.equal(result.status, 0, result.stderr);
  const summary = JSON.parse(result.stdout.trim().split('\n').pop()!) as { points: number; rejected: number };
  assert.equal(summary.rejected, 1);
  assert.equal(summary.points, 2);
  assert.match(result.stderr, /"line":3/);
});

test('docs/config.md is the reference generated from the schema (regenerate with npx hourglass config docs > docs/config.md)', () => {
  const result = hourglass('config', 'docs');
  assert.equal(result.status, 0);
  assert.equal(readFileSync(join(__dirname, '..', '..', '..', 'docs', 'config.md'), 'utf8'), result.stdout);
  assert.match(result.stdout, /\| `groups\[\]\.window\.lengthSteps` \| integer \| `16` \|/);
});
