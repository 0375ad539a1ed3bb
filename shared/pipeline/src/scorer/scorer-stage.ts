import { createHash } from 'node:crypto';
import {
  cleanEligible, isAdopting, severityBand, stepEpisode, INITIAL_SERIES_STATE,
  type AnomalyEvent, type EpisodeEvent, type EpisodePolicy, type Explanation, type HeldBackWindow, type ScoredWindow, type SeriesEpisodeState, type Window,
} from '@hourglass/core';
import type { Logger } from '@hourglass/runtime';
import type { AdoptionLog } from '../adoption/adoption-log';
import type { ExpectedBands } from './expected-bands';
import type { MaintenanceView } from './maintenance';
import type { EpisodeCodes } from '../codes/episode-codes';
import type { HeldBackSink } from '../feedback/ports';
import type { CleanWindowSink, EpisodeStateStore, EventSink, ModelProvider, ScoreColumns, ScoringModel, WindowScore } from './ports';
import type { ScorerMetrics } from './scorer-metrics';
import type { SeriesScoreGauges } from './series-gauges';

export interface ScorerStageOptions {
  readonly models: ModelProvider;
  readonly events: EventSink;
  readonly clean: CleanWindowSink;
  readonly episodes: EpisodeStateStore;
  /** Episode policy of each group (K to open, M to close, update rate). */
  readonly policyFor: (group: string) => EpisodePolicy;
  /** Cold start: a group without a model buffers every window and keeps the newest this many (a rolling warm-up). */
  readonly warmupWindows: number;
  /** Fraction of normal windows appended to the clean buffer (1 = all), chosen by a hash so replays agree. */
  readonly cleanSampleRate: number;
  /** Episode states kept in memory; older ones are reloaded from the store when needed. */
  readonly maxTrackedSeries: number;
  readonly metrics: ScorerMetrics;
  readonly seriesGauges: SeriesScoreGauges;
  /** Maintenance periods: their windows are scored and exported, but move no episode and skip the buffer. Default none. */
  readonly maintenance?: MaintenanceView;
  /** The codes of episodes at their peaks, stored for similarity lookups (docs/incidents.md). Default none. */
  readonly codes?: EpisodeCodes;
  /** The expected-value band: on events, and as gauges for the series with a score gauge. Default none. */
  readonly bands?: ExpectedBands;
  /** Where adoptions of a new normal are recorded for the trainer (episodes.adoptAfterMs). Default none. */
  readonly adoptions?: AdoptionLog;
  /** Where the windows kept out of the clean buffer go, tagged with their episode, for verdicts to come (docs/feedback.md). Default none. */
  readonly heldBack?: HeldBackSink;
  readonly log: Logger;
  readonly now?: () => number;
}

/** What one processed batch did, for callers and tests. */
export interface BatchOutcome {
  readonly scored: number;
  readonly events: readonly AnomalyEvent[];
  readonly cleanAppended: number;
  readonly cleanDropped: number;
  readonly coldStartGroups: readonly string[];
}

/**
 * The scorer's stage, shared by the service (Kafka + Redis) and embedded mode (in-process). It
 * scores a micro-batch per model group, turns anomalous windows into episode events, publishes
 * them, and feeds normal windows outside episodes to the clean buffer. It resolves only once the
 * events are accepted, so the caller may then commit the batch's offsets. Buffer and checkpoint
 * failures are counted and survived: events matter more than the buffer.
 *
 * Episode state moves only after what it caused is durable: a batch's new states are staged while
 * it is scored and applied (in memory, then to the checkpoint) once its events are acknowledged. A
 * failed publish drops the staged states, so the redelivered batch starts from the same state and
 * publishes the same events with the same ids. Applying them before the acknowledgement made the
 * retry look like a replay (its windows no newer than the remembered state), and the `open` event
 * of an episode that began in a failed batch was never published.
 */
export class ScorerStage {
  private readonly states = new Map<string, SeriesEpisodeState>();
  /** (group, model version) pairs whose adoption the trainer already knows (one per refit at most: tiny). */
  private readonly recordedAdoptions = new Set<string>();
  private readonly coldStart = new Set<string>();
  private readonly now: () => number;

