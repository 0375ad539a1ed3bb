// Generates @hourglass/otlp-proto (shared/otlp-proto/generated): protobufjs static code and its
// TypeScript declarations for the OTLP metrics schema. The .proto files are the official ones of
// the Go module github.com/open-telemetry/opentelemetry-proto at OTLP_PROTO_VERSION, fetched with
// `go mod download` through the Go module proxy (checksum-verified by the Go tool, cached in
// GOMODCACHE outside the repository); neither they nor the generated code are committed.
// Runs from scripts/setup.mjs, only when the version or this script changed.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const OTLP_PROTO_MODULE = 'github.com/open-telemetry/opentelemetry-proto';
export const OTLP_PROTO_VERSION = 'v1.10.0';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'shared', 'otlp-proto', 'generated');
const PROTOS = ['opentelemetry/proto/collector/metrics/v1/metrics_service.proto'];

function sh(command, args, what) {
  const result = spawnSync(command, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.error) throw new Error(`${what}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${what} failed (${command} exited ${result.status}): ${(result.stderr || result.stdout).trim().slice(-800)}`);
  return result.stdout;
}

/** Where the Go tool put the module's files (downloading them first if they are not cached). */
function protoDir() {
  let listed;
  try {
    listed = sh('go', ['mod', 'download', '-json', `${OTLP_PROTO_MODULE}@${OTLP_PROTO_VERSION}`], 'go mod download');
  } catch (error) {
    throw new Error(`${error.message}\nThe OTLP .proto files come from the Go module proxy: install Go (https://go.dev, or Debian's golang-go), or set GOPROXY to a proxy you can reach.`);
  }
  const info = JSON.parse(listed);
  if (info.Error || !info.Dir) throw new Error(`go mod download ${OTLP_PROTO_MODULE}@${OTLP_PROTO_VERSION}: ${info.Error ?? 'no directory'}`);
  return info.Dir;
}

export function ensureOtlpProto({ log }) {
  const script = readFileSync(fileURLToPath(import.meta.url));
  const stamp = createHash('sha256').update(script).update(OTLP_PROTO_VERSION).digest('hex');
  const stampFile = join(out, '.stamp');
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp && existsSync(join(out, 'otlp.js')) && existsSync(join(out, 'otlp.d.ts'))) return;
  log(`generating the OTLP metrics schema code from ${OTLP_PROTO_MODULE}@${OTLP_PROTO_VERSION}`);
  const dir = protoDir();
  mkdirSync(out, { recursive: true });
  const bin = (name) => join(root, 'node_modules', 'protobufjs-cli', 'bin', name);
  // static-module: specialised encode/decode per message (fast, no reflection at run time);
  // --force-number: 64-bit integers as JS numbers (times in ns lose sub-µs digits, which windows do not keep).
  sh(process.execPath, [bin('pbjs'), '-t', 'static-module', '-w', 'commonjs', '--force-number', '--no-delimited', '--no-verify', '--no-service', '--no-typeurl', '-p', dir, '-o', join(out, 'otlp.js'), ...PROTOS.map((p) => join(dir, p))], 'pbjs');
  sh(process.execPath, [bin('pbts'), '-o', join(out, 'otlp.d.ts'), join(out, 'otlp.js')], 'pbts');
  writeFileSync(join(out, 'SOURCE'), `${OTLP_PROTO_MODULE}@${OTLP_PROTO_VERSION}\n`);
  writeFileSync(stampFile, stamp);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) ensureOtlpProto({ log: (line) => process.stderr.write(`otlp-proto: ${line}\n`) });
