#!/usr/bin/env node
// Makes @tensorflow/tfjs-node's native backend usable without its (dead) install script:
// TensorFlow's C library and headers come from the PyPI wheel tensorflow-cpu, the addon is
// compiled locally with node-gyp, and the result is verified in a child process.
// See docs/native-backend.md.
//
//   node scripts/native-backend.mjs            build if needed (quick no-op when up to date)
//   node scripts/native-backend.mjs --force    re-unpack the cached wheel, restage, rebuild, verify
//   node scripts/native-backend.mjs --check    only report whether the backend is ready (exit 0/1)
//   node scripts/native-backend.mjs --check --json   same, as JSON on stdout
//
// Progress goes to stderr; stdout stays clean (only --check --json writes to it).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { StepError, buildAddon, checkSymbols, fetchWheel, preflight, stageDeps, unpackWheel } from './native-backend/steps.mjs';

const TF_WHEEL_VERSION = '2.16.2'; // 2.12 to 2.18 wheels share the layout; 2.16.2 is the verified one
const LIBTF_VERSION = '2.9.1'; // the libtensorflow version tfjs-node 4.x was written for (file names only)
const RECIPE = 1; // bump when this script changes what it produces, to invalidate existing stamps
const STAMP_NAME = '.hourglass-native-backend.json';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..');
const defaultLog = (msg) => process.stderr.write(`native-backend: ${msg}\n`);

/** Everything derived from the machine and the install, without touching anything. */
function context() {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new StepError('platform', `only linux x64 is supported (this is ${process.platform} ${process.arch}); use the wasm backend`);
  }
  let pkgJson;
  try {
    pkgJson = createRequire(path.join(repoRoot, 'package.json')).resolve('@tensorflow/tfjs-node/package.json');
  } catch {
    throw new StepError('locate @tensorflow/tfjs-node', 'node_modules/@tensorflow/tfjs-node is not installed: run npm ci first');
  }
  const pkgDir = path.dirname(pkgJson);
  const pkg = JSON.parse(fs.readFileSync(pkgJson, 'utf8'));
  // Same choice @mapbox/node-pre-gyp makes at run time: the highest N-API version the package
  // lists that this node supports. binary.find() then looks in lib/napi-v<that>/.
  const napi = Number(process.versions.napi);
  const napiVersion = Math.max(...pkg.binary.napi_versions.filter((v) => v <= napi));
  const cacheRoot = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'hourglass');
  return {
    pkgDir,
    napiVersion,
    addon: path.join(pkgDir, 'lib', `napi-v${napiVersion}`, 'tfjs_binding.node'),
    stampFile: path.join(pkgDir, STAMP_NAME),
    wheelDir: path.join(cacheRoot, 'tf'),
    libsDir: path.join(cacheRoot, 'tf', `tensorflow-cpu-${TF_WHEEL_VERSION}`),
    stamp: {
      recipe: RECIPE,
      tensorflowWheel: `tensorflow-cpu==${TF_WHEEL_VERSION}`,
      tfjsNode: pkg.version,
      node: process.version,
      nodeModulesAbi: process.versions.modules,
      napiBuildVersion: napiVersion,
    },
  };
}

function readStamp(file) {
  try { return JSON.parse(fs.readFileSync(file, 'utf8')); } catch { return null; }
}

/** Loads just the addon (not all of tfjs) in a child: proves the libraries resolve. ~0.3 s. */
function addonLoads(addon) {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(require(process.argv[1]).TF_Version))', addon],
    { encoding: 'utf8', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' }, timeout: 60_000 });
  return r.status === 0 ? { ok: true, tfVersion: r.stdout.trim() } : { ok: false, error: (r.stderr || '').trim().split('\n').slice(0, 3).join(' ') };
}

/** Is the backend built for this exact setup? Never builds anything. */
export function checkNativeBackend() {
  const ctx = context();
  const stamp = readStamp(ctx.stampFile);
  const wanted = JSON.stringify(ctx.stamp);
  const recorded = stamp && JSON.stringify(Object.fromEntries(Object.keys(ctx.stamp).map((k) => [k, stamp[k]])));
  if (recorded !== wanted) return { ready: false, reason: stamp ? 'stamp does not match this setup' : 'not built yet', ctx };
  if (!fs.existsSync(ctx.addon)) return { ready: false, reason: `addon missing: ${ctx.addon}`, ctx };
  const load = addonLoads(ctx.addon);
  if (!load.ok) return { ready: false, reason: `addon does not load: ${load.error}`, ctx };
  return { ready: true, tfVersion: load.tfVersion, ctx };
}

