// Episodes benchmark: `hourglass run` with the default config (exactly as a user runs it on a CSV)
// over every NAB development file (../shared/eval/nab, or HOURGLASS_NAB_DIR), counting what an
// operator sees: labelled windows found (an episode opens inside the window or at most one model
// window before it), episodes outside any window, and false episodes per 1,000 rows; per file, per
// category and in total, with the models fitted per file. docs/evaluation.md holds its table.
//
//   npm run bench:episodes               markdown tables on stdout, progress on stderr
//   npm run bench:episodes -- --json     one JSON object as the last stdout line
//   npm run bench:episodes -- --only art_ ec2_cpu
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { compileConfig } from '@hourglass/core';
import { falsePerThousandRows, readWindowLabels, scoreEpisodes, sumEpisodeScores, type EpisodeScore } from '@hourglass/eval';
import { listNabDataFiles, parseNabTimestamp } from '@hourglass/cli/dist/eval/nab-results';
import { environment } from './bench-util';

const root = resolve(__dirname, '..', '..', '..');
const nab = process.env.HOURGLASS_NAB_DIR ?? resolve(root, '..', 'shared', 'eval', 'nab');
const json = process.argv.includes('--json');
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? process.argv.slice(onlyAt + 1).filter((a) => !a.startsWith('--')) : [];
const JOBS = 2;

interface FileResult extends EpisodeScore {
  readonly key: string;
  readonly backend: string;
  readonly modelsFitted: number;
  readonly seconds: number;
}

/** Runs `hourglass run --input FILE --json` in a fresh state folder and returns its summary and the opens. */
async function runFile(path: string): Promise<{ modelsFitted: number; opensMs: number[]; rows: number; backend: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'hourglass-bench-episodes-'));
  try {
    const events = join(dir, 'events.ndjson');
    const args = [join(root, 'services', 'cli', 'dist', 'main.js'), 'run', '--input', path, '--events', events, '--state-dir', join(dir, 'state'), '--json'];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
    const code = await new Promise<number>((r) => child.on('close', (c) => r(c ?? 1)));
    if (code !== 0) throw new Error(`hourglass run --input ${path} exited with ${code}: ${stderr}`);
    const summary = JSON.parse(stdout.trim().split('\n').pop()!) as { modelsFitted: number; points: number; backend: string };
    const opensMs = readFileSync(events, 'utf8').split('\n').filter(Boolean)
      .map((line) => JSON.parse(line) as { state: string; windowEnd: string })
      .filter((e) => e.state === 'open').map((e) => Date.parse(e.windowEnd));
    return { modelsFitted: summary.modelsFitted, opensMs, rows: summary.points, backend: summary.backend };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function row(name: string, s: EpisodeScore, extra: string): string {
  return `| ${name} | ${s.rows} | ${s.found} / ${s.windows} | ${s.episodes} | ${s.falseEpisodes} | ${falsePerThousandRows(s).toFixed(2)} |${extra}`;
}

async function main(): Promise<void> {
  if (!existsSync(join(nab, 'data'))) {
    process.stderr.write(`bench:episodes: NAB data not found at ${nab} (set HOURGLASS_NAB_DIR)\n`);
    process.exitCode = process.env.CI === 'true' ? 1 : 0;
    return;
  }
  const labels = await readWindowLabels(join(nab, 'labels', 'combined_windows.json'));
  let files = await listNabDataFiles(join(nab, 'data'));
  if (only.length > 0) files = files.filter((f) => only.some((o) => f.key.includes(o)));
  // "Just before": the default group's window, W steps; NAB's files are five-minute series except a few.
  const lengthSteps = compileConfig({}).groups[0]!.window.lengthSteps;
  const started = Date.now();
  const results: FileResult[] = [];
  const queue = [...files];
  await Promise.all(Array.from({ length: JOBS }, async () => {
    for (let f = queue.shift(); f; f = queue.shift()) {
      const t0 = Date.now();
      const run = await runFile(f.path);
      const windows = (labels.get(f.key) ?? []).map(([a, b]) => [parseNabTimestamp(a), parseNabTimestamp(b)] as const);
      const table = readFileSync(f.path, 'utf8').split('\n').slice(1, 3).map((l) => parseNabTimestamp(l.split(',')[0]!));
      const intervalMs = Number.isFinite(table[1]! - table[0]!) ? table[1]! - table[0]! : 300_000;
      const score = scoreEpisodes(run.opensMs, windows, run.rows, lengthSteps * intervalMs);
      results.push({ key: f.key, backend: run.backend, ...score, modelsFitted: run.modelsFitted, seconds: (Date.now() - t0) / 1000 });
      process.stderr.write(`bench:episodes: ${results.length}/${files.length} ${f.key}: ${score.found}/${score.windows} found, ${score.falseEpisodes} false, ${run.modelsFitted} models\n`);
    }
  }));
  results.sort((a, b) => (a.key < b.key ? -1 : 1));
  const categories = [...new Set(results.map((r) => r.key.split('/')[0]!))];
  const byCategory = categories.map((c) => ({ category: c, ...sumEpisodeScores(results.filter((r) => r.key.startsWith(`${c}/`))) }));
  const total = sumEpisodeScores(results);
  const real = sumEpisodeScores(results.filter((r) => r.key.startsWith('real')));
  const withoutModel = results.filter((r) => r.modelsFitted === 0).map((r) => r.key);
  const env = environment(root);
  const tfjsNode = (JSON.parse(readFileSync(require.resolve('@tensorflow/tfjs-node/package.json'), 'utf8')) as { version: string }).version;
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  const backends = [...new Set(results.map((r) => r.backend))].join(', ');
  if (json) {
    process.stdout.write(`${JSON.stringify({ total, real, byCategory, perFile: results, withoutModel, seconds, setup: { backends, tfjsNode, node: env.node, cpus: env.cpus, cpuModel: env.cpuModel, gitCommit: env.gitCommit } })}\n`);
    return;
  }
  const head = '| files | rows | windows found | episodes | false episodes | false per 1,000 rows |';
  process.stdout.write(`${head}\n| --- | --- | --- | --- | --- | --- |\n`);
  for (const c of byCategory) process.stdout.write(`${row(c.category, c, '')}\n`);
  process.stdout.write(`${row('**real categories**', real, '')}\n${row('**all**', total, '')}\n\n`);
  process.stdout.write(`${head} models fitted |\n| --- | --- | --- | --- | --- | --- | --- |\n`);
  for (const r of results) process.stdout.write(`${row(r.key, r, ` ${r.modelsFitted} |`)}\n`);
  process.stdout.write(`\nfiles without a model: ${withoutModel.length === 0 ? 'none' : withoutModel.join(', ')}\n`);
  process.stdout.write(`${seconds} s; hourglass run with the default config; backend ${backends} (tfjs-node ${tfjsNode}), Node ${env.node}, ${env.cpus} x ${env.cpuModel}, commit ${env.gitCommit ?? 'unknown'}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:episodes: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
