import type { AnomalyEvent, EpisodeState } from '../contracts/anomaly-event';
import type { SimilarEpisode } from '../contracts/episode-code';
import { incidentId, type Incident, type IncidentGrouping, type IncidentMember, type IncidentState, type SimilarIncident } from '../contracts/incident';
import { severityBand } from '../episodes/episode-tracker';
import type { IncidentKeyOf } from './incident-key';

/** One member episode while its incident is open; times are epoch ms of event time (window ends). */
export interface MemberState {
  readonly series: string;
  readonly group: string;
  readonly episodeId: string;
  readonly modelVersion: string;
  readonly openedAtMs: number;
  readonly lastAtMs: number;
  readonly closedAtMs: number | null;
  readonly severity: number;
  readonly peakAtMs: number;
  readonly state: EpisodeState;
  /** The similar earlier episodes of its `open` event, each with its incident. */
  readonly similar?: readonly SimilarEpisode[];
}

/**
 * An incident the grouper holds: open, or the newest closed one of its key (kept so that an episode
 * of the key that opened in time but arrives late can still join it). Small and plain, so the stage
 * can checkpoint it (Redis, a file).
 */
export interface OpenIncident {
  readonly id: string;
  /** Revision of the last message published for it. */
  readonly revision: number;
  readonly groupBy: IncidentGrouping;
  readonly key: string;
  /** When its newest member opened: a new episode of the key joins within `joinWithinMs` of it. */
  readonly lastOpenMs: number;
  readonly members: readonly MemberState[];
  /** Set once the incident closed (its last member's close); absent while it is open. */
  readonly closedAtMs?: number;
}

/** One message to publish: the incident after a change, what kind of change, and the event time that caused it. */
export interface IncidentChange {
  readonly incident: OpenIncident;
  readonly state: IncidentState;
  readonly updatedAtMs: number;
  /** The close time, on the `closed` message. */
  readonly endMs: number | null;
}

/** What one anomaly event did to the incidents (counted by `hourglass_incidents_events_total{outcome}`). */
export type EventOutcome = 'opened' | 'joined' | 'updated' | 'unchanged' | 'replayed' | 'orphaned';

export const EVENT_OUTCOMES: readonly EventOutcome[] = ['opened', 'joined', 'updated', 'unchanged', 'replayed', 'orphaned'];

/** How episodes become incidents. */
export interface GroupingPolicy {
  readonly groupBy: IncidentGrouping;
  readonly keyOf: IncidentKeyOf;
  readonly joinWithinMs: number;
  /** Open incidents held at once; beyond, the one idle longest is closed (`forcedCloses`). */
  readonly maxOpen: number;
}

/** What a batch of events would change; nothing of it is current until apply(). */
export interface StagedIncidents {
  /** Messages in the order they happened. */
  readonly changes: readonly IncidentChange[];
  /** The new state of every incident the batch touched; null once it closed. */
  readonly open: ReadonlyMap<string, OpenIncident | null>;
  /** Episodes of incidents that closed in the batch, with their incident id. */
  readonly closedEpisodes: ReadonlyMap<string, string>;
  readonly outcomes: Readonly<Record<EventOutcome, number>>;
  /** Incidents closed because more than `maxOpen` were open. */
  readonly forcedCloses: number;
}

const STATE_RANK: Record<EpisodeState, number> = { open: 0, ongoing: 1, closed: 2 };

/**
 * Groups anomaly events into incidents. Pure apart from its own state, which moves only in
 * apply(): the incidents stage stages a batch, publishes the messages, and applies the state only
 * once they are acknowledged, so a failed publish is retried from the state it began with and
 * yields the same messages (ids and revisions).
 *
 * A batch is taken in event-time order (window end, then open before ongoing before closed, then
 * episode id), whichever partition each event came from. An `open` (or the first event seen of an
 * episode) joins the newest open incident of its key when it opened at most `joinWithinMs` after
 * that incident's newest member did, and otherwise opens an incident, whose id is a hash of the
 * grouping, the key and that time: a replay of the stream gives the same ids. An event not newer
 * than its member's last one, or of an episode whose incident closed, is a replay and changes
 * nothing. An incident closes with its last open member, and is kept as its key's newest closed
 * incident: an episode that opened in time but arrives after the others closed (its partition of
 * the anomalies topic was behind) still joins it, and the incident reopens, so arrival order does
 * not decide who is in which incident.
 */
export class IncidentGrouper {
  private readonly open = new Map<string, OpenIncident>();
  /** Member episode -> its open incident. */
  private readonly byEpisode = new Map<string, string>();

