import { join } from 'node:path';
import { Counter, type Registry } from 'prom-client';
import { Windower, describeError, type AnomalyEvent, type GroupConfig, type HourglassConfig, type Incident, type Point, type Window } from '@hourglass/core';
import type { Logger } from '@hourglass/runtime';
import { InMemoryCleanBuffer, InMemoryEpisodeStore } from '../scorer/in-memory';
import { ExpectedBands, observeBands } from '../scorer/expected-bands';
import { MaintenanceSchedule } from '../scorer/maintenance';
import { HotSwapModelProvider } from '../scorer/model-provider';
import type { ModelProvider, ScoringModel, WindowScore } from '../scorer/ports';
import type { ExpectedBand } from '@hourglass/core';
import { createScorerMetrics } from '../scorer/scorer-metrics';
import { ScorerStage } from '../scorer/scorer-stage';
import { SeriesScoreGauges } from '../scorer/series-gauges';
import { InMemoryLocks } from '../trainer/in-memory';
import { refitPolicy } from '../trainer/refit-policy';
import { refitDue, refitScheduleOf, type RefitSchedule } from '../trainer/refit-schedule';
import { createTrainerMetrics } from '../trainer/trainer-metrics';
import { TrainerStage, type RefitOutcome, type RefitPolicy } from '../trainer/trainer-stage';
import { DiskModelStore } from './disk-model-store';
import { DiskCodeStore } from './disk-code-store';
import { DiskFeedbackStore, DiskHeldBack } from './disk-feedback-store';
import { createCodesMetrics } from '../codes/codes-metrics';
import { EpisodeCodes } from '../codes/episode-codes';
import { InMemoryCodeStore } from '../codes/in-memory';
import { InMemoryIncidentStore } from '../incidents/in-memory';
import { createIncidentsMetrics } from '../incidents/incidents-metrics';
import { IncidentsStage } from '../incidents/incidents-stage';
import { InMemoryAdoptionLog } from '../adoption/adoption-log';
import { trainingFeedbackPolicy } from '../feedback/training-feedback';

export interface EmbeddedOptions {
  /**
   * The compiled config, read as the services read it: `groups`; `scorer` (micro-batch size
   * `batchMaxWindows`, `warmupWindows`, `bufferMaxWindows`, `cleanSampleRate`, `maxTrackedSeries`,
   * the series-gauge limits); `trainer` (the refit schedule and policy: minWindows, refitIntervalMs,
   * refitAfterNewWindows, retryAfterMissMs, the gate, ...); `ingest.maxLiveSeries`. Kafka, Redis and
   * ops settings do not apply in one process.
   */
  readonly config: HourglassConfig;
  /** Folder for models (persisted between runs). */
  readonly modelsDir: string;
  /** Folder for the codes of episodes (one file per group, capped at `similar.maxCodesPerGroup`); default: kept in memory. */
  readonly codesDir?: string;
  /**
   * Folder for feedback (docs/feedback.md): the scorer keeps its held-back windows there
   * (`heldback/`), and refits learn from the verdicts `hourglass feedback --state-dir` stored there.
   * Default none (no held-back windows, no feedback), as `eval nab` runs.
   */
  readonly feedbackDir?: string;
  readonly registry: Registry;
  readonly log: Logger;
  /** Called for every published anomaly event, in order. */
  readonly onEvent: (event: AnomalyEvent) => void;
  /** Called for every incident message (the incidents stage after the scorer, `incidents` config), in order. */
  readonly onIncident?: (incident: Incident) => void;
  /**
   * Windows a group without a model buffers for its first fit, instead of `scorer.warmupWindows`
   * (`hourglass eval nab` sets NAB's probationary period here, which NAB's rules fix).
   */
  readonly warmupWindows?: number;
  /**
   * Micro-batch size instead of `scorer.batchMaxWindows` (`eval nab` drives its flushes by rows
   * and sets this out of the way).
   */
  readonly batchWindows?: number;
  /**
   * Optional observer of every scored window and its score, in the order the scorer scored them
   * (used by `hourglass eval nab`). It sees what the scorer computed and changes nothing.
   */
  readonly onScored?: (windows: readonly Window[], scores: readonly WindowScore[], model: { readonly version: string; readonly threshold: number }) => void;
  /**
   * Optional observer of the expected-value band (at `scorer.bandCoverage`) of every scored window
   * (`hourglass run --band`, the demo report): one more network pass per batch, for this caller only.
   */
  readonly onBands?: (windows: readonly Window[], bands: readonly ExpectedBand[], model: { readonly version: string }) => void;
}

