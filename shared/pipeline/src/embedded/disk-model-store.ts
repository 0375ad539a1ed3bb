import { createHash } from 'node:crypto';
import { appendFile, mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { HourglassError } from '@hourglass/core';
import type { ModelSource } from '../scorer/model-provider';
import type { GateDecision, ModelStore } from '../trainer/ports';
import { atomicWrite } from './ndjson-file';

/**
 * The model registry of embedded mode: a folder per group with one file per version, a
 * `current.json` pointer (written to a temporary file and renamed, so it is never half-written),
 * and a `decisions.jsonl` log. Same contract as the Redis registry, integrity check included.
 */
export class DiskModelStore implements ModelStore, ModelSource {
  constructor(private readonly dir: string) {}

  async putVersion(group: string, artifact: Uint8Array, report: unknown): Promise<{ version: string }> {
    const folder = await this.groupDir(group);
    const existing = (await readdir(folder)).map((f) => /^v(\d+)\.model$/.exec(f)?.[1]).filter((n): n is string => n !== undefined).map(Number);
    const version = `v${Math.max(0, ...existing) + 1}`;
    await atomicWrite(join(folder, `${version}.model`), artifact);
    await atomicWrite(join(folder, `${version}.report.json`), `${JSON.stringify(report, null, 2)}\n`);
    return { version };
  }

  async setCurrent(group: string, version: string): Promise<void> {
    const folder = await this.groupDir(group);
    const bytes = await readFile(join(folder, `${version}.model`)).catch(() => {
      throw new HourglassError('MODEL_VERSION_UNKNOWN', `model group '${group}' has no version '${version}' in ${folder}`);
    });
    await atomicWrite(join(folder, 'current.json'), JSON.stringify({ version, sha256: sha256(bytes) }));
  }

  async current(group: string): Promise<{ version: string; sha256: string } | null> {
    try {
      return JSON.parse(await readFile(join(this.dir, group, 'current.json'), 'utf8')) as { version: string; sha256: string };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async load(group: string, version: string, expected: string): Promise<Uint8Array> {
    const bytes = await readFile(join(this.dir, group, `${version}.model`));
    if (sha256(bytes) !== expected) throw new HourglassError('MODEL_INTEGRITY', `model ${group}/${version} in ${this.dir} failed its integrity check`);
    return bytes;
  }

  async loadCurrent(group: string): Promise<{ version: string; artifact: Uint8Array; report?: unknown } | null> {
    const pointer = await this.current(group);
    if (!pointer) return null;
    const artifact = await this.load(group, pointer.version, pointer.sha256);
    // A report that is missing or does not parse leaves the gate to judge without it.
    const report = await readFile(join(this.dir, group, `${pointer.version}.report.json`), 'utf8').then((t) => JSON.parse(t) as unknown, () => undefined);
    return { version: pointer.version, artifact, report };
  }

  async recordDecision(decision: GateDecision): Promise<void> {
    await appendFile(join(await this.groupDir(decision.group), 'decisions.jsonl'), `${JSON.stringify(decision)}\n`);
  }

  private async groupDir(group: string): Promise<string> {
    const folder = join(this.dir, group);
    await mkdir(folder, { recursive: true });
    return folder;
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