  constructor(private readonly policy: GroupingPolicy) {}

  /** Replaces the state with checkpointed open incidents (at start). */
  load(incidents: readonly OpenIncident[]): void {
    this.open.clear();
    this.byEpisode.clear();
    for (const incident of incidents) this.put(incident);
  }

  /** The open incidents now. */
  openIncidents(): OpenIncident[] {
    return [...this.open.values()].filter((i) => i.closedAtMs === undefined);
  }

  /** True when the episode is a member of an incident this grouper holds (open, or the newest closed one of its key). */
  hasEpisode(episodeId: string): boolean {
    return this.byEpisode.has(episodeId);
  }

  /** The incident an episode is a member of, when this grouper holds it; else undefined. */
  openIncidentOf(episodeId: string): string | undefined {
    return this.byEpisode.get(episodeId);
  }

  /**
   * Stages the effect of `events`. `closedEpisodes` says which of their episodes belong to an
   * incident that has closed already (their events are replays); `knownIncidents`, the incident of
   * earlier episodes that their `similar` lists name (beside those this grouper holds).
   */
  stage(events: readonly AnomalyEvent[], closedEpisodes: ReadonlyMap<string, string>, knownIncidents: ReadonlyMap<string, string> = closedEpisodes): StagedIncidents {
    const work = new Working(this.open, this.byEpisode);
    const changes: IncidentChange[] = [];
    const outcomes = Object.fromEntries(EVENT_OUTCOMES.map((o) => [o, 0])) as Record<EventOutcome, number>;
    const closedNow = new Map<string, string>();
    let forcedCloses = 0;
    const close = (incident: OpenIncident, atMs: number, endMs: number): void => {
      const closed: OpenIncident = { ...incident, revision: incident.revision + 1, closedAtMs: endMs };
      changes.push({ incident: closed, state: 'closed', updatedAtMs: atMs, endMs });
      // Kept, as the newest closed incident of its key (an older one goes), for late members to join.
      const previous = work.closedOfKey(closed.key);
      if (previous && previous.id !== closed.id) work.remove(previous);
      work.put(closed);
      for (const m of closed.members) closedNow.set(m.episodeId, closed.id);
      while (work.closedCount() > this.policy.maxOpen) {
        const oldest = work.oldestClosed();
        if (!oldest) break;
        work.remove(oldest);
      }
    };

    for (const event of sortEvents(events)) {
      const endMs = Date.parse(event.windowEnd);
      const inOpen = work.incidentOf(event.episodeId);
      if (inOpen) {
        const outcome = this.updateMember(inOpen, event, endMs, work, changes, close);
        outcomes[outcome]++;
        continue;
      }
      if (closedEpisodes.has(event.episodeId) || closedNow.has(event.episodeId)) {
        outcomes.replayed++;
        continue;
      }
      // An episode first seen by its `closed` event opened before this stage knew it (or its incident was forgotten).
      if (event.state === 'closed') {
        outcomes.orphaned++;
        continue;
      }
      const key = this.policy.keyOf(event.series, event.group);
      const incidentOf = (episode: string): string | null => work.incidentOf(episode)?.id ?? closedNow.get(episode) ?? knownIncidents.get(episode) ?? null;
      const member = newMember(event, endMs, incidentOf);
      const joinable = work.newestOfKey(key);
      if (joinable && endMs <= joinable.lastOpenMs + this.policy.joinWithinMs && endMs >= firstOpenMs(joinable) - this.policy.joinWithinMs) {
        // A closed incident reopens: its new member opened in time, and arrived after the others closed.
        const { closedAtMs: _reopened, ...live } = joinable;
        const joined: OpenIncident = { ...live, revision: joinable.revision + 1, lastOpenMs: Math.max(joinable.lastOpenMs, endMs), members: byOpen([...joinable.members, member]) };
        work.put(joined);
        changes.push({ incident: joined, state: 'updated', updatedAtMs: endMs, endMs: null });
        outcomes.joined++;
        continue;
      }
      const created: OpenIncident = { id: incidentId(this.policy.groupBy, key, endMs), revision: 1, groupBy: this.policy.groupBy, key, lastOpenMs: endMs, members: [member] };
      work.put(created);
      changes.push({ incident: created, state: 'open', updatedAtMs: endMs, endMs: null });
      outcomes.opened++;
      while (work.size() > this.policy.maxOpen) {
        const idlest = work.idlest();
        if (!idlest || idlest.id === created.id) break;
        const lastMs = Math.max(...idlest.members.map((m) => m.lastAtMs));
        close(idlest, endMs, lastMs);
        forcedCloses++;
      }
    }
    return { changes, open: work.touched(), closedEpisodes: closedNow, outcomes, forcedCloses };
  }

