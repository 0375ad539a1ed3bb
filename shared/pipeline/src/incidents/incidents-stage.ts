import {
  IncidentGrouper, compileIncidentKey, describeError, severityBand, toIncident,
  type AnomalyEvent, type EventOutcome, type Incident, type IncidentsConfig, type OpenIncident, type StagedIncidents,
} from '@hourglass/core';
import type { Logger } from '@hourglass/runtime';
import type { IncidentsMetrics } from './incidents-metrics';
import type { IncidentChanges, IncidentSink, IncidentStore } from './ports';

export interface IncidentsStageOptions {
  /** The `incidents` section: grouping (groupBy, label, relations), joinWithinMs, maxOpenIncidents. */
  readonly config: Pick<IncidentsConfig, 'groupBy' | 'label' | 'relations' | 'joinWithinMs' | 'maxOpenIncidents'>;
  readonly sink: IncidentSink;
  readonly store: IncidentStore;
  readonly metrics: IncidentsMetrics;
  readonly log: Logger;
  readonly now?: () => number;
  /** Episodes of closed incidents remembered in memory, so replays need no store read. Default 100000. */
  readonly rememberedEpisodes?: number;
  /** Earlier incidents each message lists (`similar.k`), from its members' similar episodes. Default 3. */
  readonly similarK?: number;
}

/** What one processed batch did, for callers and tests. */
export interface IncidentsOutcome {
  readonly published: readonly Incident[];
  readonly outcomes: Readonly<Record<EventOutcome, number>>;
}

/**
 * The incidents stage, after the scorer (docs/incidents.md), shared by the incidents service
 * (Kafka + Redis) and embedded mode: anomaly events in, incident messages out. It keeps the
 * scorer's guarantees. A batch is staged, its messages are published, and only once they are
 * acknowledged does the state move (in memory, then to the store); a failed publish drops what was
 * staged, so the redelivered batch starts from the same state and publishes the same messages
 * with the same ids and revisions. Ids are hashes of what the events say, so a replay of the
 * stream yields the same incidents. Store failures are counted and survived: the unsaved changes
 * are written with the next batch.
 */
export class IncidentsStage {
  private readonly grouper: IncidentGrouper;
  private readonly now: () => number;
  /** Episode -> incident of closed incidents, newest last (an LRU). */
  private readonly closed = new Map<string, string>();
  private readonly rememberedEpisodes: number;
  private pending: PendingChanges = emptyPending();
  private readonly openGroups = new Set<string>();

  constructor(private readonly options: IncidentsStageOptions) {
    const c = options.config;
    this.grouper = new IncidentGrouper({ groupBy: c.groupBy, keyOf: compileIncidentKey(c), joinWithinMs: c.joinWithinMs, maxOpen: c.maxOpenIncidents });
    this.now = options.now ?? Date.now;
    this.rememberedEpisodes = options.rememberedEpisodes ?? 100_000;
  }

  /** Loads the open incidents a previous owner checkpointed; without a store, it starts empty (logged). */
  async start(): Promise<void> {
    try {
      const open = await this.options.store.loadOpen();
      this.grouper.load(open);
      if (open.length > 0) this.options.log.info({ open: open.length }, 'continuing open incidents');
    } catch (error) {
      this.options.metrics.storeFailures.inc();
      this.options.log.warn({ err: describeError(error) }, 'could not load the open incidents; starting without them (their episodes may start new incidents)');
    }
    this.updateOpenGauge();
  }

  /** Open incidents now, for /readyz. */
  openCount(): number {
    return this.grouper.openIncidents().length;
  }

  async process(events: readonly AnomalyEvent[]): Promise<IncidentsOutcome> {
    const closed = await this.closedIncidentsOf(events);
    const known = await this.incidentsOfSimilar(events, closed);
    const staged = this.grouper.stage(events, closed, known);
    const now = this.now();
    const published = staged.changes.map((change) => toIncident(change, now, this.options.similarK ?? 3));
    if (published.length > 0) await this.options.sink.publish(published); // throws on failure: nothing staged is kept
    this.grouper.apply(staged);
    for (const [episode, id] of staged.closedEpisodes) this.remember(episode, id);
    this.count(staged, published);
    await this.persist(staged, published);
    return { published, outcomes: staged.outcomes };
  }