/** Counts an embedded run reports in its summary. */
export interface EmbeddedStats {
  points: number;
  /** Series with live windowing state at the end. */
  series: number;
  rejected: number;
  windows: number;
  events: number;
  /** Incident messages published. */
  incidents: number;
  fits: { group: string; outcome: RefitOutcome; atWindow: number }[];
}

/**
 * The whole pipeline in one process: the ingest windowing, the scorer stage and the trainer
 * stage of the services, wired to in-process queues and a model folder instead of Kafka and
 * Redis. Only these adapters differ from the distributed path.
 */
export class EmbeddedPipeline {
  readonly stats: EmbeddedStats = { points: 0, series: 0, rejected: 0, windows: 0, events: 0, incidents: 0, fits: [] };
  private readonly windower: Windower;
  private readonly buffer: InMemoryCleanBuffer;
  private readonly store: DiskModelStore;
  private readonly provider: HotSwapModelProvider;
  private readonly scorer: ScorerStage;
  private readonly trainer: TrainerStage;
  private readonly incidents: IncidentsStage;
  private readonly rejections: Counter;
  private readonly groups: readonly GroupConfig[];
  private readonly schedule: RefitSchedule;
  private readonly policy: RefitPolicy;
  private readonly batchWindows: number;
  private pending: Window[] = [];
  /** The stream's clock: the newest window end scored so far (event time). */
  private clockMs = Number.NEGATIVE_INFINITY;
  /** Per group, on that clock: when its current model was fitted and the buffer counter then. */
  private readonly fitted = new Map<string, { fittedAtMs: number; addedAtFit: number }>();
  /** Per group, on that clock: when its last attempt that did not promote began. */
  private readonly lastMiss = new Map<string, number>();

