import type { Incident, OpenIncident } from '@hourglass/core';
import type { IncidentChanges, IncidentReader, IncidentSink, IncidentStore } from './ports';

/** Incident messages kept in a list (tests, embedded callers). */
export class InMemoryIncidentSink implements IncidentSink {
  readonly incidents: Incident[] = [];
  async publish(incidents: readonly Incident[]): Promise<void> {
    this.incidents.push(...incidents);
  }
}

/** The incident store in process memory (tests; embedded mode without a folder). */
export class InMemoryIncidentStore implements IncidentStore, IncidentReader {
  readonly open = new Map<string, OpenIncident>();
  readonly episodes = new Map<string, string>();
  readonly latest = new Map<string, Incident>();

  async loadOpen(): Promise<OpenIncident[]> {
    return [...this.open.values()];
  }

  async incidentsOf(episodeIds: readonly string[]): Promise<Map<string, string>> {
    return new Map(episodeIds.filter((e) => this.episodes.has(e)).map((e) => [e, this.episodes.get(e)!]));
  }

  async save(changes: IncidentChanges): Promise<void> {
    for (const incident of changes.open) this.open.set(incident.id, incident);
    for (const id of changes.closed) this.open.delete(id);
    for (const [episode, id] of changes.episodes) this.episodes.set(episode, id);
    for (const incident of changes.latest) this.latest.set(incident.id, incident);
  }

  async list(limit: number): Promise<Incident[]> {
    return newestFirst([...this.latest.values()]).slice(0, limit);
  }

  async get(id: string): Promise<Incident | null> {
    return this.latest.get(id) ?? null;
  }
}

/** Incidents by start, newest first (ties by id). */
export function newestFirst(incidents: readonly Incident[]): Incident[] {
  return [...incidents].sort((a, b) => (a.start < b.start ? 1 : a.start > b.start ? -1 : a.id < b.id ? -1 : 1));
}