/** Runs the verification script in a fresh node process (tfjs-node registers itself on require). */
function verify(log) {
  log('verifying: require, backend, add, matMul, string tensor, model.fit');
  const r = spawnSync(process.execPath, [path.join(here, 'native-backend', 'verify.cjs')],
    { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' }, timeout: 180_000 });
  let res;
  try { res = JSON.parse(r.stdout.trim().split('\n').pop()); } catch { res = null; }
  if (!res) throw new StepError('verify', `verification process died (exit ${r.status ?? r.signal}):\n${(r.stderr || '').trim().split('\n').slice(-15).join('\n')}`);
  if (!res.ok) throw new StepError('verify', `${res.check} failed: ${res.error}`);
  return res;
}

/**
 * Ensures the native backend is built and working. Returns
 * { status: 'cached' | 'built', tfVersion, addon, seconds }; throws a StepError (with .step).
 */
export async function ensureNativeBackend({ log = defaultLog, force = false } = {}) {
  const t0 = Date.now();
  const seconds = () => Math.round((Date.now() - t0) / 100) / 10;
  if (!force) {
    const state = checkNativeBackend();
    if (state.ready) return { status: 'cached', tfVersion: state.tfVersion, addon: state.ctx.addon, seconds: seconds() };
    log(`building the native TensorFlow backend (${state.reason})`);
  }
  const ctx = context();
  const tools = preflight();
  fs.rmSync(ctx.stampFile, { force: true }); // a half-done rebuild must never look up to date

  const wheel = fetchWheel({ wheelDir: ctx.wheelDir, version: TF_WHEEL_VERSION, log });
  unpackWheel({ wheel, libsDir: ctx.libsDir, force, log });
  log(`staging libraries and headers into ${path.join(ctx.pkgDir, 'deps')}`);
  stageDeps({ pkgDir: ctx.pkgDir, libsDir: ctx.libsDir, libtfVersion: LIBTF_VERSION });
  checkSymbols(path.join(ctx.pkgDir, 'deps', 'lib', 'libtensorflow_cc.so.2'));
  buildAddon({ pkgDir: ctx.pkgDir, napiVersion: ctx.napiVersion, ...tools, log });
  const res = verify(log);

  fs.writeFileSync(ctx.stampFile, JSON.stringify({ ...ctx.stamp, tfVersion: res.tfVersion, builtAt: new Date().toISOString() }, null, 2) + '\n');
  log(`ready: TensorFlow ${res.tfVersion} C library, tfjs-node ${res.tfjsNode}, built in ${seconds()} s`);
  return { status: 'built', tfVersion: res.tfVersion, addon: ctx.addon, seconds: seconds() };
}

async function main(argv) {
  const flags = new Set(argv);
  const unknown = [...flags].filter((f) => !['--force', '--check', '--json'].includes(f));
  if (unknown.length) {
    defaultLog(`unknown option(s) ${unknown.join(' ')}; usage: node scripts/native-backend.mjs [--force] [--check [--json]]`);
    return 2;
  }
  try {
    if (flags.has('--check')) {
      const { ready, reason, tfVersion } = checkNativeBackend();
      if (flags.has('--json')) process.stdout.write(JSON.stringify({ ready, tfVersion, reason }) + '\n');
      else defaultLog(ready ? `ready (TensorFlow ${tfVersion})` : `not ready: ${reason}`);
      return ready ? 0 : 1;
    }
    const res = await ensureNativeBackend({ force: flags.has('--force') });
    if (res.status === 'cached') defaultLog(`up to date (TensorFlow ${res.tfVersion}, checked in ${res.seconds} s)`);
    return 0;
  } catch (err) {
    if (!(err instanceof StepError)) throw err;
    if (flags.has('--json')) process.stdout.write(JSON.stringify({ ready: false, step: err.step, reason: err.message }) + '\n');
    defaultLog(`FAILED at step "${err.step}": ${err.message}`);
    return 1;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
