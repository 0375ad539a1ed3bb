import {
  HashIndex, codeHasher, decodeWindow, describeError, encodeWindow, hammingDistance, hashToHex, hexToHash,
  type AnomalyEvent, type CodeHasher, type HashIndexOptions, type EpisodeCode, type SimilarConfig, type SimilarEpisode, type Window,
} from '@hourglass/core';
import type { Logger } from '@hourglass/runtime';
import type { ScoringModel } from '../scorer/ports';
import type { CodesMetrics } from './codes-metrics';
import type { CodeStore } from './ports';

export interface EpisodeCodesOptions {
  /** The `similar` section: enabled, k, hash bits and seed, codes kept per group, shortlist, refresh interval. */
  readonly config: SimilarConfig;
  readonly store: CodeStore;
  readonly metrics: CodesMetrics;
  readonly log: Logger;
  readonly now?: () => number;
  /** How each group's lookup index is built (from how many codes it uses the multi-index; `probeLimit` defaults to the config's); default HashIndex's. For tests. */
  readonly index?: HashIndexOptions;
}

/** What ranks an episode's windows for its peak: the surprise (which, unlike severity and score, does not saturate), then severity, then score. */
interface Peak {
  readonly surprise?: number;
  readonly severity: number;
  readonly score: number;
}

function higher(a: Peak, b: Peak): boolean {
  const sa = a.surprise ?? -1;
  const sb = b.surprise ?? -1;
  return sa !== sb ? sa > sb : a.severity !== b.severity ? a.severity > b.severity : a.score > b.score;
}

/** One group's stored codes as this scorer knows them. */
interface GroupCodes {
  /** The newest record of each episode, oldest first (the cap removes from the front). */
  readonly records: Map<string, EpisodeCode>;
  cursor: string | null;
  loaded: boolean;
  readAtMs: number;
  /** Whether the last read or write failed: logged once per outage, not once per batch. */
  failing: boolean;
  /**
   * The records' codes and hashes under one model version (`version`): the lookup index. Records
   * of another version are re-encoded from their stored window before they join it (`stale`).
   */
  index: HashIndex<EpisodeCode> | null;
  version: string | null;
  readonly stale: Set<string>;
}

