import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { repoRoot } from '../infra/paths';
import type { SecureInfra } from '../infra/secure';

/** The `kafka` and `redis` config sections that reach the secured infrastructure, secrets as files. */
export function secureConnection(infra: SecureInfra, overrides: { kafkaPasswordFile?: string; redisPasswordFile?: string; trustCa?: boolean } = {}): { kafka: Record<string, unknown>; redis: Record<string, unknown> } {
  const trust = overrides.trustCa ?? true;
  return {
    kafka: {
      brokers: [...infra.kafkaBrokers],
      connectionTimeoutMs: 3000,
      security: {
        sasl: { mechanism: 'scram-sha-512', username: infra.user, passwordFile: overrides.kafkaPasswordFile ?? infra.kafkaPasswordFile },
        tls: trust ? { caFile: infra.caFile } : {},
      },
    },
    redis: {
      url: infra.redisUrl,
      username: infra.user,
      passwordFile: overrides.redisPasswordFile ?? infra.redisPasswordFile,
      tls: trust ? { caFile: infra.caFile } : {},
    },
  };
}

/** Writes `config` as JSON into `dir` and returns the path. */
export function writeConfig(dir: string, name: string, config: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(config, null, 2), { mode: 0o600 });
  return file;
}

/** `hourglass ARGS...` as its own process, as an operator runs it; stdout and stderr captured apart. */
export interface CliProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or signal) once it exited. */
  readonly exited: Promise<number | string>;
  /** SIGTERM (or `signal`), then waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

export function startCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  // No KAFKA_BROKERS / REDIS_URL from the test run's environment: they would override the config file.
  const base = { ...process.env };
  for (const name of ['KAFKA_BROKERS', 'REDIS_URL', 'PROMETHEUS_URL', 'HOURGLASS_LOG_LEVEL']) delete base[name];
  const child = spawn(process.execPath, [join(repoRoot(), 'services', 'cli', 'dist', 'main.js'), ...args], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => void (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => void (err += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('close', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs `hourglass ARGS...` to completion (killed after `timeoutMs`). */
export async function runCli(args: readonly string[], timeoutMs = 60_000): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const cli = startCli(args);
  const timer = setTimeout(() => cli.child.kill('SIGKILL'), timeoutMs);
  try {
    const code = await cli.exited;
    return { code, stdout: cli.stdout(), stderr: cli.stderr() };
  } finally {
    clearTimeout(timer);
  }
}

/** The first JSON log line (pino, on stderr) whose `msg` matches, once it appears. */
export async function waitForLogLine(cli: CliProcess, msg: RegExp, timeoutMs: number): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const line of cli.stderr().split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        if (typeof entry.msg === 'string' && msg.test(entry.msg)) return entry;
      } catch {
        // a partial line: read again next round
      }
    }
    if (cli.child.exitCode !== null || cli.child.signalCode !== null) throw new Error(`hourglass exited (${cli.child.exitCode ?? cli.child.signalCode}) before logging ${msg}; stderr:\n${cli.stderr().slice(-4000)}`);
    if (Date.now() > deadline) throw new Error(`no log line ${msg} within ${timeoutMs} ms; stderr:\n${cli.stderr().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A loopback address other than 127.0.0.1 that this machine can bind (Linux routes all of 127/8), or undefined. */
export function secondLoopback(address = '127.0.0.2'): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(0, address, () => server.close(() => resolve(address)));
  });
}

/** Every place where one of `secrets` occurs in `text`, as `where: …context…` (empty when none). */
export function secretLeaks(where: string, text: string, secrets: readonly string[]): string[] {
  const leaks: string[] = [];
  for (const secret of secrets) {
    const at = text.indexOf(secret);
    if (at >= 0) leaks.push(`${where}: …${text.slice(Math.max(0, at - 60), at).replaceAll(secret, '<SECRET>')}<SECRET>…`);
  }
  return leaks;
}
