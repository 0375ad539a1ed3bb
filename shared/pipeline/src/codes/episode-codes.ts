import {
  codeHasher, describeError, encodeWindow, hashToHex,
  type AnomalyEvent, type EpisodeCode, type SimilarConfig, type Window,
} from '@hourglass/core';
import type { Logger } from '@hourglass/runtime';
import type { ScoringModel } from '../scorer/ports';
import type { CodesMetrics } from './codes-metrics';
import type { CodeStore } from './ports';

export interface EpisodeCodesOptions {
  /** The `similar` section: enabled, hash bits and seed, codes kept per group, refresh interval. */
  readonly config: SimilarConfig;
  readonly store: CodeStore;
  readonly metrics: CodesMetrics;
  readonly log: Logger;
  readonly now?: () => number;
}

/** One group's stored codes as this scorer knows them: the newest record of each episode, oldest first. */
interface GroupCodes {
  readonly records: Map<string, EpisodeCode>;
  cursor: string | null;
  loaded: boolean;
  readAtMs: number;
}

/**
 * The codes of episodes, kept beside the scorer stage (docs/incidents.md, "Codes and hashes"). For
 * each episode it stores the code of the window where the episode peaks, with a seeded hash of
 * it: at the `open` event, and again at every later event whose severity is higher. Codes are
 * computed only for windows that emit an event, in one encoder pass per group and batch, inside
 * the stage's synchronous part (the model cannot be swapped away meanwhile); the lean scoring of
 * every other window does not change.
 *
 * Its state moves like the stage's: what a batch would store is staged (`onEvents`), written only
 * after the batch's events were published (`commit`), and dropped when the next batch begins
 * (`begin`), so a failed publish stores nothing. Store failures are counted and survived.
 */
export class EpisodeCodes {
  private readonly groups = new Map<string, GroupCodes>();
  private staged = new Map<string, Map<string, EpisodeCode>>();
  private readonly now: () => number;

  constructor(private readonly options: EpisodeCodesOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Starts a batch: drops anything staged by a batch that failed, and reads the groups' stored codes (all once, then what other scorers added). */
  async begin(groups: readonly string[]): Promise<void> {
    this.staged = new Map();
    if (!this.options.config.enabled) return;
    const now = this.now();
    for (const group of groups) {
      const known = this.groupCodes(group);
      if (known.loaded && now - known.readAtMs < this.options.config.refreshIntervalMs) continue;
      try {
        const { records, cursor } = await this.options.store.read(group, known.cursor);
        for (const record of records) this.remember(known, record);
        known.cursor = cursor;
        if (!known.loaded && known.records.size > 0) this.options.log.info({ group, codes: known.records.size }, 'loaded the stored episode codes');
        known.loaded = true;
      } catch (error) {
        this.options.log.warn({ group, err: describeError(error) }, 'could not read the stored episode codes; retried with a later batch');
      }
      known.readAtMs = now;
      this.options.metrics.stored.set({ group }, known.records.size);
    }
  }

  /**
   * In the stage's synchronous part, for one group's published-to-be events and their windows (in
   * the same order): stages the code of each event that raises its episode's peak. Returns the
   * events to publish.
   */
  onEvents(model: ScoringModel, events: readonly AnomalyEvent[], windows: readonly Window[]): readonly AnomalyEvent[] {
    if (!this.options.config.enabled || events.length === 0 || !model.encode) return events;
    const staged = this.staged.get(model.group) ?? new Map<string, EpisodeCode>();
    const known = this.groupCodes(model.group);
    // The events that raise their episode's peak, against what is stored and what this batch raised before.
    const peaks: { event: AnomalyEvent; window: Window }[] = [];
    const highest = new Map<string, { severity: number; score: number }>();
    events.forEach((event, i) => {
      if (event.state === 'closed') return; // its window is normal: the episode has ended
      const before = highest.get(event.episodeId) ?? staged.get(event.episodeId) ?? known.records.get(event.episodeId);
      const raises = before === undefined || event.severity > before.severity || (event.severity === before.severity && event.score > before.score);
      if (!raises) return;
      highest.set(event.episodeId, event);
      peaks.push({ event, window: windows[i] as Window });
    });
    if (peaks.length === 0) return events;
    const codes = model.encode(peaks.map((p) => p.window));
    const hasher = codeHasher({ size: codes[0]!.length, bits: this.options.config.hashBits, seed: this.options.config.hashSeed, center: model.codeCenter ?? null });
    peaks.forEach(({ event, window }, i) => {
      const code = codes[i] as Float32Array;
      const before = staged.get(event.episodeId) ?? known.records.get(event.episodeId);
      staged.set(event.episodeId, {
        v: 1, episodeId: event.episodeId, eventId: event.id, series: event.series, group: event.group,
        modelVersion: model.version, hashVersion: hasher.version,
        openedAt: before?.openedAt ?? event.windowEnd, at: event.windowEnd, severity: event.severity, score: event.score,
        code: Array.from(code), hash: hashToHex(hasher.hash(code)), verdict: before?.verdict ?? null,
        window: encodeWindow(window).toString('base64'),
      });
    });
    this.staged.set(model.group, staged);
    return events;
  }

  /** After the batch's events were published: makes the staged codes current and stores them. */
  async commit(): Promise<void> {
    const staged = this.staged;
    this.staged = new Map();
    for (const [group, records] of staged) {
      const known = this.groupCodes(group);
      for (const record of records.values()) this.remember(known, record);
      this.options.metrics.stored.set({ group }, known.records.size);
      try {
        await this.options.store.append(group, [...records.values()]);
        this.options.metrics.computed.inc({ group }, records.size);
      } catch (error) {
        this.options.metrics.writeFailures.inc({ group }, records.size);
        this.options.log.warn({ group, codes: records.size, err: describeError(error) }, 'could not store episode codes; other scorers will not find these episodes');
      }
    }
  }

  /** The newest record of an episode this scorer knows, or undefined. */
  record(group: string, episodeId: string): EpisodeCode | undefined {
    return this.groups.get(group)?.records.get(episodeId);
  }

  private groupCodes(group: string): GroupCodes {
    let known = this.groups.get(group);
    if (!known) {
      known = { records: new Map(), cursor: null, loaded: false, readAtMs: Number.NEGATIVE_INFINITY };
      this.groups.set(group, known);
    }
    return known;
  }

  /** Keeps the newest record of each episode, and at most `maxCodesPerGroup` episodes (the oldest go first). */
  private remember(known: GroupCodes, record: EpisodeCode): void {
    known.records.delete(record.episodeId);
    known.records.set(record.episodeId, record);
    while (known.records.size > this.options.config.maxCodesPerGroup) {
      const oldest = known.records.keys().next().value;
      if (oldest === undefined) break;
      known.records.delete(oldest);
    }
  }
}
