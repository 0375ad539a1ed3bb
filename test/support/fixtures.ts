import { randomBytes } from 'node:crypto';
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { infrastructureFromEnv, resolveInfrastructure, type Infrastructure } from './infrastructure';

let shared: Promise<Infrastructure> | undefined;

/**
 * The infrastructure for an integration test. `npm test` resolves it once and passes it down in
 * the environment; a file run on its own resolves it here. When none can be had, the test is
 * skipped with the reason, except in CI (`CI=true`), where it fails.
 */
export async function integrationInfrastructure(t: TestContext): Promise<Infrastructure | undefined> {
  shared ??= Promise.resolve(infrastructureFromEnv() ?? resolveInfrastructure(process.env, (line) => t.diagnostic(line)));
  try {
    return await shared;
  } catch (error) {
    const reason = `real infrastructure unavailable: ${error instanceof Error ? error.message : String(error)}`;
    if (process.env.CI === 'true') throw new Error(reason);
    t.skip(reason);
    return undefined;
  }
}

/** A name no other test (or earlier run) uses: topics, consumer groups, key prefixes. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/**
 * Makes the test run's Prometheus scrape `target` (host:port) by writing a file_sd file; returns
 * a function that removes it. Requires a Prometheus whose target folder this run may write.
 */
export function addScrapeTarget(infra: Infrastructure, name: string, target: string, labels: Record<string, string> = {}): () => void {
  if (!infra.prometheusTargetsDir) throw new Error('this Prometheus has no file_sd folder for tests (set PROMETHEUS_SD_DIR)');
  const file = join(infra.prometheusTargetsDir, `${name}.json`);
  writeFileSync(file, JSON.stringify([{ targets: [target], labels: { test: name, ...labels } }]));
  return () => rmSync(file, { force: true });
}

/** Polls until `probe` returns a value other than undefined, or fails after `timeoutMs` with `what`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Deletes every Redis key under a test's own prefix (its clean-up). */
export async function deleteKeys(redis: { keys(pattern: string): Promise<string[]>; del(...keys: string[]): Promise<number> }, prefix: string): Promise<void> {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
}

/** GET a JSON endpoint with a 2 s timeout; undefined when it does not answer or is not JSON. */
export async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> } | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  } catch {
    return undefined;
  }
}