  constructor(private readonly options: ScorerStageOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Groups that have no model yet, for /readyz details. */
  coldStartGroups(): string[] {
    return [...this.coldStart];
  }

  async process(windows: readonly Window[]): Promise<BatchOutcome> {
    const { metrics } = this.options;
    metrics.batchSize.observe(windows.length);
    const byGroup = groupBy(windows, (w) => w.group);
    await this.options.codes?.begin([...byGroup.keys()]);
    const events: AnomalyEvent[] = [];
    const ingestedAtMs: number[] = [];
    const clean = new Map<string, readonly Window[]>();
    const staged = new Map<string, StagedGroup>();
    let coldWindows = 0;

    for (const [group, groupWindows] of byGroup) {
      if (this.options.models.modelFor(group) === null) {
        this.coldStart.add(group);
        metrics.modelLoaded.set({ group }, 0);
        clean.set(group, this.coldStartSample(group, groupWindows));
        coldWindows += groupWindows.length;
        continue;
      }
      await this.ensureStates(group, groupWindows);
      // Taken after the last await, and used synchronously: a hot swap cannot dispose it mid-batch.
      const model = this.options.models.modelFor(group);
      if (model === null) continue;
      this.coldStart.delete(group);
      metrics.modelLoaded.set({ group }, 1);
      metrics.threshold.set({ group }, model.threshold);
      const scorable = groupWindows.filter((w) => model.accepts(w));
      if (scorable.length < groupWindows.length) {
        metrics.unscorable.inc({ group }, groupWindows.length - scorable.length);
        this.options.log.warn({ group, count: groupWindows.length - scorable.length, model: model.version }, 'windows whose shape differs from the model were not scored');
      }
      const scored = this.scoreGroup(model, scorable);
      events.push(...scored.events);
      ingestedAtMs.push(...scored.ingestedAtMs);
      clean.set(group, scored.normal);
      staged.set(group, scored);
    }

    if (events.length > 0) {
      await this.options.events.publish(events); // throws on failure: nothing below happens, nothing staged is kept
      this.recordEventLatency(events, ingestedAtMs);
    }
    for (const [group, scored] of staged) this.apply(group, scored);
    // Independent writes, all after the publish and none reading another's result, so they go out
    // together: one round trip's wait before the caller commits and fetches the next batch, not four
    // (at a paced rate that wait is part of every window's latency).
    const [{ appended, dropped }] = await Promise.all([
      this.appendClean(clean, this.coldStart), this.appendHeldBack(staged), this.checkpoint(staged), this.options.codes?.commit(), this.recordAdoptions(staged),
    ]);
    return { scored: windows.length - coldWindows, events, cleanAppended: appended, cleanDropped: dropped, coldStartGroups: this.coldStartGroups() };
  }

  /**
   * Scores one group's windows and stages what they change; nothing here outlives a failed publish.
   * Per window it does only what the verdict needs: metrics are summed per batch, and the
   * explanation (computed on first read by the real model) and the event id are taken only for
   * windows that emit an event.
   */
  private scoreGroup(model: ScoringModel, windows: readonly Window[]): StagedGroup {
    const { metrics, seriesGauges } = this.options;
    const group = model.group;
    const policy = this.options.policyFor(group);
    const ordered = sortedBySeriesAndTime(windows);
    const timer = metrics.inferenceSeconds.startTimer({ group });
    const cols = model.scoreColumns ? model.scoreColumns(ordered) : columnsOf(model.score(ordered));
    timer();
    metrics.windows.inc({ group }, ordered.length);
    const pending: PendingEvent[] = [];
    const normal: Window[] = [];
    const states = new Map<string, SeriesEpisodeState>();
    const anomaliesByBand = [0, 0, 0, 0];
    const scoreHistogram = metrics.scores.labels({ group });
    // null (no per-window work) unless a maintenance period can cover this group.
    const paused = this.options.maintenance?.mask(group, ordered) ?? null;
    // Band gauges: the newest window of each gauged series only (a set lookup per series, nothing per window).
    const gauged = this.options.bands?.gaugedNow() ?? null;
    const newest: Window[] = [];
    const heldBack: HeldBackWindow[] | null = this.options.heldBack ? [] : null;
    // The batch is sorted by series, so a series' windows are one run: its state is looked up once
    // at the start of the run and carried from window to window, and stored at the end of the run
    // (when any window of it moved the state: maintenance skips windows).
    let state: SeriesEpisodeState = INITIAL_SERIES_STATE;
    let touched = false;
    for (let i = 0; i < ordered.length; i += 1) {
      const window = ordered[i] as Window;
      const series = window.series;
      const first = i === 0 || (ordered[i - 1] as Window).series !== series;
      const last = i + 1 === ordered.length || (ordered[i + 1] as Window).series !== series;
      if (first) {
        state = this.states.get(stateKey(group, series)) ?? INITIAL_SERIES_STATE;
        touched = false;
      }
      const score = cols.score[i] as number;
      const severity = cols.severity[i] as number;
      const anomalous = cols.anomalous[i] === 1;
      scoreHistogram.observe(score);
      // Only a series' newest window counts for the gauges: the last of its run in this sorted batch.
      if (last) {
        seriesGauges.observe(series, group, score, paused?.[i] === 1);
        if (gauged?.has(group, series)) newest.push(window);
      }
      if (anomalous) anomaliesByBand[severityBand(severity)] = (anomaliesByBand[severityBand(severity)] ?? 0) + 1;
      // Maintenance: scored and exported above, but invisible to episodes (no event) and to the buffer.
      if (paused?.[i] !== 1) {
        const before = state;
        const scored: ScoredWindow = {
          series, group, modelVersion: model.version, startMs: window.startMs, endMs: window.endMs, score, threshold: model.threshold, severity, anomalous,
        };
        const step = stepEpisode(policy, before, scored);
        state = step.state;
        touched = true;
        if (step.event) pending.push({ row: i, event: step.event, scored });
        // Windows above the threshold (an anomaly or not, by model.direction), and every window while
        // an episode is open, stay out of the buffer.
        if (cleanEligible(cols.aboveThreshold[i] === 1, before, state)) {
          if (this.sampled(window)) normal.push(window);
        } else heldBack?.push({ window, episodeId: state.episodeId ?? before.episodeId });
      }
      if (last && touched) states.set(series, state);
    }
    anomaliesByBand.forEach((count, band) => {
      if (count > 0) metrics.anomalies.inc({ group, band: String(band) }, count);
    });
    // Explanations for the windows that emit an event only, all of them in one call.
    const explanations = pending.length > 0 ? cols.explain(pending.map((p) => p.row)) : [];
    const nowMs = this.now();
    const events: AnomalyEvent[] = pending.map(({ event, scored }, k) => toAnomalyEvent(event.id, event.episodeId, event.state, scored, explanations[k] as Explanation, nowMs, event.adopted));
    const eventWindows = pending.map((p) => ordered[p.row] as Window);
    const ingestedAtMs = eventWindows.map((w) => w.ingestedAtMs);
    const eventSurprises = pending.map((p) => cols.surprise[p.row] as number);
    this.options.bands?.updateGauges(model, group, newest);
    const banded = this.options.bands ? this.options.bands.onEvents(model, events, eventWindows) : events;
    return { events: this.options.codes ? this.options.codes.onEvents(model, banded, eventWindows, eventSurprises) : banded, ingestedAtMs, normal, states, heldBack: heldBack ?? [] };
  }

  /**
   * After the batch is published: tells the trainer under which model versions series are
   * adopting a new normal, so the refit that learns it is not refused as contaminated. Best
   * effort: if it fails, that refit may be refused, and the adoption then ends at its time limit
   * (the series is never left unwatched), so the failure is logged rather than failing the batch.
   */
  private async recordAdoptions(staged: ReadonlyMap<string, StagedGroup>): Promise<void> {
    const { adoptions, log } = this.options;
    if (!adoptions) return;
    for (const [group, { states }] of staged) {
      for (const state of states.values()) {
        if (!isAdopting(state)) continue;
        // Once per group and version, not per batch while the adoption lasts.
        const key = `${group}\u0000${state.adoptingVersion as string}`;
        if (this.recordedAdoptions.has(key)) continue;
        try {
          await adoptions.record(group, state.adoptingVersion as string);
          this.recordedAdoptions.add(key);
        } catch (error) {
          log.warn({ group, err: String(error) }, 'could not record an adopted normal for the trainer');
        }
      }
    }
  }

  /** Makes a group's staged states current and counts its episode events: only after they were published. */
  private apply(group: string, { events, states }: StagedGroup): void {
    const { metrics } = this.options;
    for (const [series, state] of states) this.remember(stateKey(group, series), state);
    for (const event of events) {
      metrics.episodes.inc({ group, state: event.state, band: String(severityBand(event.severity)) });
      if (event.state === 'open') metrics.openEpisodes.inc({ group });
      if (event.state === 'closed') metrics.openEpisodes.dec({ group });
    }
  }

  /**
   * Cold start: every window of a group without a model goes to its buffer, which then keeps only
   * the newest `warmupWindows` (appendClean). The warm-up rolls forward: a first fit the gate refused
   * is retried on newer windows, not on the same ones for ever (which left a series unwatched for its
   * whole life when the first windows happened to be unlike the rest).
   */
  private coldStartSample(group: string, windows: readonly Window[]): readonly Window[] {
    this.options.metrics.coldStartWindows.inc({ group }, windows.length);
    const paused = this.options.maintenance?.mask(group, windows);
    return paused ? windows.filter((_, i) => paused[i] !== 1) : windows;
  }

  private async appendClean(clean: ReadonlyMap<string, readonly Window[]>, coldGroups: ReadonlySet<string>): Promise<{ appended: number; dropped: number }> {
    let appended = 0;
    let dropped = 0;
    await Promise.all(
      [...clean].map(async ([group, windows]) => {
        if (windows.length === 0) return;
        try {
          await this.options.clean.append(group, windows, coldGroups.has(group) ? this.options.warmupWindows : undefined);
          this.options.metrics.bufferWrites.inc({ group }, windows.length);
          appended += windows.length;
        } catch (error) {
          this.options.metrics.bufferDrops.inc({ group }, windows.length);
          dropped += windows.length;
          this.options.log.warn({ group, dropped: windows.length, err: String(error) }, 'clean buffer write failed; windows dropped from the buffer (scoring continues)');
        }
      }),
    );
    return { appended, dropped };
  }

  /**
   * After the batch's events were published, like the clean buffer: the held-back windows of each
   * group, for verdicts to come. Best effort: a failure is counted and costs only what a verdict on
   * these episodes could have taught the next refit.
   */
  private async appendHeldBack(staged: ReadonlyMap<string, StagedGroup>): Promise<void> {
    const sink = this.options.heldBack;
    if (!sink) return;
    for (const [group, { heldBack }] of staged) {
      if (heldBack.length === 0) continue;
      try {
        await sink.append(group, heldBack);
        this.options.metrics.heldBackWrites.inc({ group }, heldBack.length);
      } catch (error) {
        this.options.metrics.heldBackDrops.inc({ group }, heldBack.length);
        this.options.log.warn({ group, dropped: heldBack.length, err: String(error) }, 'held-back windows not stored; a verdict on their episodes will not find them');
      }
    }
  }

  private async ensureStates(group: string, windows: readonly Window[]): Promise<void> {
    const missing = [...new Set(windows.map((w) => w.series))].filter((s) => !this.states.has(stateKey(group, s)));
    if (missing.length === 0) return;
    try {
      const loaded = await this.options.episodes.load(group, missing);
      for (const [series, state] of loaded) this.remember(stateKey(group, series), state);
    } catch (error) {
      this.options.log.warn({ group, err: String(error) }, 'could not load episode checkpoints; continuing from a fresh state');
    }
  }

  private async checkpoint(staged: ReadonlyMap<string, StagedGroup>): Promise<void> {
    for (const [group, { states }] of staged) {
      if (states.size === 0) continue;
      try {
        await this.options.episodes.save(group, states);
      } catch (error) {
        this.options.metrics.checkpointFailures.inc();
        this.options.log.warn({ group, err: String(error) }, 'episode checkpoint failed; a crash now could split an open episode');
      }
    }
  }

  private remember(key: string, state: SeriesEpisodeState): void {
    this.states.delete(key);
    this.states.set(key, state);
    if (this.states.size > this.options.maxTrackedSeries) {
      const oldest = this.states.keys().next().value;
      if (oldest !== undefined) this.states.delete(oldest); // checkpointed already; reloaded on demand
    }
  }

  private sampled(window: Window): boolean {
    const rate = this.options.cleanSampleRate;
    if (rate >= 1) return true;
    const digest = createHash('sha1').update(`${window.series}\u0000${window.endMs}`).digest();
    return digest.readUInt32BE(0) / 0xffffffff < rate;
  }

  /** Event latency by both clocks; `ingestedAtMs[i]` is when ingest received event i's newest point. */
  private recordEventLatency(events: readonly AnomalyEvent[], ingestedAtMs: readonly number[]): void {
    const now = this.now();
    events.forEach((event, i) => {
      const endMs = Date.parse(event.windowEnd);
      this.options.metrics.eventLatency.observe({ from: 'event_time' }, Math.max(0, (now - endMs) / 1000));
      this.options.metrics.eventLatency.observe({ from: 'ingest_time' }, Math.max(0, (now - (ingestedAtMs[i] as number)) / 1000));
    });
  }
}

/** A window whose step emits an event; the event is built once the batch's explanations are in. */
interface PendingEvent {
  readonly row: number;
  readonly event: EpisodeEvent;
  readonly scored: ScoredWindow;
}

/** A model's per-window verdicts (test doubles, wrappers) as the columns the stage reads. */
function columnsOf(scores: readonly WindowScore[]): ScoreColumns {
  const n = scores.length;
  const column = (f: (s: WindowScore) => number) => Float64Array.from(scores, f);
  return {
    n,
    score: column((s) => s.score),
    severity: column((s) => s.severity),
    surprise: column((s) => s.surprise),
    anomalous: Uint8Array.from(scores, (s) => (s.anomalous ? 1 : 0)),
    aboveThreshold: Uint8Array.from(scores, (s) => ((s.aboveThreshold ?? s.anomalous) ? 1 : 0)),
    explain: (rows) => rows.map((row) => (scores[row] as WindowScore).explanation),
  };
}

/**
 * The windows by series, then by end time. Ingest's blocks arrive that way already (one series'
 * run per block), so an input that is already in order is returned as it is, without a sort.
 */
function sortedBySeriesAndTime(windows: readonly Window[]): readonly Window[] {
  const before = (a: Window, b: Window): number => (a.series < b.series ? -1 : a.series > b.series ? 1 : a.endMs - b.endMs);
  for (let i = 1; i < windows.length; i += 1) if (before(windows[i - 1] as Window, windows[i] as Window) > 0) return [...windows].sort(before);
  return windows;
}

/** What scoring one group's windows would change, held until the batch's events are acknowledged. */
interface StagedGroup {
  readonly events: readonly AnomalyEvent[];
  /** When ingest received the newest point of each event's window, in the order of `events`. */
  readonly ingestedAtMs: readonly number[];
  /** Windows for the clean buffer. */
  readonly normal: Window[];
  /** The new episode state of each series the batch touched. */
  readonly states: ReadonlyMap<string, SeriesEpisodeState>;
  /** Windows kept out of the buffer, with their episode (empty without a held-back sink). */
  readonly heldBack: readonly HeldBackWindow[];
}

function toAnomalyEvent(id: string, episodeId: string, state: AnomalyEvent['state'], w: ScoredWindow, explanation: AnomalyEvent['explanation'], nowMs: number, adopted?: true): AnomalyEvent {
  return {
    id, episodeId, series: w.series, group: w.group, modelVersion: w.modelVersion,
    windowStart: new Date(w.startMs).toISOString(), windowEnd: new Date(w.endMs).toISOString(), detectedAt: new Date(nowMs).toISOString(),
    score: w.score, threshold: w.threshold, severity: w.severity, state, explanation, ...(adopted ? { adopted } : {}),
  };
}

function stateKey(group: string, series: string): string {
  return `${group}\u0000${series}`;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}
