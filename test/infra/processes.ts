import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * Starts a long-lived server process detached from this one (it outlives `infra:up`), with its
 * output appended to a log file. Returns its pid, which is the only handle we ever kill it by.
 */
export function spawnDetached(command: string, args: readonly string[], options: { logFile: string; cwd: string; env?: NodeJS.ProcessEnv }): number {
  const fd = openSync(options.logFile, 'a');
  try {
    const child = spawn(command, args, { cwd: options.cwd, detached: true, stdio: ['ignore', fd, fd], env: options.env ?? process.env });
    if (child.pid === undefined) throw new Error(`could not start ${command}`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/**
 * True when `pid` is alive and its working directory lies inside `marker` (our state folder; every
 * service is started there), so that a pid recycled by an unrelated process is never mistaken for
 * ours, and never killed. The working directory, unlike the command line, survives servers that
 * rewrite their process title (redis-server does).
 */
export function isOurProcess(pid: number, marker: string): boolean {
  try {
    const cwd = readlinkSync(`/proc/${pid}/cwd`);
    return (cwd === marker || cwd.startsWith(`${marker}/`)) && !isZombie(pid);
  } catch {
    return false;
  }
}

function isZombie(pid: number): boolean {
  try {
    return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopProcess(pid: number, marker: string, graceMs = 15_000): Promise<'stopped' | 'killed' | 'absent'> {
  if (!isOurProcess(pid, marker)) return 'absent';
  process.kill(pid, 'SIGTERM');
  if (await waitFor(() => !isOurProcess(pid, marker), graceMs)) return 'stopped';
  process.kill(pid, 'SIGKILL');
  await waitFor(() => !isOurProcess(pid, marker), 5_000);
  return 'killed';
}

/** Polls `condition` every 100 ms (or `intervalMs`) until it holds or `timeoutMs` passes. */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
