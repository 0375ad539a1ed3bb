import { createHash } from 'node:crypto';
import type { EpisodeState } from './anomaly-event';
import type { SimilarEpisode } from './episode-code';

/** Where an incident is: opened by its first episode, `updated` as members join, rise or close, `closed` with its last member. */
export type IncidentState = 'open' | 'updated' | 'closed';

/** What makes episodes related: their model group, a label taken from the series id, or a configured relation. */
export type IncidentGrouping = 'group' | 'label' | 'relation';

/** One episode of an incident, as its anomaly events described it so far. */
export interface IncidentMember {
  readonly series: string;
  readonly group: string;
  /** The episode's id (its `open` event's id). */
  readonly episodeId: string;
  readonly modelVersion: string;
  /** Window end of the episode's first event seen (its `open`), ISO-8601. */
  readonly openedAt: string;
  /** Window end of the episode's newest event seen. */
  readonly lastAt: string;
  /** Window end of its `closed` event; null while the episode is open. */
  readonly closedAt: string | null;
  /** Highest severity (0 to 100) of the episode's events so far, and the window end where it was reached. */
  readonly severity: number;
  readonly peakAt: string;
  /** The state of the episode's newest event. */
  readonly state: EpisodeState;
  /** The earlier episodes its `open` event named as most similar, each with the incident it belonged to. */
  readonly similar: readonly SimilarEpisode[];
}

/** An earlier incident that resembles this one: through its member nearest to one of this incident's members. */
export interface SimilarIncident extends SimilarEpisode {
  /** The earlier incident; null when its episode's incident is no longer known (older than `incidents.retentionMs`). */
  readonly incidentId: string | null;
  /** The member of this incident it resembles. */
  readonly to: string;
}

/**
 * A message on `hourglass.incidents` (key: incident id; docs/incidents.md): episodes of related
 * series that opened within `incidents.joinWithinMs` of each other. One message per change;
 * `(id, revision)` identifies a message, so a consumer drops replays by it.
 */
export interface Incident {
  /** Deterministic: a hash of the grouping, the key and the start (incidentId). */
  readonly id: string;
  /** 1 for `open`, one more for each later message of the incident. */
  readonly revision: number;
  readonly state: IncidentState;
  readonly groupBy: IncidentGrouping;
  /** What its members share: `group:<name>`, `label:<value>`, `relation:<name>`, or `series:<id>` for a series that no label or relation covers. */
  readonly key: string;
  /** The member that went anomalous first (earliest `openedAt`; ties by series id). */
  readonly firstSeries: string;
  /** The earliest member's `openedAt`. */
  readonly start: string;
  /** The last member's `closedAt` once the incident is closed; null before. */
  readonly end: string | null;
  /** Window end of the anomaly event that caused this message. */
  readonly updatedAt: string;
  /** Wall-clock time the message was made (the only field a replay changes). */
  readonly detectedAt: string;
  /** Highest member severity. */
  readonly severity: number;
  /** Members by open time (ties by series id): the same whatever order their events arrived in. */
  readonly members: readonly IncidentMember[];
  /** Up to `similar.k` earlier incidents most like this one (nearest member pair first; docs/incidents.md). */
  readonly similar: readonly SimilarIncident[];
}

/** The deterministic incident id: a hash of (grouping, key, start in epoch ms), hex, 32 characters. */
export function incidentId(groupBy: IncidentGrouping, key: string, startMs: number): string {
  return createHash('sha256').update(`incident\u0000${groupBy}\u0000${key}\u0000${startMs}`).digest('hex').slice(0, 32);
}
