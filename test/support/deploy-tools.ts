import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { repoRoot } from '../infra/paths';

/**
 * Runs `node scripts/deploy-tools.mjs <command>` (which installs a missing validator from Debian's
 * archive, PyPI or the Go module proxy into ~/.cache/hourglass/deploy-tools, then validates).
 * Returns its output and whether every check passed. When the tool itself cannot be had (exit 2:
 * not root for apt, no network, ...) the test is skipped with the reason, or fails when CI=true.
 */
export function runDeployTool(t: TestContext, command: string): { ok: boolean; output: string } | undefined {
  const result = spawnSync(process.execPath, [join(repoRoot(), 'scripts', 'deploy-tools.mjs'), command], { cwd: repoRoot(), encoding: 'utf8', timeout: 15 * 60_000 });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.status === 2) {
    const reason = `validator for '${command}' unavailable: ${output.trim().split('\n').pop()}`;
    if (process.env.CI === 'true') throw new Error(reason);
    t.skip(reason);
    return undefined;
  }
  for (const line of output.trim().split('\n')) t.diagnostic(line);
  return { ok: result.status === 0, output };
}
