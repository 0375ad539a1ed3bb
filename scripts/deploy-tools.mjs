#!/usr/bin/env node
// Validates everything under deploy/ and docker-compose.yml with the real tools, installing the
// ones that are missing from package registries only (Debian's archive, PyPI, the Go module
// proxy), into ~/.cache/hourglass/deploy-tools. Idempotent: a second run installs nothing.
//
//   node scripts/deploy-tools.mjs rules        promtool check rules + promtool test rules + check config
//   node scripts/deploy-tools.mjs alertmanager amtool check-config
//   node scripts/deploy-tools.mjs compose      docker compose config (or docker-compose v1 from Debian)
//   node scripts/deploy-tools.mjs kubernetes   kubernetes-validate --strict (schemas bundled; offline)
//   node scripts/deploy-tools.mjs all          all of the above
//   node scripts/deploy-tools.mjs which TOOL   prints the path of promtool|amtool|compose|kubernetes-validate|promtool-full
//
// Exit status 0 when every check passed; 1 when one failed; 2 when a tool could not be installed
// (not root for apt, no network for PyPI, ...): the message says what to install by hand.
// promtool-full: Debian's promtool is built without Kubernetes service discovery, so
// deploy/prometheus/prometheus-kubernetes.yml is checked with an upstream promtool built from the
// Go module proxy, but only when HOURGLASS_DEPLOY_FULL_PROMTOOL=1 or it is already in the cache
// (the build downloads a few hundred modules); otherwise that one file is reported as skipped.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cache = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'hourglass', 'deploy-tools');
const log = (line) => process.stderr.write(`deploy-tools: ${line}\n`);

/** Pinned so that a cached install is exactly what a fresh one would be. */
export const KUBERNETES_VALIDATE_VERSION = '1.34.1';
/** The Kubernetes API version the manifests are validated against. */
export const KUBERNETES_VERSION = '1.30.0';
/** Upstream Prometheus (Go module v0.X.Y is Prometheus 2.X.Y) for the full promtool. */
export const PROMETHEUS_MODULE_VERSION = 'v0.54.1';

class ToolMissing extends Error {}

