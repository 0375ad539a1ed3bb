// NAB benchmark: runs `hourglass eval nab` with the shipped defaults (no --config) over the NAB development files
// (../shared/eval/nab relative to the repository root, or HOURGLASS_NAB_DIR) and prints the three
// normalised scores and the wall time. A non-blocking CI benchmark (docs/evaluation.md).
//
//   npm run bench:nab               a markdown table on stdout, progress on stderr
//   npm run bench:nab -- --json     one JSON object as the last stdout line
//   npm run bench:nab -- --only art_ ec2_cpu   only files whose key contains one of these
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { environment } from './bench-util';

// test/dist/bench -> the repository root.
const root = resolve(__dirname, '..', '..', '..');
const nab = process.env.HOURGLASS_NAB_DIR ?? resolve(root, '..', 'shared', 'eval', 'nab');
const json = process.argv.includes('--json');
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? process.argv.slice(onlyAt + 1).filter((a) => !a.startsWith('--')) : [];

async function main(): Promise<void> {
  if (!existsSync(join(nab, 'data'))) {
    process.stderr.write(`bench:nab: NAB data not found at ${nab} (set HOURGLASS_NAB_DIR)\n`);
    process.exitCode = process.env.CI === 'true' ? 1 : 0;
    return;
  }
  const out = mkdtempSync(join(tmpdir(), 'hourglass-bench-nab-'));
  const args = [
    join(root, 'services', 'cli', 'dist', 'main.js'), 'eval', 'nab',
    '--data', join(nab, 'data'), '--labels', join(nab, 'labels', 'combined_windows.json'), '--profiles', join(nab, 'config', 'profiles.json'),
    '--out', out, '--json', ...(only.length > 0 ? ['--only', ...only] : []),
  ];
  const started = Date.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  const code = await new Promise<number>((r) => child.on('close', (c) => r(c ?? 1)));
  if (code !== 0) throw new Error(`hourglass eval nab exited with ${code}`);
  const summary = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  // What the figures were taken on: the backend each file's child process used, and versions.
  const full = JSON.parse(readFileSync(join(out, 'hourglass', 'summary.json'), 'utf8')) as { perFile?: { backend?: string }[] };
  const backends = [...new Set((full.perFile ?? []).map((f) => f.backend ?? 'unknown'))];
  const tfjsNode = (JSON.parse(readFileSync(require.resolve('@tensorflow/tfjs-node/package.json'), 'utf8')) as { version: string }).version;
  const env = environment(root);
  const setup = { backends, tfjsNode, node: env.node, cpus: env.cpus, cpuModel: env.cpuModel, gitCommit: env.gitCommit };
  const result = { ...summary, seconds, results: out, setup };
  if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else {
    process.stdout.write('| files | standard | low FP | low FN | seconds |\n| --- | --- | --- | --- | --- |\n');
    process.stdout.write(`| ${String(summary.files)} | ${String(summary.standard)} | ${String(summary.reward_low_FP_rate)} | ${String(summary.reward_low_FN_rate)} | ${seconds} |\n`);
    process.stdout.write(`\nbackend ${backends.join(', ')} (tfjs-node ${tfjsNode}), Node ${env.node}, ${env.cpus} x ${env.cpuModel}, commit ${env.gitCommit ?? 'unknown'}\n`);
    process.stderr.write(`results in ${out}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:nab: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
