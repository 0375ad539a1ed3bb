import type { Feedback, HeldBackWindow, Window } from '@hourglass/core';

/** Where the scorer keeps the windows it held back from the clean buffer (Redis stream per group). May fail: the scorer carries on. */
export interface HeldBackSink {
  append(group: string, held: readonly HeldBackWindow[]): Promise<void>;
}

/** The held-back windows of a group, oldest first (for resolving a verdict's episode and its windows). */
export interface HeldBackSource {
  read(group: string): Promise<HeldBackWindow[]>;
}

/** What the trainer reads of the stored verdicts. */
export interface FeedbackReader {
  /** Every verdict of a group, oldest first. */
  list(group: string): Promise<Feedback[]>;
  /** The windows stored with an episode's verdict, time ordered. */
  windows(group: string, episodeId: string): Promise<Window[]>;
}

/** Durable verdicts (Redis hashes; embedded mode's folder). */
export interface FeedbackStore extends FeedbackReader {
  /** Stores a verdict with its episode's windows; a later verdict on the episode replaces it. */
  put(feedback: Feedback, windows: readonly Window[]): Promise<void>;
  get(group: string, episodeId: string): Promise<Feedback | null>;
}