  /** Makes a staged batch current: only after its messages were published. */
  apply(staged: StagedIncidents): void {
    for (const [id, incident] of staged.open) {
      const before = this.open.get(id);
      if (before) for (const m of before.members) this.byEpisode.delete(m.episodeId);
      this.open.delete(id);
      if (incident) this.put(incident);
    }
  }

  private updateMember(
    incident: OpenIncident, event: AnomalyEvent, endMs: number, work: Working, changes: IncidentChange[],
    close: (incident: OpenIncident, atMs: number, endMs: number) => void,
  ): EventOutcome {
    const index = incident.members.findIndex((m) => m.episodeId === event.episodeId);
    const before = incident.members[index] as MemberState;
    if (endMs <= before.lastAtMs || before.closedAtMs !== null) return 'replayed';
    const rose = event.severity > before.severity;
    const after: MemberState = {
      ...before,
      lastAtMs: endMs,
      state: event.state,
      closedAtMs: event.state === 'closed' ? endMs : null,
      severity: rose ? event.severity : before.severity,
      peakAtMs: rose ? endMs : before.peakAtMs,
    };
    const members = incident.members.map((m, i) => (i === index ? after : m));
    if (event.state === 'closed' && members.every((m) => m.closedAtMs !== null)) {
      close({ ...incident, members }, endMs, endMs);
      return 'updated';
    }
    const publish = event.state === 'closed' || severityBand(after.severity) > severityBand(before.severity);
    const next = { ...incident, members, revision: incident.revision + (publish ? 1 : 0) };
    work.put(next);
    if (!publish) return 'unchanged';
    changes.push({ incident: next, state: 'updated', updatedAtMs: endMs, endMs: null });
    return 'updated';
  }

  private put(incident: OpenIncident): void {
    this.open.set(incident.id, incident);
    for (const m of incident.members) this.byEpisode.set(m.episodeId, incident.id);
  }
}

/**
 * The message for a change: the contract's shape, times as ISO-8601; `nowMs` is only `detectedAt`.
 * `similarK`: earlier incidents listed, from the members' similar episodes.
 */
export function toIncident(change: IncidentChange, nowMs: number, similarK = 3): Incident {
  const { incident, state, updatedAtMs, endMs } = change;
  const first = firstMember(incident);
  return {
    id: incident.id,
    revision: incident.revision,
    state,
    groupBy: incident.groupBy,
    key: incident.key,
    firstSeries: first.series,
    start: iso(first.openedAtMs),
    end: endMs === null ? null : iso(endMs),
    updatedAt: iso(updatedAtMs),
    detectedAt: iso(nowMs),
    severity: Math.max(...incident.members.map((m) => m.severity)),
    members: incident.members.map(toMember),
    similar: similarIncidents(incident, similarK),
  };
}

/**
 * Earlier incidents like this one: the members' similar episodes that are not members themselves,
 * one per earlier incident (its nearest pair), nearest first (then by Hamming distance, then id).
 */
function similarIncidents(incident: OpenIncident, k: number): SimilarIncident[] {
  const members = new Set(incident.members.map((m) => m.episodeId));
  const best = new Map<string, SimilarIncident>();
  for (const m of incident.members) {
    for (const s of m.similar ?? []) {
      const earlier = s.incidentId ?? null;
      if (members.has(s.episodeId) || earlier === incident.id) continue;
      const key = earlier ?? `episode:${s.episodeId}`;
      const known = best.get(key);
      if (!known || s.distance < known.distance || (s.distance === known.distance && s.hamming < known.hamming)) best.set(key, { ...s, incidentId: earlier, to: m.series });
    }
  }
  return [...best.values()]
    .sort((a, b) => a.distance - b.distance || a.hamming - b.hamming || cmp(a.episodeId, b.episodeId))
    .slice(0, Math.max(0, k));
}

function toMember(m: MemberState): IncidentMember {
  return {
    series: m.series, group: m.group, episodeId: m.episodeId, modelVersion: m.modelVersion,
    openedAt: iso(m.openedAtMs), lastAt: iso(m.lastAtMs), closedAt: m.closedAtMs === null ? null : iso(m.closedAtMs),
    severity: m.severity, peakAt: iso(m.peakAtMs), state: m.state, similar: m.similar ?? [],
  };
}

