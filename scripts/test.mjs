#!/usr/bin/env node
// Runs the test suite with node's test runner: lint, unit tests (no infrastructure), then
// integration tests against the real Kafka, Redis, Prometheus and Alertmanager, resolved once
// for the whole run (environment addresses, else testcontainers, else local processes).
// Usage: node scripts/test.mjs [--unit | --integration] [--no-lint] [--only SUBSTRING]
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const wantUnit = !args.includes('--integration');
const wantIntegration = !args.includes('--unit');
const log = (line) => process.stderr.write(`test: ${line}\n`);

/** Compiled test files whose TypeScript source still exists (stale dist files never run). */
function testFiles(distDir, srcDir) {
  if (!existsSync(distDir)) return [];
  const out = [];
  for (const entry of readdirSync(distDir)) {
    const path = join(distDir, entry);
    if (statSync(path).isDirectory()) out.push(...testFiles(path, join(srcDir, entry)));
    else if (entry.endsWith('.test.js') && existsSync(join(srcDir, entry.replace(/\.js$/, '.ts')))) out.push(path);
  }
  return out;
}

function unitFiles() {
  const files = [];
  for (const group of ['shared', 'services']) {
    for (const pkg of readdirSync(join(root, group))) files.push(...testFiles(join(root, group, pkg, 'dist'), join(root, group, pkg, 'src')));
  }
  return files;
}

function lint() {
  log('lint: eslint and import cycles');
  const result = spawnSync('npm', ['run', '-s', 'lint'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) {
    log('lint failed');
    process.exit(1);
  }
}

async function runFiles(files, concurrency) {
  let failed = 0;
  const stream = run({ files, concurrency, timeout: 15 * 60_000 });
  stream.on('test:fail', (event) => {
    if (event.details?.type !== 'suite') failed++;
  });
  await new Promise((resolve, reject) => {
    const out = stream.compose(spec);
    out.on('end', resolve);
    out.on('error', reject);
    out.pipe(process.stdout, { end: false });
  });
  return failed;
}

if (!args.includes('--no-lint') && !only) lint();

// Programs some tests drive (the HTML report is checked in headless Chromium): installed with apt
// when missing and we are root, like the local infrastructure; otherwise the tests say what to install.
if (wantUnit) {
  const { ensurePrograms } = await import(pathToFileURL(join(root, 'test', 'dist', 'infra', 'packages.js')).href);
  try {
    ensurePrograms([{ binary: 'chromium', debianPackage: 'chromium' }], log);
  } catch (error) {
    log(`WARNING: ${error.message}`);
  }
}

let files = [];
if (wantUnit) files.push(...unitFiles());
let infra;
if (wantIntegration) {
  const integration = testFiles(join(root, 'test', 'dist', 'integration'), join(root, 'test', 'integration'));
  const selected = only ? integration.filter((f) => f.includes(only)) : integration;
  if (selected.length > 0) {
    const { resolveInfrastructure, infrastructureEnv } = await import(pathToFileURL(join(root, 'test', 'dist', 'support', 'infrastructure.js')).href);
    try {
      infra = await resolveInfrastructure(process.env, log);
    } catch (error) {
      log(`ERROR: could not get real infrastructure for the integration tests: ${error.message}`);
      process.exit(1);
    }
    log(`integration tests use ${infra.source}: ${JSON.stringify(infrastructureEnv(infra))}`);
    Object.assign(process.env, infrastructureEnv(infra));
  }
  files.push(...selected);
}
if (only) files = files.filter((f) => f.includes(only));
log(`${files.length} test files: ${files.map((f) => relative(root, f)).join(' ')}`);

let failed = 0;
try {
  failed = await runFiles(files, Math.max(2, availableParallelism()));
} finally {
  if (infra && process.env.HOURGLASS_KEEP_INFRA !== '1') await infra.stop();
}
if (failed > 0) log(`${failed} test(s) failed`);
process.exitCode = failed > 0 ? 1 : 0;
