import type { GateDecision, ModelStore, TrainLocks } from './ports';

/** An in-process model registry with the same semantics as the Redis one (for tests and embedded mode). */
export class InMemoryModelStore implements ModelStore {
  readonly versions = new Map<string, { artifact: Uint8Array; report: unknown }>();
  readonly current = new Map<string, string>();
  readonly decisions: GateDecision[] = [];
  private sequence = 0;

  async putVersion(group: string, artifact: Uint8Array, report: unknown): Promise<{ version: string }> {
    const version = `v${++this.sequence}`;
    this.versions.set(`${group}/${version}`, { artifact, report });
    return { version };
  }
  async setCurrent(group: string, version: string): Promise<void> {
    if (!this.versions.has(`${group}/${version}`)) throw new Error(`no version ${version}`);
    this.current.set(group, version);
  }
  async loadCurrent(group: string): Promise<{ version: string; artifact: Uint8Array; report?: unknown } | null> {
    const version = this.current.get(group);
    return version ? { version, ...this.versions.get(`${group}/${version}`)! } : null;
  }
  async recordDecision(decision: GateDecision): Promise<void> {
    this.decisions.push(decision);
  }
}

/** Locks within one process: enough for embedded mode, where one trainer runs. */
export class InMemoryLocks implements TrainLocks {
  private readonly held = new Map<string, number>();
  async tryLock(group: string, ttlMs: number) {
    const until = this.held.get(group);
    if (until !== undefined && until > Date.now()) return null;
    this.held.set(group, Date.now() + ttlMs);
    return {
      extend: async (ms: number) => (this.held.set(group, Date.now() + ms), true),
      release: async () => this.held.delete(group),
    };
  }
}
