// The individual steps of scripts/native-backend.mjs: fetch the tensorflow-cpu wheel, unpack
// its C libraries and headers into a cache, stage them in tfjs-node's deps/, check symbols and
// build the addon. Node builtins only. Every failure is a StepError naming the step.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export class StepError extends Error {
  constructor(step, message) {
    super(message);
    this.step = step;
  }
}

/** Runs a command to completion; output captured unless stdio is given. */
export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, ...opts });
  if (r.error && r.error.code !== 'ENOENT') throw r.error;
  return { ok: !r.error && r.status === 0, status: r.error ? 'ENOENT' : r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** Absolute path of an executable on PATH, or null (no dependency on `which`). */
export function which(cmd) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir || '.', cmd);
    try { fs.accessSync(p, fs.constants.X_OK); if (fs.statSync(p).isFile()) return p; } catch { /* next */ }
  }
  return null;
}

const tail = (text, n = 25) => text.trim().split('\n').slice(-n).join('\n');

// ---------------------------------------------------------------- 1. wheel (cached, ~214 MB)

/** Returns the cached wheel, downloading it with pip when it is not there yet. */
export function fetchWheel({ wheelDir, version, log }) {
  const prefix = `tensorflow_cpu-${version}-cp311-cp311-manylinux`;
  const find = () => fs.readdirSync(wheelDir).find((f) => f.startsWith(prefix) && f.endsWith('x86_64.whl'));
  fs.mkdirSync(wheelDir, { recursive: true });
  const cached = find();
  if (cached) return path.join(wheelDir, cached);

  const python = which('python3');
  if (!python || !run(python, ['-m', 'pip', '--version']).ok) {
    throw new StepError('fetch wheel', `python3 with pip is required to fetch tensorflow-cpu==${version} from PyPI ` +
      `(or place ${prefix}*_x86_64.whl into ${wheelDir})`);
  }
  log(`downloading tensorflow-cpu==${version} (about 214 MB) from PyPI into ${wheelDir}`);
  // Download into a private temp dir and move it in, so an interrupted download never looks cached.
  // The platform flags make pip fetch the cp311 manylinux wheel whatever the local Python is.
  const tmp = fs.mkdtempSync(path.join(wheelDir, '.download-'));
  try {
    const r = run(python, ['-m', 'pip', 'download', `tensorflow-cpu==${version}`, '--no-deps', '--only-binary=:all:',
      '--platform', 'manylinux2014_x86_64', '--python-version', '3.11', '--implementation', 'cp',
      '--disable-pip-version-check', '-d', tmp], { stdio: ['ignore', 2, 2] }); // pip's progress goes to stderr
    const got = fs.readdirSync(tmp).find((f) => f.startsWith(prefix));
    if (!r.ok || !got) throw new StepError('fetch wheel', `pip download of tensorflow-cpu==${version} failed (exit ${r.status}); is PyPI reachable?`);
    fs.renameSync(path.join(tmp, got), path.join(wheelDir, got));
    return path.join(wheelDir, got);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- 2. unpack libs + headers (cached)

// A wheel is a zip; python3's zipfile checks each member's CRC while reading it.
const UNZIP_PY = `
import os, shutil, sys, zipfile
whl, out = sys.argv[1], sys.argv[2]
libs = ('tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2')
with zipfile.ZipFile(whl) as z:
    for i in z.infolist():
        n = i.filename
        if n in libs: dest = os.path.join(out, 'lib', os.path.basename(n))
        elif n.startswith('tensorflow/include/') and not n.endswith('/'): dest = os.path.join(out, 'include', n[len('tensorflow/include/'):])
        else: continue
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with z.open(i) as src, open(dest, 'wb') as dst: shutil.copyfileobj(src, dst, 1 << 20)
`;

export function unpackWheel({ wheel, libsDir, force, log }) {
  const done = path.join(libsDir, 'lib', 'libtensorflow_cc.so.2');
  if (!force && fs.existsSync(done) && fs.existsSync(path.join(libsDir, 'include', 'tsl'))) return;
  const python = which('python3');
  if (!python) throw new StepError('unpack wheel', 'python3 is required to unpack the tensorflow-cpu wheel');
  log(`unpacking libtensorflow_cc.so.2, libtensorflow_framework.so.2 and include/ into ${libsDir}`);
  const tmp = `${libsDir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  const r = run(python, ['-c', UNZIP_PY, wheel, tmp]);
  if (!r.ok || !fs.existsSync(path.join(tmp, 'lib', 'libtensorflow_cc.so.2'))) {
    fs.rmSync(tmp, { recursive: true, force: true });
    const corrupt = /BadZipFile|CRC|truncated/i.test(r.stderr) ? ' (the wheel looks corrupt: delete it to download it again)' : '';
    throw new StepError('unpack wheel', `python3 could not unpack ${wheel}${corrupt}:\n${tail(r.stderr, 5)}`);
  }
  // Swap in atomically-enough: a half-unpacked tree never sits at libsDir.
  fs.rmSync(libsDir, { recursive: true, force: true });
  fs.renameSync(tmp, libsDir);
}

// ---------------------------------------------------------------- 3. stage into tfjs-node/deps

/** Hard link (instant, no extra disk) when cache and node_modules share a filesystem, else copy. */
function linkOrCopy(src, dest) {
  try { fs.linkSync(src, dest); } catch { fs.copyFileSync(src, dest); }
}

function linkTree(src, dest) {
  fs.mkdirSync(dest, { recursive: true });
  for (const e of fs.readdirSync(src, { withFileTypes: true })) {
    const s = path.join(src, e.name), d = path.join(dest, e.name);
    if (e.isDirectory()) linkTree(s, d); else linkOrCopy(s, d);
  }
}

export function stageDeps({ pkgDir, libsDir, libtfVersion }) {
  const deps = path.join(pkgDir, 'deps');
  fs.rmSync(deps, { recursive: true, force: true });
  const lib = path.join(deps, 'lib');
  fs.mkdirSync(lib, { recursive: true });
  for (const f of ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2']) linkOrCopy(path.join(libsDir, 'lib', f), path.join(lib, f));
  // binding.gyp links -ltensorflow -ltensorflow_framework; tfjs-node's scripts look for the
  // 2.9.1 names. The addon records the sonames (libtensorflow_cc.so.2 ...) and finds them via
  // its rpath $ORIGIN/../../deps/lib.
  const links = {
    'libtensorflow.so': 'libtensorflow_cc.so.2',
    'libtensorflow_framework.so': 'libtensorflow_framework.so.2',
    [`libtensorflow.so.${libtfVersion}`]: 'libtensorflow_cc.so.2',
    [`libtensorflow_framework.so.${libtfVersion}`]: 'libtensorflow_framework.so.2',
  };
  for (const [name, target] of Object.entries(links)) fs.symlinkSync(target, path.join(lib, name));
  // The WHOLE include tree: tf_status.h includes tsl/c/tsl_status.h, ctstring forwards to tsl/.
  linkTree(path.join(libsDir, 'include'), path.join(deps, 'include'));
  const ctstring = path.join(deps, 'include', 'tensorflow', 'core', 'platform', 'ctstring_internal.h');
  if (!fs.existsSync(ctstring)) {
    fs.mkdirSync(path.dirname(ctstring), { recursive: true });
    fs.writeFileSync(ctstring, '// Added by scripts/native-backend.mjs: forward to the tsl header.\n#include "tsl/platform/ctstring_internal.h"\n');
  }
}

// ---------------------------------------------------------------- 4. symbols the addon links against

// The 55 C / eager C API functions binding/*.cc calls (TF_TString_* are inline in the headers).
export const REQUIRED_SYMBOLS = `TFE_ContextListDevices TFE_DeleteContext TFE_DeleteContextOptions TFE_DeleteOp
TFE_DeleteTensorHandle TFE_Execute TFE_NewContext TFE_NewContextOptions TFE_NewOp TFE_NewTensorHandle TFE_OpAddInput
TFE_OpSetAttrBool TFE_OpSetAttrBoolList TFE_OpSetAttrFloat TFE_OpSetAttrFloatList TFE_OpSetAttrInt TFE_OpSetAttrIntList
TFE_OpSetAttrShape TFE_OpSetAttrString TFE_OpSetAttrType TFE_TensorHandleCopyToDevice TFE_TensorHandleDataType
TFE_TensorHandleDim TFE_TensorHandleNumDims TFE_TensorHandleResolve TF_AllocateTensor TF_DataTypeSize TF_DeleteBuffer
TF_DeleteDeviceList TF_DeleteGraph TF_DeleteSession TF_DeleteSessionOptions TF_DeleteStatus TF_DeleteTensor
TF_DeviceListCount TF_DeviceListName TF_DeviceListType TF_Dim TF_GetCode TF_GraphOperationByName
TF_LoadSessionFromSavedModel TF_Message TF_NewBuffer TF_NewBufferFromString TF_NewGraph TF_NewSessionOptions
TF_NewStatus TF_NewTensor TF_NumDims TF_SessionRun TF_TensorByteSize TF_TensorData TF_TensorElementCount
TF_TensorType TF_Version`.split(/\s+/);

/** Dynamic symbols a shared library defines, via nm, or readelf when nm is missing. */
function definedSymbols(lib) {
  if (which('nm')) {
    const r = run('nm', ['-D', '--defined-only', lib]);
    // binutils (2.40 here) prints versioned names (TF_Version@@tensorflow): keep the part before '@'.
    if (r.ok) return new Set(r.stdout.split('\n').map((l) => l.trim().split(/\s+/).pop().split('@')[0]));
  }
  if (which('readelf')) {
    const r = run('readelf', ['--dyn-syms', '-W', lib]);
    // Columns: Num: Value Size Type Bind Vis Ndx Name[@version]; Ndx UND = undefined.
    if (r.ok) return new Set(r.stdout.split('\n').map((l) => l.trim().split(/\s+/)).filter((c) => c.length >= 8 && c[6] !== 'UND').map((c) => c[7].split('@')[0]));
  }
  throw new StepError('check symbols', 'nm or readelf (binutils) is required to check libtensorflow_cc.so.2');
}

export function checkSymbols(lib) {
  const have = definedSymbols(lib);
  const missing = REQUIRED_SYMBOLS.filter((s) => !have.has(s));
  if (missing.length) throw new StepError('check symbols', `symbol(s) ${missing.join(', ')} missing from ${path.basename(lib)}`);
}

// ---------------------------------------------------------------- 5. build the addon

/** node-gyp to use: the one npm exports to scripts, else the copy bundled with npm. */
export function findNodeGyp() {
  const rel = path.join('node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  const npm = which('npm');
  const candidates = [
    process.env.npm_config_node_gyp, // set by npm when we run under `npm run`
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', rel), // /usr, nvm, official tarballs
    npm && path.join(path.dirname(fs.realpathSync(npm)), '..', rel), // npm installed elsewhere (bin/npm-cli.js)
  ];
  const found = candidates.find((p) => p && p.endsWith('.js') && fs.existsSync(p));
  if (!found) throw new StepError('check build tools', `node-gyp not found (looked for npm's bundled copy: ${candidates.filter(Boolean).join(', ')})`);
  return found;
}

/** A node "nodedir" with headers; node-gyp cannot download them on offline machines. */
export function findNodeDir() {
  const ok = (dir) => dir && fs.existsSync(path.join(dir, 'include', 'node', 'node_api.h')) && fs.existsSync(path.join(dir, 'include', 'node', 'common.gypi'));
  const candidates = [...new Set([process.env.npm_config_nodedir, '/usr', path.resolve(path.dirname(process.execPath), '..')])];
  const found = candidates.find(ok);
  if (!found) {
    throw new StepError('check build tools', 'node headers missing: set nodedir (npm_config_nodedir=DIR with DIR/include/node/node_api.h; ' +
      `Debian: apt-get install libnode-dev; official Node tarballs ship them in PREFIX/include/node). Looked in ${candidates.filter(Boolean).join(', ')}`);
  }
  return found;
}

/** Checks the build tools up front, so a missing one fails in a second, not after the unpacking. */
export function preflight() {
  const cxx = process.env.CXX ? process.env.CXX.split(' ')[0] : 'g++';
  const missing = [cxx, 'make', 'python3'].filter((c) => !which(c));
  if (missing.length) throw new StepError('check build tools', `${missing.join(', ')} missing: g++, make and python3 are needed to build the addon`);
  if (!which('nm') && !which('readelf')) throw new StepError('check build tools', 'nm or readelf (binutils) is required to check libtensorflow_cc.so.2');
  return { nodeGyp: findNodeGyp(), nodedir: findNodeDir() };
}

export function buildAddon({ pkgDir, napiVersion, nodeGyp, nodedir, log }) {
  const modulePath = path.join(pkgDir, 'lib', `napi-v${napiVersion}`);
  log(`building tfjs_binding.node with ${nodeGyp} (nodedir ${nodedir})`);
  // The module_* / napi_build_version variables are what binding.gyp expects from node-pre-gyp;
  // calling node-gyp directly builds only the one N-API version tfjs-node will load (node-pre-gyp
  // `rebuild` would build all six). Debian's gcc links with --as-needed, which would drop
  // libtensorflow_framework from the addon, hence --no-as-needed.
  const env = { ...process.env, LDFLAGS: `${process.env.LDFLAGS ?? ''} -Wl,--no-as-needed`.trim() };
  const r = run(process.execPath, [nodeGyp, 'rebuild', `--nodedir=${nodedir}`, '--module_name=tfjs_binding',
    `--module_path=${modulePath}`, `--napi_build_version=${napiVersion}`], { cwd: pkgDir, env });
  const addon = path.join(modulePath, 'tfjs_binding.node');
  if (!r.ok || !fs.existsSync(addon)) {
    throw new StepError('build addon', `node-gyp rebuild failed (exit ${r.status}):\n${tail(r.stdout + r.stderr)}`);
  }
  const needed = run('readelf', ['-d', addon]).stdout;
  for (const so of ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2']) {
    if (needed && !needed.includes(`[${so}]`)) throw new StepError('build addon', `${addon} does not link ${so} (linked with --as-needed?)`);
  }
  return addon;
}