  constructor(private readonly options: EmbeddedOptions) {
    const { registry, log, config } = options;
    const sc = config.scorer;
    const feedbackDir = config.feedback.enabled ? options.feedbackDir : undefined;
    this.groups = config.groups;
    this.schedule = refitScheduleOf(config.trainer);
    this.policy = refitPolicy(config);
    this.batchWindows = options.batchWindows ?? sc.batchMaxWindows;
    // A file has no idle series: eviction only by count, as ingest would evict beyond maxLiveSeries.
    this.windower = new Windower({ groups: this.groups, maxLiveSeries: config.ingest.maxLiveSeries, seriesIdleTimeoutMs: Number.MAX_SAFE_INTEGER });
    this.buffer = new InMemoryCleanBuffer(sc.bufferMaxWindows);
    this.store = new DiskModelStore(options.modelsDir);
    const scorerMetrics = createScorerMetrics(registry);
    this.provider = new HotSwapModelProvider({
      source: this.store, groups: this.groups.map((g) => g.name), pollIntervalMs: 60_000,
      expectedSteps: (group) => this.groups.find((g) => g.name === group)?.window.lengthSteps ?? 0,
      metrics: scorerMetrics, log: log.child({ component: 'models' }),
    });
    const adoptions = new InMemoryAdoptionLog();
    const seriesGauges = new SeriesScoreGauges(registry, { allowlist: sc.seriesGaugeAllowlist, topK: sc.seriesGaugeTopK, hardCap: sc.seriesGaugeMax, trackedMax: 10 * sc.seriesGaugeMax + 1000 });
    this.scorer = new ScorerStage({
      models: withBands(options.onScored ? observeScores(this.provider, options.onScored) : this.provider, sc.bandCoverage, options.onBands),
      // The incidents stage takes the scorer's events as its consumer would, once they are "published".
      events: {
        publish: async (events) => {
          events.forEach((e) => options.onEvent(e));
          await this.incidents.process(events);
        },
      },
      clean: this.buffer,
      episodes: new InMemoryEpisodeStore(),
      policyFor: (group) => this.groups.find((g) => g.name === group)!.episodes,
      warmupWindows: options.warmupWindows ?? sc.warmupWindows,
      cleanSampleRate: sc.cleanSampleRate,
      maxTrackedSeries: sc.maxTrackedSeries,
      metrics: scorerMetrics,
      seriesGauges,
      bands: new ExpectedBands({ coverage: sc.bandCoverage, gauges: sc.bandGauges, scoreGauges: seriesGauges, registry, log: log.child({ component: 'bands' }) }),
      // The config's maintenance periods only: one process over a file has no run-time store.
      maintenance: new MaintenanceSchedule({ configured: config.maintenance, registry, log: log.child({ component: 'maintenance' }) }),
      adoptions,
      ...(feedbackDir ? { heldBack: new DiskHeldBack(join(feedbackDir, 'heldback'), config.feedback.heldBackMaxWindows) } : {}),
      codes: new EpisodeCodes({
        config: config.similar, metrics: createCodesMetrics(registry), log: log.child({ component: 'codes' }),
        store: options.codesDir ? new DiskCodeStore(options.codesDir, config.similar.maxCodesPerGroup) : new InMemoryCodeStore(config.similar.maxCodesPerGroup),
      }),
      log: log.child({ component: 'scorer' }),
    });
    this.trainer = new TrainerStage({
      source: this.buffer, store: this.store, locks: new InMemoryLocks(), metrics: createTrainerMetrics(registry), adoptions, log: log.child({ component: 'trainer' }),
      ...(feedbackDir ? { feedback: trainingFeedbackPolicy(config, new DiskFeedbackStore(feedbackDir)) } : {}),
    });
    this.incidents = new IncidentsStage({
      config: config.incidents, store: new InMemoryIncidentStore(), metrics: createIncidentsMetrics(registry), log: log.child({ component: 'incidents' }), similarK: config.similar.k,
      sink: {
        publish: async (incidents) => {
          this.stats.incidents += incidents.length;
          incidents.forEach((i) => options.onIncident?.(i));
        },
      },
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
    if (this.pending.length >= this.batchWindows) await this.flush();
  }

  /** Records a point refused before windowing (a parse error), for the same counters. */
  reject(reason: string): void {
    this.stats.rejected++;
    this.rejections.inc({ reason });
  }

  /**
   * Scores what is pending, then refits the groups that are due: the trainer service's schedule
   * (refitDue), checked once per micro-batch, on the stream's event time.
   */
  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.stats.windows += batch.length;
    for (const w of batch) this.clockMs = Math.max(this.clockMs, w.endMs);
    const outcome = await this.scorer.process(batch);
    this.stats.events += outcome.events.length;
    for (const group of this.groups) {
      const hasModel = this.provider.modelFor(group.name) !== null;
      const [buffered, added] = [await this.buffer.size(group.name), await this.buffer.totalAdded(group.name)];
      // A model from an earlier run counts as fitted when this run first saw the group.
      if (hasModel && !this.fitted.has(group.name)) this.fitted.set(group.name, { fittedAtMs: this.clockMs, addedAtFit: added });
      const state = { buffered, added, current: hasModel ? this.fitted.get(group.name)! : null, lastMissAtMs: this.lastMiss.get(group.name) ?? null };
      if (refitDue(this.schedule, state, this.clockMs).due) await this.refit(group, added);
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

  private async refit(group: GroupConfig, addedAtFit: number): Promise<void> {
    this.lastMiss.set(group.name, this.clockMs); // cleared on promotion, as the trainer service does
    try {
      const outcome = await this.trainer.refit(group.name, group.model, this.policy, { bufferAddedAtFit: addedAtFit });
      this.stats.fits.push({ group: group.name, outcome, atWindow: this.stats.windows });
      if (outcome.status === 'promoted') {
        this.lastMiss.delete(group.name);
        this.fitted.set(group.name, { fittedAtMs: this.clockMs, addedAtFit });
        await this.provider.refresh(group.name);
      }
    } catch (error) {
      this.options.log.error({ group: group.name, err: describeError(error) }, 'refit failed; the current model stays');
      this.stats.fits.push({ group: group.name, outcome: { status: 'rejected', reason: describeError(error) }, atWindow: this.stats.windows });
    }
  }
}

function withBands(provider: ModelProvider, coverage: number, observe: EmbeddedOptions['onBands']): ModelProvider {
  return observe ? observeBands(provider, coverage, observe) : provider;
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
          ...(model.bands ? { bands: model.bands.bind(model) } : {}),
          accepts: (w) => model.accepts(w),
          score: (windows) => {
            const scores = model.score(windows);
            observe(windows, scores, model);
            return scores;
          },
          ...(model.encode ? { encode: (w: readonly Window[]) => model.encode!(w), codeCenter: model.codeCenter ?? null } : {}),
          dispose: () => model.dispose(),
        };
        wrapped.set(model, view);
      }
      return view;
    },
  };
}

