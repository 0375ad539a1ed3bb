import type { AnomalyEvent, SeriesEpisodeState, Window } from '@hourglass/core';
import type { CleanWindowSink, EpisodeStateStore, EventSink } from './ports';

/**
 * In-process adapters of the scorer's ports: embedded mode's event list and buffers, and the
 * fast unit tests. The Kafka and Redis adapters implement the same ports.
 */
export class InMemoryEventSink implements EventSink {
  readonly events: AnomalyEvent[] = [];
  async publish(events: readonly AnomalyEvent[]): Promise<void> {
    this.events.push(...events);
  }
}

export class InMemoryCleanBuffer implements CleanWindowSink {
  readonly windows = new Map<string, Window[]>();
  private readonly added = new Map<string, number>();
  constructor(private readonly maxLen = Infinity) {}
  async append(group: string, windows: readonly Window[], keepNewest?: number): Promise<void> {
    this.added.set(group, (this.added.get(group) ?? 0) + windows.length);
    const list = this.windows.get(group) ?? [];
    list.push(...windows);
    const maxLen = Math.min(this.maxLen, keepNewest ?? Infinity);
    if (list.length > maxLen) list.splice(0, list.length - maxLen);
    this.windows.set(group, list);
  }
  async size(group: string): Promise<number> {
    return this.windows.get(group)?.length ?? 0;
  }
  /** Windows ever appended to the group (trimming does not lower it), like the Redis buffer's counter. */
  async totalAdded(group: string): Promise<number> {
    return this.added.get(group) ?? 0;
  }
  /** The newest `count` windows, oldest first, as the trainer reads them. */
  async recent(group: string, count: number): Promise<Window[]> {
    return (this.windows.get(group) ?? []).slice(-count);
  }
}

export class InMemoryEpisodeStore implements EpisodeStateStore {
  readonly states = new Map<string, SeriesEpisodeState>();
  async load(group: string, series: readonly string[]): Promise<Map<string, SeriesEpisodeState>> {
    const out = new Map<string, SeriesEpisodeState>();
    for (const s of series) {
      const state = this.states.get(`${group}\u0000${s}`);
      if (state) out.set(s, state);
    }
    return out;
  }
  async save(group: string, states: ReadonlyMap<string, SeriesEpisodeState>): Promise<void> {
    for (const [s, state] of states) this.states.set(`${group}\u0000${s}`, state);
  }
}
