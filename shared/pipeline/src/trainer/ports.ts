import type { Window } from '@hourglass/core';

/** Where the trainer reads a group's clean windows (the Redis stream, or a folder on disk). */
export interface CleanWindowSource {
  /** The newest `count` windows, oldest first. */
  recent(group: string, count: number): Promise<Window[]>;
  size(group: string): Promise<number>;
}

/** A recorded promotion or rejection, so operators can see why a model is (not) current. */
export interface GateDecision {
  readonly group: string;
  readonly at: string;
  /** What the attempt came to; `skipped` only when windows of other channel sets left too few. */
  readonly outcome: 'promoted' | 'rejected' | 'failed' | 'skipped';
  readonly promoted: boolean;
  readonly reason: string;
  readonly candidate: Readonly<Record<string, number>>;
  readonly current: Readonly<Record<string, number>> | null;
  readonly version: string | null;
}

/** The versioned model registry (Redis, or a folder on disk for embedded mode). */
export interface ModelStore {
  putVersion(group: string, artifact: Uint8Array, report: unknown): Promise<{ version: string }>;
  setCurrent(group: string, version: string): Promise<void>;
  /** The current version with its artifact (integrity-checked) and the report stored with it, or null before the first fit. */
  loadCurrent(group: string): Promise<{ version: string; artifact: Uint8Array; report?: unknown } | null>;
  recordDecision(decision: GateDecision): Promise<void>;
}

/** Elects one trainer per group; a crashed holder's lock expires. */
export interface TrainLocks {
  tryLock(group: string, ttlMs: number): Promise<{ extend(ttlMs: number): Promise<boolean>; release(): Promise<boolean> } | null>;
}
