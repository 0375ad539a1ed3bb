import { Counter, type Registry } from 'prom-client';
import { EPISODE_DEFAULTS, Windower, describeError, type AnomalyEvent, type GroupConfig, type Point, type Window } from '@hourglass/core';
import type { Logger } from '@hourglass/runtime';
import {
  HotSwapModelProvider, InMemoryCleanBuffer, InMemoryEpisodeStore, ScorerStage, SeriesScoreGauges, createScorerMetrics,
  type ModelProvider, type ScoringModel, type WindowScore,
} from '@hourglass/scorer';
import { InMemoryLocks, REFIT_DEFAULTS, TrainerStage, createTrainerMetrics, type RefitOutcome, type RefitPolicy } from '@hourglass/trainer';
import { DiskModelStore } from './disk-model-store';

export interface EmbeddedOptions {
  readonly groups: readonly GroupConfig[];
  /** Folder for models (persisted between runs). */
  readonly modelsDir: string;
  readonly registry: Registry;
  readonly log: Logger;
  /** Called for every published anomaly event, in order. */
  readonly onEvent: (event: AnomalyEvent) => void;
  /** Windows per scorer micro-batch. */
  readonly batchWindows: number;
  /** Refit a group after this many new clean windows (0: only the first fit). */
  readonly refitEveryWindows: number;
  readonly refit: RefitPolicy;
  /** Clean windows kept per group in memory. */
  readonly bufferMaxWindows: number;
  /**
   * Windows a group without a model buffers for its first fit (the scorer's cold start). Default:
   * twice `refit.minWindows`, so a live stream gets a first model soon.
   */
  readonly warmupWindows?: number;
  readonly maxLiveSeries: number;
  /**
   * Optional observer of every scored window and its score, in the order the scorer scored them
   * (used by `hourglass eval nab`). It sees what the scorer computed and changes nothing.
   */
  readonly onScored?: (windows: readonly Window[], scores: readonly WindowScore[], model: { readonly version: string; readonly threshold: number }) => void;
}

export const EMBEDDED_DEFAULTS = { batchWindows: 1024, refitEveryWindows: 5000, bufferMaxWindows: 20_000, maxLiveSeries: 100_000 };

/** Counts an embedded run reports in its summary. */
export interface EmbeddedStats {
  points: number;
  /** Series with live windowing state at the end. */
  series: number;
  rejected: number;
  windows: number;
  events: number;
  fits: { group: string; outcome: RefitOutcome; atWindow: number }[];
}

/**
 * The whole pipeline in one process: the ingest windowing, the scorer stage and the trainer
 * stage of the services, wired to in-process queues and a model folder instead of Kafka and
 * Redis. Only these adapters differ from the distributed path.
 */
export class EmbeddedPipeline {
  readonly stats: EmbeddedStats = { points: 0, series: 0, rejected: 0, windows: 0, events: 0, fits: [] };
  private readonly windower: Windower;
  private readonly buffer: InMemoryCleanBuffer;
  private readonly store: DiskModelStore;
  private readonly provider: HotSwapModelProvider;
  private readonly scorer: ScorerStage;
  private readonly trainer: TrainerStage;
  private readonly rejections: Counter;
  private pending: Window[] = [];
  private readonly sinceFit = new Map<string, number>();

  constructor(private readonly options: EmbeddedOptions) {
    const { registry, log } = options;
    this.windower = new Windower({ groups: options.groups, maxLiveSeries: options.maxLiveSeries, seriesIdleTimeoutMs: Number.MAX_SAFE_INTEGER });
    this.buffer = new InMemoryCleanBuffer(options.bufferMaxWindows);
    this.store = new DiskModelStore(options.modelsDir);
    const scorerMetrics = createScorerMetrics(registry);
    this.provider = new HotSwapModelProvider({
      source: this.store, groups: options.groups.map((g) => g.name), pollIntervalMs: 60_000,
      expectedSteps: (group) => options.groups.find((g) => g.name === group)?.window.lengthSteps ?? 0,
      metrics: scorerMetrics, log: log.child({ component: 'models' }),
    });
    this.scorer = new ScorerStage({
      models: options.onScored ? observeScores(this.provider, options.onScored) : this.provider,
      events: { publish: async (events) => events.forEach((e) => options.onEvent(e)) },
      clean: this.buffer,
      episodes: new InMemoryEpisodeStore(),
      policyFor: (group) => options.groups.find((g) => g.name === group)?.episodes ?? EPISODE_DEFAULTS,
      warmupWindows: options.warmupWindows ?? 2 * options.refit.minWindows,
      cleanSampleRate: 1,
      maxTrackedSeries: options.maxLiveSeries,
      metrics: scorerMetrics,
      seriesGauges: new SeriesScoreGauges(registry, { allowlist: [], topK: 20, hardCap: 50, trackedMax: 10_000 }),
      log: log.child({ component: 'scorer' }),
    });
    this.trainer = new TrainerStage({
      source: this.buffer, store: this.store, locks: new InMemoryLocks(), metrics: createTrainerMetrics(registry), log: log.child({ component: 'trainer' }),
    });
    this.rejections = new Counter({ name: 'hourglass_embedded_rejected_points_total', help: 'Points refused by windowing, by reason.', labelNames: ['reason'], registers: [registry] });
  }

