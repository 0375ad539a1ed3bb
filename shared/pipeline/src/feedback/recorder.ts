import { HourglassError, describeError, episodeWindows, type EpisodeCode, type Feedback, type FeedbackRequest, type HeldBackWindow } from '@hourglass/core';
import type { CodeStore } from '../codes/ports';
import type { FeedbackStore, HeldBackSource } from './ports';

export interface FeedbackRecorderOptions {
  /** The model groups to search for the episode, in the config's order. */
  readonly groups: readonly string[];
  readonly store: FeedbackStore;
  /** The scorers' held-back windows: where an episode's windows come from. Null when `feedback.enabled` is off. */
  readonly heldBack: HeldBackSource | null;
  /** The episode codes: they name an episode's peak event, and carry the verdict to "similar" lookups. Null with `similar.enabled: false`. */
  readonly codes: CodeStore | null;
  readonly maxWindowsPerEpisode: number;
  readonly now?: () => number;
}

/** What recording one verdict did. */
export interface RecordedFeedback {
  readonly feedback: Feedback;
  /** Why the verdict could not be written to the episode's stored code (null: it was, or there is none). */
  readonly codeVerdictError: string | null;
}

/**
 * Records one verdict, for the CLI and the feedback topic alike: finds the episode the id names
 * (in the stored codes, then among the held-back windows), collects its windows from the
 * held-back ones, stores verdict and windows together, and writes the verdict onto the episode's
 * stored code (a new record of the episode, which scorers read within `similar.refreshIntervalMs`).
 * The windows are copied at this moment: from then on they no longer depend on the held-back
 * stream's cap.
 */
export class FeedbackRecorder {
  constructor(private readonly options: FeedbackRecorderOptions) {}

  async record(request: FeedbackRequest, source: Feedback['source'], defaultBy: string): Promise<RecordedFeedback> {
    const found = await this.find(request.event);
    if (!found) {
      throw new HourglassError(
        'EPISODE_UNKNOWN',
        `no episode '${request.event}' among the stored codes or the held-back windows of groups ${this.options.groups.join(', ')}: give an event's episodeId (its open event's id), or the id of the event at its peak`,
      );
    }
    const windows = episodeWindows(found.heldBack, found.episodeId, this.options.maxWindowsPerEpisode);
    const at = request.at === undefined ? new Date(this.now()) : new Date(request.at);
    const feedback: Feedback = {
      v: 1, episodeId: found.episodeId, eventId: request.event, group: found.group, series: found.series,
      verdict: request.verdict, note: request.note ?? null, by: request.by ?? defaultBy, at: at.toISOString(), source, windows: windows.length,
    };
    await this.options.store.put(feedback, windows);
    let codeVerdictError: string | null = null;
    if (found.code && this.options.codes) {
      try {
        await this.options.codes.append(found.group, [{ ...found.code, verdict: feedback.verdict }]);
      } catch (error) {
        codeVerdictError = describeError(error);
      }
    }
    return { feedback, codeVerdictError };
  }

  private async find(id: string): Promise<{ group: string; series: string; episodeId: string; code: EpisodeCode | null; heldBack: HeldBackWindow[] } | null> {
    const { codes, heldBack, groups } = this.options;
    for (const group of groups) {
      const records = codes ? (await codes.read(group, null)).records : [];
      const hit = records.find((r) => r.episodeId === id || r.eventId === id);
      const episodeId = hit?.episodeId ?? id;
      const held = heldBack ? await heldBack.read(group) : [];
      const code = hit ? (records.filter((r) => r.episodeId === episodeId).at(-1) ?? null) : null;
      if (code) return { group, series: code.series, episodeId, code, heldBack: held };
      const tagged = held.find((h) => h.episodeId === id);
      if (tagged) return { group, series: tagged.window.series, episodeId: id, code: null, heldBack: held };
    }
    return null;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}
