import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeRedis } from '@hourglass/redis';
import { repoRoot } from '../infra/paths';
import { freePort, waitFor } from '../infra/processes';

/** A service started as its own process (`hourglass <command> --config FILE`), as operators run it. */
export interface ServiceProcess {
  readonly child: ChildProcess;
  /** Everything it wrote to stderr (its logs), for failure messages. */
  readonly logs: () => string;
  kill(signal: NodeJS.Signals): Promise<void>;
}

/**
 * Writes `config` to a temporary file and starts `hourglass <command>` with it. The file is the
 * whole truth: the test run's own address variables (KAFKA_BROKERS, REDIS_URL, PROMETHEUS_URL,
 * which override config files) are cleared, so a service pointed at a private broker stays there.
 * `env` is applied last and may set them again. `nodeArgs` go to node itself, before the script
 * (`--cpu-prof`, which NODE_OPTIONS refuses).
 */
export function startServiceProcess(command: string, config: unknown, env: NodeJS.ProcessEnv = {}, extraArgs: readonly string[] = [], nodeArgs: readonly string[] = []): ServiceProcess {
  const dir = mkdtempSync(join(tmpdir(), 'hourglass-svc-'));
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(config));
  // A command may have words (`incidents serve`).
  const child = spawn(process.execPath, [...nodeArgs, join(repoRoot(), 'services', 'cli', 'dist', 'main.js'), ...command.split(' '), '--config', file, ...extraArgs], {
    env: { ...process.env, KAFKA_BROKERS: '', REDIS_URL: '', PROMETHEUS_URL: '', ...env }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let logs = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    logs += chunk.toString();
    if (logs.length > 200_000) logs = logs.slice(-100_000);
  });
  return {
    child,
    logs: () => logs,
    kill: (signal) =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}

/** A private redis-server on a free loopback port (for tests that stop and restart Redis). */
export async function startPrivateRedis(port?: number): Promise<{ url: string; port: number; stop(): Promise<void> }> {
  const chosen = port ?? (await freePort());
  const child = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(chosen), '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${chosen}`;
  const ready = await waitFor(async () => probeRedis(url, 500).then(() => true, () => false), 10_000, 100);
  if (!ready) throw new Error(`private redis-server on ${chosen} did not start`);
  return {
    url,
    port: chosen,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Resident memory of a process in MiB, from /proc; undefined when it is gone. */
export function rssMiB(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes `config` to a temporary file and returns `run(...args)`: `hourglass ARGS --config FILE` as
 * an operator types it (USER oncall, so stored records name who), asserting exit 0 and returning
 * stdout. `remove()` deletes the file.
 */
export function cliWithConfig(config: unknown): { run(...args: string[]): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'hourglass-cli-'));
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(config));
  const cli = join(repoRoot(), 'services', 'cli', 'dist', 'main.js');
  return {
    run(...args: string[]): string {
      const result = spawnSync(process.execPath, [cli, ...args, '--config', file], { encoding: 'utf8', env: { ...process.env, USER: 'oncall' } });
      assert.equal(result.status, 0, `hourglass ${args.join(' ')}: ${result.stderr}${result.stdout}`);
      return result.stdout;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
