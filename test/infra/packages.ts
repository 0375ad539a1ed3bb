import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** A program that local infrastructure runs, and the Debian package that provides it. */
export interface Requirement {
  readonly binary: string;
  readonly debianPackage: string;
}

/**
 * Makes sure every required program exists. Missing ones are installed with apt when we are root
 * (services are not started by the package scripts: we run our own instances); otherwise it fails
 * with the exact command to run.
 */
export function ensurePrograms(requirements: readonly Requirement[], log: (line: string) => void): void {
  const missing = requirements.filter((r) => !which(r.binary));
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((r) => r.debianPackage))];
  const command = `apt-get install -y --no-install-recommends ${packages.join(' ')}`;
  if (process.getuid?.() !== 0) {
    throw new Error(`missing ${missing.map((r) => r.binary).join(', ')}; install them with: sudo ${command}`);
  }
  log(`installing Debian packages: ${packages.join(' ')}`);
  // RUNLEVEL=1 keeps invoke-rc.d from starting the packages' own system services.
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', RUNLEVEL: '1' };
  const listsAreEmpty = !existsSync('/var/lib/apt/lists') || spawnSync('sh', ['-c', 'ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1']).status !== 0;
  if (listsAreEmpty) execFileSync('apt-get', ['update', '-q'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  const result = spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...packages], { stdio: ['ignore', 'ignore', 'inherit'], env });
  if (result.status !== 0) throw new Error(`'${command}' failed (exit ${result.status ?? 'signal'}); see the apt output above`);
  const still = missing.filter((r) => !which(r.binary));
  if (still.length > 0) throw new Error(`installed ${packages.join(' ')} but ${still.map((r) => r.binary).join(', ')} is still missing`);
}

/** Full path of `binary` on PATH, or undefined. */
export function which(binary: string): string | undefined {
  const result = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' });
  const path = result.stdout.trim();
  return result.status === 0 && path ? path : undefined;
}
