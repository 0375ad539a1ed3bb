import type { Feedback, HeldBackWindow, Window } from '@hourglass/core';
import type { FeedbackStore, HeldBackSink, HeldBackSource } from './ports';

/** Verdicts in memory, with the Redis store's semantics (tests). */
export class InMemoryFeedbackStore implements FeedbackStore {
  private readonly verdicts = new Map<string, Feedback>();
  private readonly stored = new Map<string, Window[]>();

  async put(feedback: Feedback, windows: readonly Window[]): Promise<void> {
    const key = `${feedback.group}\u0000${feedback.episodeId}`;
    this.verdicts.set(key, feedback);
    if (windows.length > 0) this.stored.set(key, [...windows]);
  }
  async get(group: string, episodeId: string): Promise<Feedback | null> {
    return this.verdicts.get(`${group}\u0000${episodeId}`) ?? null;
  }
  async list(group: string): Promise<Feedback[]> {
    return [...this.verdicts.values()].filter((f) => f.group === group).sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  }
  async windows(group: string, episodeId: string): Promise<Window[]> {
    return this.stored.get(`${group}\u0000${episodeId}`) ?? [];
  }
}

/** Held-back windows in memory, capped per group like the Redis stream (tests). */
export class InMemoryHeldBack implements HeldBackSink, HeldBackSource {
  readonly groups = new Map<string, HeldBackWindow[]>();
  constructor(private readonly maxWindows = Infinity) {}

  async append(group: string, held: readonly HeldBackWindow[]): Promise<void> {
    const list = [...(this.groups.get(group) ?? []), ...held];
    this.groups.set(group, list.slice(Math.max(0, list.length - this.maxWindows)));
  }
  async read(group: string): Promise<HeldBackWindow[]> {
    return [...(this.groups.get(group) ?? [])];
  }
}
