// Leave-one-category-out over candidate configurations (issue 16, docs/evaluation.md): runs
// `hourglass eval nab --config FILE` for each candidate over the NAB development files, then, for
// each category, picks the candidate and threshold that score best on the other four and scores the
// held-out category with them. Prints the LOCO table and each candidate's plain score by category.
//
//   npm run bench:nab-loco -- test/bench/nab-candidates/*.yaml     default first is implied
//   npm run bench:nab-loco -- --reuse DIR ...                      reuse DIR/<name> result folders
//
// A candidate is a config file as `hourglass run` reads it (its first group is evaluated); the
// shipped default (no --config) is always candidate "default" and comes first, so ties go to it.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { PROFILE_NAMES, leaveOneCategoryOut, loadDetectorResults, readProfiles, type LocoCandidate } from '@hourglass/eval';
import { environment } from './bench-util';

const root = resolve(__dirname, '..', '..', '..');
const nab = process.env.HOURGLASS_NAB_DIR ?? resolve(root, '..', 'shared', 'eval', 'nab');
const argv = process.argv.slice(2);
const reuseAt = argv.indexOf('--reuse');
const reuseDir = reuseAt >= 0 ? argv[reuseAt + 1] : undefined;
const jobsAt = argv.indexOf('--jobs');
const jobs = jobsAt >= 0 ? argv[jobsAt + 1] : undefined;
const configs = argv.filter((a, i) => !a.startsWith('--') && argv[i - 1] !== '--reuse' && argv[i - 1] !== '--jobs');

function runEval(config: string | undefined, out: string): Promise<void> {
  const args = [
    join(root, 'services', 'cli', 'dist', 'main.js'), 'eval', 'nab',
    '--data', join(nab, 'data'), '--labels', join(nab, 'labels', 'combined_windows.json'), '--profiles', join(nab, 'config', 'profiles.json'),
    '--out', out, ...(config ? ['--config', config] : []), ...(jobs ? ['--jobs', jobs] : []),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  return new Promise((ok, fail) => child.on('close', (code) => (code === 0 ? ok() : fail(new Error(`eval nab ${config ?? '(default)'} exited with ${code}`)))));
}

const fmt = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : 'no windows');

async function main(): Promise<void> {
  if (!existsSync(join(nab, 'data'))) {
    process.stderr.write(`bench:nab-loco: NAB data not found at ${nab} (set HOURGLASS_NAB_DIR)\n`);
    process.exitCode = 1;
    return;
  }
  const base = reuseDir ?? mkdtempSync(join(tmpdir(), 'hourglass-nab-loco-'));
  mkdirSync(base, { recursive: true });
  const named = [{ name: 'default', config: undefined as string | undefined }, ...configs.map((c) => ({ name: basename(c).replace(/\.ya?ml$/, ''), config: resolve(c) }))];
  const candidates: LocoCandidate[] = [];
  for (const { name, config } of named) {
    const out = join(base, name);
    if (!existsSync(join(out, 'hourglass', 'summary.json'))) {
      process.stderr.write(`bench:nab-loco: running ${name}\n`);
      await runEval(config, out);
    } else process.stderr.write(`bench:nab-loco: reusing ${out}\n`);
    const files = await loadDetectorResults({ resultsDir: out, labelsFile: join(nab, 'labels', 'combined_windows.json'), detector: 'hourglass' });
    candidates.push({ name, files: files.map((f) => f.prepared) });
  }
  const result = leaveOneCategoryOut(candidates, await readProfiles(join(nab, 'config', 'profiles.json')));
  const w = (s: string): boolean => process.stdout.write(s);
  w('## Leave-one-category-out\n\n| held-out category | chosen on the other four | standard | low FP | low FN |\n| --- | --- | --- | --- | --- |\n');
  for (const [i, category] of result.categories.entries()) {
    const folds = PROFILE_NAMES.map((p) => result.profiles[p].folds[i]!);
    const chosen = [...new Set(folds.map((f) => f.chosen))].join(' / ');
    w(`| ${category} | ${chosen} | ${folds.map((f) => (Number.isFinite(f.heldOutScore) ? fmt(f.heldOutScore) : `${f.falsePositives} false positives`)).join(' | ')} |\n`);
  }
  w(`| **total** | | ${PROFILE_NAMES.map((p) => `**${fmt(result.profiles[p].total)}**`).join(' | ')} |\n\n`);
  w(`## Plain scores (threshold swept on all files), standard profile by category\n\n| candidate | all | ${result.categories.join(' | ')} | low FP | low FN |\n| --- | --- |${result.categories.map(() => ' --- |').join('')} --- | --- |\n`);
  for (const c of candidates) {
    const p = result.plain[c.name]!;
    w(`| ${c.name} | ${fmt(p.standard.total)} | ${result.categories.map((cat) => fmt(p.standard.byCategory[cat]!)).join(' | ')} | ${fmt(p.reward_low_FP_rate.total)} | ${fmt(p.reward_low_FN_rate.total)} |\n`);
  }
  const env = environment(root);
  w(`\nNode ${env.node}, ${env.cpus} x ${env.cpuModel}, commit ${env.gitCommit ?? 'unknown'}; results in ${base}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:nab-loco: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