/**
 * The codes of episodes, kept beside the scorer stage (docs/incidents.md, "Codes and hashes" and
 * "Similar past episodes"). For each episode it stores the code of the window where the episode
 * peaks, with a seeded hash of it: at the `open` event, and again at every later event whose
 * window's surprise is higher (the surprise, unlike severity, does not saturate at 100). Each such code is looked up among the group's stored codes (Hamming distance
 * on the hash, then the exact code distance), and the `open` event carries the `similar.k` nearest
 * earlier episodes. Codes are computed only for windows that emit an event, in one encoder pass
 * per group and batch, inside the stage's synchronous part (the model cannot be swapped away
 * meanwhile); the lean scoring of every other window does not change.
 *
 * Hashes compare only within one model version: when a group's model changes, the stored peak
 * windows are re-encoded with the new model the first time it needs them, in memory, in one pass.
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
        this.recovered(known, group);
      } catch (error) {
        this.failed(known, group, error, 'could not read the stored episode codes; retried every similar.refreshIntervalMs');
      }
      known.readAtMs = now;
      this.options.metrics.stored.set({ group }, known.records.size);
    }
  }

  /**
   * In the stage's synchronous part, for one group's published-to-be events, their windows and
   * their windows' surprise (in the same order): stages the code of each event that raises its
   * episode's peak, with the nearest earlier episodes, and returns the events, each `open` with its
   * `similar` list.
   */
  onEvents(model: ScoringModel, events: readonly AnomalyEvent[], windows: readonly Window[], surprises: readonly number[] = []): readonly AnomalyEvent[] {
    if (!this.options.config.enabled || events.length === 0 || !model.encode) return events;
    const staged = this.staged.get(model.group) ?? new Map<string, EpisodeCode>();
    const known = this.groupCodes(model.group);
    // The events that raise their episode's peak, against what is stored and what this batch raised before.
    const peaks: { event: AnomalyEvent; window: Window; surprise: number }[] = [];
    const highest = new Map<string, Peak>();
    events.forEach((event, i) => {
      if (event.state === 'closed') return; // its window is normal: the episode has ended
      const surprise = surprises[i] ?? 0;
      const candidate: Peak = { surprise, severity: event.severity, score: event.score };
      const before = highest.get(event.episodeId) ?? staged.get(event.episodeId) ?? known.records.get(event.episodeId);
      if (before !== undefined && !higher(candidate, before)) return;
      highest.set(event.episodeId, candidate);
      peaks.push({ event, window: windows[i] as Window, surprise });
    });
    if (peaks.length === 0) return events;
    const codes = model.encode(peaks.map((p) => p.window));
    const hasher = this.hasherOf(model, codes[0]!.length);
    if (this.options.config.k > 0) this.refreshIndex(known, model, hasher, codes[0]!.length);
    const similarOf = new Map<string, readonly SimilarEpisode[]>();
    peaks.forEach(({ event, window, surprise }, i) => {
      const code = codes[i] as Float32Array;
      const hash = hasher.hash(code);
      const before = staged.get(event.episodeId) ?? known.records.get(event.episodeId);
      const openedAt = before?.openedAt ?? event.windowEnd;
      const similar = this.lookup(known, staged, model.group, hash, code, event.episodeId, Date.parse(openedAt));
      if (event.state === 'open') similarOf.set(event.id, similar);
      staged.set(event.episodeId, {
        v: 1, episodeId: event.episodeId, eventId: event.id, series: event.series, group: event.group,
        modelVersion: model.version, hashVersion: hasher.version,
        openedAt, at: event.windowEnd, severity: event.severity, score: event.score, surprise,
        code: Array.from(code), hash: hashToHex(hash), verdict: before?.verdict ?? null,
        window: encodeWindow(window).toString('base64'), similar,
      });
    });
    this.staged.set(model.group, staged);
    if (this.options.config.k === 0) return events;
    return events.map((e) => (similarOf.has(e.id) ? { ...e, similar: similarOf.get(e.id)! } : e));
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
        this.recovered(known, group);
      } catch (error) {
        this.options.metrics.writeFailures.inc({ group }, records.size);
        this.failed(known, group, error, 'could not store episode codes; other scorers will not find these episodes (counted in hourglass_scorer_code_write_failures_total)');
      }
    }
  }

  private failed(known: GroupCodes, group: string, error: unknown, message: string): void {
    if (!known.failing) this.options.log.warn({ group, err: describeError(error) }, message);
    known.failing = true;
  }

  private recovered(known: GroupCodes, group: string): void {
    if (known.failing) this.options.log.info({ group }, 'the episode code store answers again');
    known.failing = false;
  }

  /** The newest record of an episode this scorer knows, or undefined. */
  record(group: string, episodeId: string): EpisodeCode | undefined {
    return this.groups.get(group)?.records.get(episodeId);
  }

  /**
   * The `k` nearest earlier episodes (opened before `beforeMs`), nearest first: from the index, and
   * from the peaks this batch staged (an episode that opened earlier in the same batch is earlier
   * too, whatever the batch size), which replace their older records.
   */
  private lookup(known: GroupCodes, staged: ReadonlyMap<string, EpisodeCode>, group: string, hash: Uint32Array, code: Float32Array, episodeId: string, beforeMs: number): SimilarEpisode[] {
    const { k, candidates } = this.options.config;
    if (k === 0 || known.index === null) return [];
    const started = process.hrtime.bigint();
    const hits: { item: EpisodeCode; hamming: number; distance: number }[] = known.index
      .nearest(hash, code, { k: k + staged.size, candidates: candidates + staged.size, beforeMs, excludeId: episodeId })
      .filter((h) => !staged.has(h.id));
    for (const item of staged.values()) {
      if (item.episodeId === episodeId || !(Date.parse(item.openedAt) < beforeMs)) continue;
      hits.push({ item, hamming: hammingDistance(hexToHash(item.hash), hash), distance: Math.hypot(...item.code.map((v, j) => v - (code[j] as number))) });
    }
    hits.sort((a, b) => a.distance - b.distance || a.hamming - b.hamming || (a.item.episodeId < b.item.episodeId ? -1 : 1));
    this.options.metrics.lookupSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    this.options.metrics.lookups.inc({ group });
    return hits.slice(0, k).map(({ item, hamming, distance }) => ({
      episodeId: item.episodeId, series: item.series, group: item.group, at: item.at, severity: item.severity,
      hamming, distance: Math.round(distance * 1e6) / 1e6, verdict: item.verdict,
    }));
  }

  /**
   * Brings the group's index to the model's version: on a new version, every stored record is
   * re-encoded from its peak window (one encoder pass); otherwise only records added since that
   * came from another version (a scorer still on the old model) are.
   */
  private refreshIndex(known: GroupCodes, model: ScoringModel, hasher: CodeHasher, size: number): void {
    const version = `${model.version}\u0000${hasher.version}`;
    if (known.version !== version || known.index === null) {
      known.version = version;
      known.index = new HashIndex(hasher.bits / 32, size, { probeLimit: this.options.config.probeLimit, ...this.options.index });
      known.stale.clear();
      for (const id of known.records.keys()) known.stale.add(id);
    }
    if (known.stale.size === 0) return;
    const reencode: { record: EpisodeCode; window: Window }[] = [];
    for (const id of known.stale) {
      const record = known.records.get(id);
      if (!record) continue;
      if (record.modelVersion === model.version && record.hashVersion === hasher.version) {
        this.index(known, record, hexToHash(record.hash), record.code);
        continue;
      }
      try {
        const window = decodeWindow(Buffer.from(record.window, 'base64'));
        if (model.accepts(window)) reencode.push({ record, window });
      } catch {
        // A record without a readable window cannot be compared under this model; it stays out.
      }
    }
    known.stale.clear();
    if (reencode.length === 0 || !model.encode) return;
    const codes = model.encode(reencode.map((r) => r.window));
    reencode.forEach(({ record }, i) => this.index(known, record, hasher.hash(codes[i]!), codes[i]!));
    this.options.metrics.reencoded.inc({ group: model.group }, reencode.length);
  }

  private index(known: GroupCodes, record: EpisodeCode, hash: Uint32Array, code: ArrayLike<number>): void {
    if (!known.index) return;
    try {
      known.index.set(record.episodeId, hash, code, Date.parse(record.openedAt), record);
    } catch {
      // A code of another size (the latent size changed with the model): not comparable, left out.
    }
  }

  private hasherOf(model: ScoringModel, size: number): CodeHasher {
    return codeHasher({ size, bits: this.options.config.hashBits, seed: this.options.config.hashSeed, center: model.codeCenter ?? null });
  }

  private groupCodes(group: string): GroupCodes {
    let known = this.groups.get(group);
    if (!known) {
      known = { records: new Map(), cursor: null, loaded: false, readAtMs: Number.NEGATIVE_INFINITY, failing: false, index: null, version: null, stale: new Set() };
      this.groups.set(group, known);
    }
    return known;
  }

  /** Keeps the newest record of each episode, and at most `maxCodesPerGroup` episodes (the oldest go first). */
  private remember(known: GroupCodes, record: EpisodeCode): void {
    known.records.delete(record.episodeId);
    known.records.set(record.episodeId, record);
    if (known.index) {
      if (known.version === `${record.modelVersion}\u0000${record.hashVersion}`) this.index(known, record, hexToHash(record.hash), record.code);
      else {
        known.index.delete(record.episodeId);
        known.stale.add(record.episodeId);
      }
    }
    while (known.records.size > this.options.config.maxCodesPerGroup) {
      const oldest = known.records.keys().next().value;
      if (oldest === undefined) break;
      known.records.delete(oldest);
      known.index?.delete(oldest);
      known.stale.delete(oldest);
    }
  }
}