/** Events in the order the grouper takes them: by window end, open before ongoing before closed, then episode and event id. */
export function sortEvents(events: readonly AnomalyEvent[]): AnomalyEvent[] {
  const keyed = events.map((e) => ({ e, t: Date.parse(e.windowEnd) }));
  keyed.sort((a, b) => a.t - b.t || STATE_RANK[a.e.state] - STATE_RANK[b.e.state] || cmp(a.e.episodeId, b.e.episodeId) || cmp(a.e.id, b.e.id));
  return keyed.map((k) => k.e);
}

/** Members in open-time order (ties by series id, then episode id): the same whatever order they arrived in. */
function byOpen(members: MemberState[]): MemberState[] {
  return members.sort((a, b) => a.openedAtMs - b.openedAtMs || cmp(a.series, b.series) || cmp(a.episodeId, b.episodeId));
}

/** The member that went anomalous first (earliest open; ties by series id). */
function firstMember(incident: OpenIncident): MemberState {
  let first = incident.members[0] as MemberState;
  for (const m of incident.members) if (m.openedAtMs < first.openedAtMs || (m.openedAtMs === first.openedAtMs && m.series < first.series)) first = m;
  return first;
}

function firstOpenMs(incident: OpenIncident): number {
  return firstMember(incident).openedAtMs;
}

function newMember(event: AnomalyEvent, endMs: number, incidentOf: (episodeId: string) => string | null): MemberState {
  return {
    series: event.series, group: event.group, episodeId: event.episodeId, modelVersion: event.modelVersion,
    openedAtMs: endMs, lastAtMs: endMs, closedAtMs: null, severity: event.severity, peakAtMs: endMs, state: event.state,
    ...(event.similar && event.similar.length > 0 ? { similar: event.similar.map((s) => ({ ...s, incidentId: incidentOf(s.episodeId) })) } : {}),
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Copy-on-write view of the grouper's state while a batch is staged. */
class Working {
  private readonly changed = new Map<string, OpenIncident | null>();
  private readonly episodes = new Map<string, string | null>();

  constructor(private readonly open: ReadonlyMap<string, OpenIncident>, private readonly byEpisode: ReadonlyMap<string, string>) {}

  get(id: string): OpenIncident | undefined {
    const changed = this.changed.get(id);
    if (changed !== undefined) return changed ?? undefined;
    return this.open.get(id);
  }

  incidentOf(episodeId: string): OpenIncident | undefined {
    const local = this.episodes.get(episodeId);
    const id = local === undefined ? this.byEpisode.get(episodeId) : local;
    return id === undefined || id === null ? undefined : this.get(id);
  }

  put(incident: OpenIncident): void {
    this.changed.set(incident.id, incident);
    for (const m of incident.members) this.episodes.set(m.episodeId, incident.id);
  }

  remove(incident: OpenIncident): void {
    this.changed.set(incident.id, null);
    for (const m of incident.members) this.episodes.set(m.episodeId, null);
  }

  /** The open incident of `key` whose newest member opened last. */
  newestOfKey(key: string): OpenIncident | undefined {
    let best: OpenIncident | undefined;
    for (const incident of this.all()) if (incident.key === key && (!best || incident.lastOpenMs > best.lastOpenMs)) best = incident;
    return best;
  }

  /** The open incident whose newest event is oldest. */
  idlest(): OpenIncident | undefined {
    let best: OpenIncident | undefined;
    let bestMs = Infinity;
    for (const incident of this.all()) {
      if (incident.closedAtMs !== undefined) continue;
      const last = Math.max(...incident.members.map((m) => m.lastAtMs));
      if (last < bestMs) [best, bestMs] = [incident, last];
    }
    return best;
  }

  /** Open incidents. */
  size(): number {
    let n = 0;
    for (const incident of this.all()) if (incident.closedAtMs === undefined) n++;
    return n;
  }

  /** The closed incident kept for `key`, if any. */
  closedOfKey(key: string): OpenIncident | undefined {
    for (const incident of this.all()) if (incident.key === key && incident.closedAtMs !== undefined) return incident;
    return undefined;
  }

  closedCount(): number {
    let n = 0;
    for (const incident of this.all()) if (incident.closedAtMs !== undefined) n++;
    return n;
  }

  oldestClosed(): OpenIncident | undefined {
    let best: OpenIncident | undefined;
    for (const incident of this.all()) if (incident.closedAtMs !== undefined && (!best || incident.closedAtMs < best.closedAtMs!)) best = incident;
    return best;
  }

  touched(): ReadonlyMap<string, OpenIncident | null> {
    return this.changed;
  }

  private *all(): Iterable<OpenIncident> {
    for (const [id, incident] of this.open) if (!this.changed.has(id)) yield incident;
    for (const incident of this.changed.values()) if (incident) yield incident;
  }
}
