import { describeError } from '@hourglass/core';
import { loadModel } from '@hourglass/model';
import type { Logger } from '@hourglass/runtime';
import { toScoringModel } from './model-adapter';
import type { ModelProvider, ScoringModel } from './ports';
import type { ScorerMetrics } from './scorer-metrics';

/** Where models come from: the Redis registry, or a folder on disk in embedded mode. */
export interface ModelSource {
  /** The pointer of a group, or null before its first model. */
  current(group: string): Promise<{ version: string; sha256: string } | null>;
  /** The artifact of a version, verified against `sha256` (integrity), or a thrown error. */
  load(group: string, version: string, sha256: string): Promise<Uint8Array>;
  /** Calls `onChange(group)` when a pointer moves; returns an unsubscribe. Optional: polling covers it. */
  subscribe?(onChange: (group: string) => void): Promise<() => Promise<void>>;
}

export interface HotSwapOptions {
  readonly source: ModelSource;
  /** Model groups to serve (from the config). */
  readonly groups: readonly string[];
  /** Polling interval: a lost notification only delays a swap by this much. */
  readonly pollIntervalMs: number;
  /** Window steps each group's model must take; a model of another shape is refused. */
  readonly expectedSteps: (group: string) => number;
  readonly metrics: ScorerMetrics;
  readonly log: Logger;
}

/**
 * Keeps the current model of each group in memory and swaps it without a restart when the
 * registry pointer moves (notification or poll). A model that fails to load or validate is
 * refused and the old one stays. An old model is disposed only after the current synchronous
 * batch is done (the stage takes its model after its last await).
 */
export class HotSwapModelProvider implements ModelProvider {
  private readonly models = new Map<string, ScoringModel>();
  private readonly refused = new Map<string, string>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(private readonly options: HotSwapOptions) {}

  modelFor(group: string): ScoringModel | null {
    return this.models.get(group) ?? null;
  }

  /** Versions in use, for /readyz details and logs. */
  versions(): Record<string, string | null> {
    return Object.fromEntries(this.options.groups.map((g) => [g, this.models.get(g)?.version ?? null]));
  }

  async start(): Promise<void> {
    await Promise.all(this.options.groups.map((g) => this.refresh(g)));
    this.unsubscribe = await this.options.source.subscribe?.((group) => void this.refresh(group));
    this.timer = setInterval(() => this.options.groups.forEach((g) => void this.refresh(g)), this.options.pollIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.unsubscribe?.();
    for (const model of this.models.values()) model.dispose();
    this.models.clear();
  }

  /** Checks a group's pointer and swaps if it moved; concurrent calls for one group share one check. */
  refresh(group: string): Promise<void> {
    if (!this.options.groups.includes(group)) return Promise.resolve();
    const running = this.inFlight.get(group);
    if (running) return running;
    const check = this.check(group).finally(() => this.inFlight.delete(group));
    this.inFlight.set(group, check);
    return check;
  }

  private async check(group: string): Promise<void> {
    const { source, metrics, log } = this.options;
    let pointer: { version: string; sha256: string } | null;
    try {
      pointer = await source.current(group);
    } catch (error) {
      log.warn({ group, err: describeError(error) }, 'could not read the model pointer; keeping the current model');
      return;
    }
    const inUse = this.models.get(group);
    if (pointer === null || pointer.version === inUse?.version || this.refused.get(group) === pointer.sha256) return;
    try {
      const bytes = await source.load(group, pointer.version, pointer.sha256);
      const model = toScoringModel(await loadModel(bytes), group, pointer.version);
      const expected = this.options.expectedSteps(group);
      if (model.steps !== expected) {
        model.dispose();
        throw new Error(`the model takes windows of ${model.steps} steps, but the group's windows have ${expected}`);
      }
      this.models.set(group, model);
      this.refused.delete(group);
      metrics.modelSwaps.inc({ group, outcome: 'loaded' });
      if (inUse) metrics.modelInfo.remove({ group, version: inUse.version });
      metrics.modelInfo.set({ group, version: model.version }, 1);
      log.info({ group, version: model.version, previous: inUse?.version ?? null }, 'model loaded');
      if (inUse) setImmediate(() => inUse.dispose());
    } catch (error) {
      this.refused.set(group, pointer.sha256);
      metrics.modelSwaps.inc({ group, outcome: 'refused' });
      log.error({ group, version: pointer.version, err: describeError(error) }, 'refused a model; keeping the current one');
    }
  }
}
