import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** The repository root: the nearest folder up from here whose package.json is named "hourglass". */
export function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'hourglass') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the Hourglass repository root above ${__dirname}`);
    dir = parent;
  }
}

/** Where local infrastructure keeps its state, logs and pids: one folder that git ignores. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.HOURGLASS_INFRA_DIR ?? join(repoRoot(), '.hourglass-infra'));
}

/** Where large downloads (Kafka's jars) are cached, outside the repository. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'hourglass');
}