function run(command, args, options = {}) {
  return spawnSync(command, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
}

function which(binary) {
  const result = run('sh', ['-c', `command -v ${binary}`]);
  const path = result.stdout.trim();
  return result.status === 0 && path ? path : undefined;
}

/** Installs Debian packages when root (like test/infra/packages.ts), else explains what to run. */
function aptInstall(binary, pkg) {
  if (which(binary)) return which(binary);
  const command = `apt-get install -y --no-install-recommends ${pkg}`;
  if (process.getuid?.() !== 0) throw new ToolMissing(`${binary} is missing; install it with: sudo ${command}`);
  if (!which('apt-get')) throw new ToolMissing(`${binary} is missing and this is not a Debian-like system: install the ${pkg} package`);
  log(`installing Debian package ${pkg}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', RUNLEVEL: '1' };
  const lists = run('sh', ['-c', 'ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1']);
  if (lists.status !== 0) run('apt-get', ['update', '-q'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const result = run('apt-get', ['install', '-y', '-q', '--no-install-recommends', pkg], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0 || !which(binary)) throw new ToolMissing(`'${command}' failed (exit ${result.status}); see the apt output above`);
  return which(binary);
}

const tools = {
  promtool: () => aptInstall('promtool', 'prometheus'),
  amtool: () => aptInstall('amtool', 'prometheus-alertmanager'),

  /** `docker compose` (v2 plugin) when present, else docker-compose (v1, Debian's package). */
  compose() {
    if (which('docker') && run('docker', ['compose', 'version']).status === 0) return ['docker', 'compose'];
    return [aptInstall('docker-compose', 'docker-compose')];
  },

  /** kubernetes-validate from PyPI in a venv; it bundles the Kubernetes JSON schemas. */
  'kubernetes-validate'() {
    const venv = join(cache, `kubernetes-validate-${KUBERNETES_VALIDATE_VERSION}`);
    const bin = join(venv, 'bin', 'kubernetes-validate');
    const done = join(venv, '.installed'); // written last: a half-finished install is redone
    if (existsSync(done) && existsSync(bin)) return bin;
    const python = which('python3');
    if (!python) throw new ToolMissing('python3 is needed to install kubernetes-validate (PyPI)');
    log(`installing kubernetes-validate ${KUBERNETES_VALIDATE_VERSION} from PyPI into ${venv}`);
    rmSync(venv, { recursive: true, force: true });
    mkdirSync(cache, { recursive: true });
    let result = run(python, ['-m', 'venv', venv], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (result.status === 0) {
      result = run(join(venv, 'bin', 'pip'), ['install', '-q', '--disable-pip-version-check', `kubernetes-validate==${KUBERNETES_VALIDATE_VERSION}`], { stdio: ['ignore', 'ignore', 'inherit'] });
    }
    if (result.status !== 0 || !existsSync(bin)) {
      rmSync(venv, { recursive: true, force: true });
      throw new ToolMissing(`could not install kubernetes-validate==${KUBERNETES_VALIDATE_VERSION} from PyPI (python3 -m venv, then pip); see the output above`);
    }
    writeFileSync(done, `${new Date().toISOString()}\n`);
    return bin;
  },

  /** Upstream promtool (with Kubernetes SD), built from the Go module proxy; undefined when not wanted. */
  'promtool-full'() {
    const bin = join(cache, `promtool-${PROMETHEUS_MODULE_VERSION}`, 'promtool');
    if (existsSync(bin)) return bin;
    if (process.env.HOURGLASS_DEPLOY_FULL_PROMTOOL !== '1') return undefined;
    if (!which('go')) throw new ToolMissing('Go is needed to build the upstream promtool');
    log(`building promtool from github.com/prometheus/prometheus@${PROMETHEUS_MODULE_VERSION} (Go module proxy); a few minutes, once`);
    const module = `github.com/prometheus/prometheus@${PROMETHEUS_MODULE_VERSION}`;
    let result = run('go', ['mod', 'download', module], { stdio: ['ignore', 'ignore', 'inherit'] });
    const modcache = run('go', ['env', 'GOMODCACHE']).stdout.trim();
    // `go install module@version` refuses modules with replace directives, so build inside the module.
    if (result.status === 0) {
      result = run('go', ['build', '-o', bin, './cmd/promtool'], { cwd: join(modcache, 'github.com', 'prometheus', `prometheus@${PROMETHEUS_MODULE_VERSION}`), stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, GOFLAGS: '-buildvcs=false' } });
    }
    if (result.status !== 0 || !existsSync(bin)) throw new ToolMissing(`could not build promtool from ${module}`);
    return bin;
  },
};

function tool(name) {
  const found = tools[name]();
  return Array.isArray(found) ? found : found === undefined ? undefined : [found];
}

/** Runs one check, prints its output, and returns whether it passed. */
function check(what, command, args) {
  const result = run(command[0], [...command.slice(1), ...args]);
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
  const ok = result.status === 0;
  process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${what}\n`);
  if (!ok || process.env.HOURGLASS_DEPLOY_VERBOSE === '1') process.stdout.write(`${output.replace(/^/gm, '     ')}\n`);
  return ok;
}

const files = (dir, pattern) => readdirSync(join(root, dir)).filter((f) => pattern.test(f)).sort().map((f) => join(dir, f));

const checks = {
  rules() {
    const promtool = tool('promtool');
    const rules = files('deploy/prometheus/rules', /\.ya?ml$/);
    const tests = files('deploy/prometheus/tests', /\.ya?ml$/);
    let ok = check(`promtool check rules (${rules.length} files)`, promtool, ['check', 'rules', ...rules]);
    ok = check(`promtool test rules (${tests.length} files)`, promtool, ['test', 'rules', ...tests]) && ok;
    ok = check('promtool check config deploy/prometheus/prometheus.yml', promtool, ['check', 'config', 'deploy/prometheus/prometheus.yml']) && ok;
    ok = check('promtool check config deploy/prometheus/prometheus-static.yml', promtool, ['check', 'config', 'deploy/prometheus/prometheus-static.yml']) && ok;
    const full = tool('promtool-full');
    if (full) ok = check('promtool (upstream) check config deploy/prometheus/prometheus-kubernetes.yml', full, ['check', 'config', 'deploy/prometheus/prometheus-kubernetes.yml']) && ok;
    else process.stdout.write('skip deploy/prometheus/prometheus-kubernetes.yml: Debian\'s promtool lacks Kubernetes SD (set HOURGLASS_DEPLOY_FULL_PROMTOOL=1 to build upstream promtool)\n');
    return ok;
  },
  alertmanager: () => check('amtool check-config deploy/alertmanager/alertmanager.yml', tool('amtool'), ['check-config', 'deploy/alertmanager/alertmanager.yml']),
  compose() {
    const compose = tool('compose');
    // Offline: `config` only parses, interpolates and validates; it contacts no engine or registry.
    return check(`${compose.map((c) => c.split('/').pop()).join(' ')} config docker-compose.yml`, compose, ['-f', 'docker-compose.yml', 'config', '-q']);
  },
  kubernetes() {
    const manifests = files('deploy/kubernetes', /\.ya?ml$/);
    return check(`kubernetes-validate --strict -k ${KUBERNETES_VERSION} (${manifests.length} files)`, tool('kubernetes-validate'), ['--strict', '--quiet', '-k', KUBERNETES_VERSION, ...manifests]);
  },
};

function main(argv) {
  const [command = 'all', arg] = argv;
  try {
    if (command === 'which') {
      if (!tools[arg]) throw new Error(`unknown tool '${arg}'`);
      const found = tool(arg);
      if (!found) return 2;
      process.stdout.write(`${found.join(' ')}\n`);
      return 0;
    }
    const names = command === 'all' ? Object.keys(checks) : [command];
    for (const name of names) if (!checks[name]) throw new Error(`unknown command '${name}'; see the header of scripts/deploy-tools.mjs`);
    let ok = true;
    for (const name of names) ok = checks[name]() && ok;
    return ok ? 0 : 1;
  } catch (error) {
    if (error instanceof ToolMissing) {
      log(`ERROR: ${error.message}`);
      return 2;
    }
    throw error;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main(process.argv.slice(2));
