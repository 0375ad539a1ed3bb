import type { Incident, OpenIncident } from '@hourglass/core';

/** Where incident messages go; resolves only once they are durably accepted (Kafka acks). */
export interface IncidentSink {
  publish(incidents: readonly Incident[]): Promise<void>;
}

/** What one batch changed, for the store to persist after its messages were published. */
export interface IncidentChanges {
  /** Incidents still open after the batch, in their new state. */
  readonly open: readonly OpenIncident[];
  /** Incidents that closed in the batch. */
  readonly closed: readonly string[];
  /** Each member episode the batch added, or whose incident closed, with its incident id. */
  readonly episodes: ReadonlyMap<string, string>;
  /** The newest message of each incident the batch published, for `hourglass incidents list|show`. */
  readonly latest: readonly Incident[];
}

/**
 * The incidents stage's state and history: the open incidents (its checkpoint, so a replacement
 * continues them), which incident each episode belonged to (so replayed events of a closed
 * incident are recognised), and the newest message of each incident. Redis in the service, a
 * folder in embedded mode. May fail (Redis down): the stage carries on and writes again later.
 */
export interface IncidentStore {
  loadOpen(): Promise<OpenIncident[]>;
  /** The incident of each of these episodes that the store remembers. */
  incidentsOf(episodeIds: readonly string[]): Promise<Map<string, string>>;
  save(changes: IncidentChanges): Promise<void>;
}

/** Reading incidents back (`hourglass incidents list|show`). */
export interface IncidentReader {
  /** The newest `limit` incidents by start, newest first. */
  list(limit: number): Promise<Incident[]>;
  /** The newest message of one incident, or null. */
  get(id: string): Promise<Incident | null>;
}