  /** Loads the models saved by earlier runs. */
  async start(): Promise<void> {
    await this.provider.start();
  }

  /** Offers one point; scores a batch when enough windows are pending. */
  async offer(point: Point, arrivalMs = Date.now()): Promise<void> {
    this.stats.points++;
    const result = this.windower.offer(point, { source: 0, offset: this.stats.points }, arrivalMs);
    if (result.outcome.kind === 'rejected') {
      this.stats.rejected++;
      this.rejections.inc({ reason: result.outcome.reason });
      return;
    }
    if (result.windows.length > 0) this.pending.push(...result.windows);
    if (this.pending.length >= this.options.batchWindows) await this.flush();
  }

  /** Records a point refused before windowing (a parse error), for the same counters. */
  reject(reason: string): void {
    this.stats.rejected++;
    this.rejections.inc({ reason });
  }

  /** Scores what is pending, then refits the groups that are due. */
  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.stats.windows += batch.length;
    const outcome = await this.scorer.process(batch);
    this.stats.events += outcome.events.length;
    const appended = new Map<string, number>();
    for (const w of batch) appended.set(w.group, (appended.get(w.group) ?? 0) + 1);
    for (const group of this.options.groups) {
      const since = (this.sinceFit.get(group.name) ?? 0) + (appended.get(group.name) ?? 0);
      this.sinceFit.set(group.name, since);
      const hasModel = this.provider.modelFor(group.name) !== null;
      const due = hasModel ? this.options.refitEveryWindows > 0 && since >= this.options.refitEveryWindows : (await this.buffer.size(group.name)) >= this.options.refit.minWindows;
      if (due) await this.refit(group);
    }
  }

  /** Flushes the last windows and releases the models; returns the versions in use at the end. */
  async finish(): Promise<Record<string, string | null>> {
    await this.flush();
    this.stats.series = this.windower.liveSeries;
    const versions = this.provider.versions();
    await this.provider.stop();
    return versions;
  }

  private async refit(group: GroupConfig): Promise<void> {
    this.sinceFit.set(group.name, 0);
    try {
      const outcome = await this.trainer.refit(group.name, group.model, this.options.refit);
      this.stats.fits.push({ group: group.name, outcome, atWindow: this.stats.windows });
      if (outcome.status === 'promoted') await this.provider.refresh(group.name);
    } catch (error) {
      this.options.log.error({ group: group.name, err: describeError(error) }, 'refit failed; the current model stays');
      this.stats.fits.push({ group: group.name, outcome: { status: 'rejected', reason: describeError(error) }, atWindow: this.stats.windows });
    }
  }
}

/** A provider whose models report each scored batch to `observe`; scores are passed through unchanged. */
function observeScores(provider: ModelProvider, observe: NonNullable<EmbeddedOptions['onScored']>): ModelProvider {
  const wrapped = new WeakMap<ScoringModel, ScoringModel>();
  return {
    modelFor(group: string): ScoringModel | null {
      const model = provider.modelFor(group);
      if (model === null) return null;
      let view = wrapped.get(model);
      if (!view) {
        view = {
          group: model.group, version: model.version, threshold: model.threshold, steps: model.steps,
          accepts: (w) => model.accepts(w),
          score: (windows) => {
            const scores = model.score(windows);
            observe(windows, scores, model);
            return scores;
          },
          dispose: () => model.dispose(),
        };
        wrapped.set(model, view);
      }
      return view;
    },
  };
}

export { REFIT_DEFAULTS };
