#!/usr/bin/env node
// Brings a checkout to a runnable state, doing only what is missing or stale: dependencies
// (npm ci when the lockfile changed), the OTLP schema code (scripts/otlp-proto.mjs), the native
// TensorFlow backend, and the TypeScript build.
// `npm start`, `npm test` and `.ci/run` all begin here, so a fresh clone needs no other step.
// Progress goes to stderr, so commands that print to stdout (infra:status) stay clean.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const log = (line) => process.stderr.write(`setup: ${line}\n`);

function fail(message) {
  process.stderr.write(`setup: ERROR: ${message}\n`);
  process.exit(1);
}

function run(command, args, what) {
  const result = spawnSync(command, args, { cwd: root, stdio: ['ignore', 2, 2] });
  if (result.status !== 0) fail(`${what} failed (${command} ${args.join(' ')} exited ${result.status ?? result.signal})`);
}

function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 19)) fail(`Node.js >= 20.19 is required; this is ${process.version}`);
}

/** The lockfile and every workspace manifest: when any changes, dependencies are reinstalled. */
function dependencyDigest() {
  const lock = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const files = ['package.json', 'package-lock.json', '.npmrc', ...lock.workspaces.map((w) => `${w}/package.json`)];
  const hash = createHash('sha256');
  for (const file of files) if (existsSync(join(root, file))) hash.update(file).update(readFileSync(join(root, file)));
  return hash.digest('hex');
}

function ensureDependencies() {
  const stamp = join(root, 'node_modules', '.hourglass-deps-stamp');
  const digest = dependencyDigest();
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) return;
  log('installing dependencies (npm ci)');
  run('npm', ['ci', '--no-audit', '--no-fund'], 'dependency install');
  writeFileSync(stamp, digest);
}

async function ensureNative() {
  const { ensureNativeBackend } = await import('./native-backend.mjs');
  try {
    await ensureNativeBackend({ log });
  } catch (error) {
    const required = process.env.HOURGLASS_REQUIRE_NATIVE === '1' || process.env.HOURGLASS_REQUIRE_NATIVE === 'true';
    if (required) fail(`native TensorFlow backend: ${error.message}`);
    log(`WARNING: native TensorFlow backend unavailable (${error.message}); Hourglass will fall back to WebAssembly`);
  }
}

/** The OTLP metrics schema code (@hourglass/otlp-proto), generated from the official .proto files. */
async function ensureOtlpProto() {
  const { ensureOtlpProto: generate } = await import('./otlp-proto.mjs');
  try {
    generate({ log });
  } catch (error) {
    fail(`OTLP schema code: ${error.message}`);
  }
}

function build() {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-b'], { cwd: root, stdio: ['ignore', 2, 2] });
  if (result.status !== 0) fail('TypeScript build failed (see the errors above)');
}

checkNode();
ensureDependencies();
await ensureOtlpProto();
await ensureNative();
build();