  /** Episodes of these events that belong to incidents closed already: from memory, else from the store. */
  private async closedIncidentsOf(events: readonly AnomalyEvent[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const unknown: string[] = [];
    for (const episode of new Set(events.map((e) => e.episodeId))) {
      if (this.grouper.hasEpisode(episode)) continue;
      const id = this.closed.get(episode);
      if (id !== undefined) found.set(episode, id);
      else unknown.push(episode);
    }
    if (unknown.length === 0) return found;
    try {
      for (const [episode, id] of await this.options.store.incidentsOf(unknown)) found.set(episode, id);
    } catch (error) {
      this.options.metrics.storeFailures.inc();
      this.options.log.warn({ err: describeError(error) }, 'could not read which incidents episodes belong to; replayed events of closed incidents may start new ones');
    }
    return found;
  }

  /**
   * The incident of each earlier episode that the events' `similar` lists name: from the open
   * incidents, the closed ones remembered, else the store. Episodes of incidents made in this very
   * batch are resolved by the grouper itself.
   */
  private async incidentsOfSimilar(events: readonly AnomalyEvent[], closed: ReadonlyMap<string, string>): Promise<Map<string, string>> {
    const found = new Map(closed);
    const unknown: string[] = [];
    for (const event of events) {
      for (const s of event.similar ?? []) {
        if (found.has(s.episodeId)) continue;
        const id = this.grouper.openIncidentOf(s.episodeId) ?? this.closed.get(s.episodeId);
        if (id !== undefined) found.set(s.episodeId, id);
        else if (!unknown.includes(s.episodeId)) unknown.push(s.episodeId);
      }
    }
    if (unknown.length === 0) return found;
    try {
      for (const [episode, id] of await this.options.store.incidentsOf(unknown)) found.set(episode, id);
    } catch (error) {
      this.options.metrics.storeFailures.inc();
      this.options.log.warn({ err: describeError(error) }, 'could not read the incidents of similar episodes; they are listed without one');
    }
    return found;
  }

  private count(staged: StagedIncidents, published: readonly Incident[]): void {
    const { metrics } = this.options;
    for (const [outcome, n] of Object.entries(staged.outcomes)) if (n > 0) metrics.events.inc({ outcome }, n);
    if (staged.forcedCloses > 0) metrics.forcedCloses.inc(staged.forcedCloses);
    for (const incident of published) {
      metrics.messages.inc({ group: firstGroup(incident), state: incident.state, band: String(severityBand(incident.severity)) });
      if (incident.state === 'closed') metrics.members.observe(incident.members.length);
    }
    if (published.length > 0) this.updateOpenGauge();
  }

  private updateOpenGauge(): void {
    const counts = new Map<string, number>();
    for (const incident of this.grouper.openIncidents()) {
      const group = firstGroupOf(incident);
      counts.set(group, (counts.get(group) ?? 0) + 1);
    }
    for (const group of this.openGroups) if (!counts.has(group)) this.options.metrics.open.set({ group }, 0);
    for (const [group, n] of counts) {
      this.options.metrics.open.set({ group }, n);
      this.openGroups.add(group);
    }
  }

  /** Writes what the batch changed (and whatever earlier batches could not write); a failure keeps it for the next batch. */
  private async persist(staged: StagedIncidents, published: readonly Incident[]): Promise<void> {
    mergeInto(this.pending, staged, published);
    if (isEmpty(this.pending)) return;
    const changes: IncidentChanges = {
      open: [...this.pending.open.values()], closed: [...this.pending.closed], episodes: this.pending.episodes, latest: [...this.pending.latest.values()],
    };
    try {
      await this.options.store.save(changes);
      this.pending = emptyPending();
    } catch (error) {
      this.options.metrics.storeFailures.inc();
      this.options.log.warn({ err: describeError(error), unsaved: this.pending.open.size + this.pending.closed.size }, 'incident store write failed; retried with the next batch (a crash now could split open incidents)');
    }
  }

  private remember(episode: string, id: string): void {
    this.closed.delete(episode);
    this.closed.set(episode, id);
    if (this.closed.size > this.rememberedEpisodes) {
      const oldest = this.closed.keys().next().value;
      if (oldest !== undefined) this.closed.delete(oldest); // the store still has it
    }
  }
}

interface PendingChanges {
  readonly open: Map<string, OpenIncident>;
  readonly closed: Set<string>;
  readonly episodes: Map<string, string>;
  readonly latest: Map<string, Incident>;
}

function emptyPending(): PendingChanges {
  return { open: new Map(), closed: new Set(), episodes: new Map(), latest: new Map() };
}

function isEmpty(p: PendingChanges): boolean {
  return p.open.size === 0 && p.closed.size === 0 && p.episodes.size === 0 && p.latest.size === 0;
}

function mergeInto(pending: PendingChanges, staged: StagedIncidents, published: readonly Incident[]): void {
  for (const [id, incident] of staged.open) {
    if (incident) {
      pending.open.set(id, incident);
      pending.closed.delete(id);
      for (const m of incident.members) pending.episodes.set(m.episodeId, id);
    } else {
      pending.open.delete(id);
      pending.closed.add(id);
    }
  }
  for (const [episode, id] of staged.closedEpisodes) pending.episodes.set(episode, id);
  for (const incident of published) pending.latest.set(incident.id, incident);
}

function firstGroup(incident: Incident): string {
  return incident.members.find((m) => m.series === incident.firstSeries)?.group ?? incident.members[0]?.group ?? '';
}

function firstGroupOf(incident: OpenIncident): string {
  let first = incident.members[0];
  for (const m of incident.members) if (first && (m.openedAtMs < first.openedAtMs || (m.openedAtMs === first.openedAtMs && m.series < first.series))) first = m;
  return first?.group ?? '';
}
