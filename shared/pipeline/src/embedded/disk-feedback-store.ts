import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeWindow, encodeWindow, type Feedback, type HeldBackWindow, type Window } from '@hourglass/core';
import type { FeedbackStore, HeldBackSink, HeldBackSource } from '../feedback/ports';
import { parseLines, readLines, readNewestLines } from './ndjson-file';

/**
 * Embedded mode's verdicts: `<dir>/<group>.ndjson` (dir: `<state-dir>/feedback`), one line per
 * verdict, `{"feedback": …, "windows": [base64 window, …]}`, appended; the newest line of an
 * episode wins, and one without windows keeps an earlier line's. `hourglass feedback --state-dir`
 * writes it; the next `hourglass run` over that folder refits with it.
 */
export class DiskFeedbackStore implements FeedbackStore {
  constructor(private readonly dir: string) {}

  async put(feedback: Feedback, windows: readonly Window[]): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await appendFile(this.file(feedback.group), `${JSON.stringify({ feedback, windows: windows.map((w) => encodeWindow(w).toString('base64')) })}\n`);
  }

  async get(group: string, episodeId: string): Promise<Feedback | null> {
    return (await this.load(group)).get(episodeId)?.feedback ?? null;
  }

  async list(group: string): Promise<Feedback[]> {
    return [...(await this.load(group)).values()].map((e) => e.feedback).sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  }

  async windows(group: string, episodeId: string): Promise<Window[]> {
    return ((await this.load(group)).get(episodeId)?.windows ?? []).map((b64) => decodeWindow(Buffer.from(b64, 'base64')));
  }

  private async load(group: string): Promise<Map<string, { feedback: Feedback; windows: string[] }>> {
    const out = new Map<string, { feedback: Feedback; windows: string[] }>();
    const entries = parseLines(await readLines(this.file(group)), (line) => {
      const entry = JSON.parse(line) as { feedback: Feedback; windows: string[] };
      if (!Array.isArray(entry.windows) || typeof entry.feedback?.episodeId !== 'string') throw new Error('not a verdict line');
      return entry;
    });
    for (const entry of entries) {
      const windows = entry.windows.length > 0 ? entry.windows : (out.get(entry.feedback.episodeId)?.windows ?? []);
      out.delete(entry.feedback.episodeId);
      out.set(entry.feedback.episodeId, { feedback: entry.feedback, windows });
    }
    return out;
  }

  private file(group: string): string {
    return join(this.dir, `${group}.ndjson`);
  }
}

/**
 * Embedded mode's held-back windows: `<dir>/<group>.ndjson` (dir: `<state-dir>/feedback/heldback`),
 * one line per window, `{"e": episode id or null, "w": base64 window}`. Reading keeps the newest
 * `maxWindows` and rewrites the file once it holds twice that many, as the code store does.
 */
export class DiskHeldBack implements HeldBackSink, HeldBackSource {
  private appended = new Map<string, number>();
  constructor(private readonly dir: string, private readonly maxWindows: number) {}

  async append(group: string, held: readonly HeldBackWindow[]): Promise<void> {
    if (held.length === 0) return;
    await mkdir(this.dir, { recursive: true });
    await appendFile(this.file(group), held.map((h) => `${JSON.stringify({ e: h.episodeId, w: encodeWindow(h.window).toString('base64') })}\n`).join(''));
    // Trim now and then, so a long run's file stays about the cap.
    const count = (this.appended.get(group) ?? 0) + held.length;
    this.appended.set(group, count);
    if (count >= this.maxWindows) {
      this.appended.set(group, 0);
      await this.read(group);
    }
  }

  async read(group: string): Promise<HeldBackWindow[]> {
    return parseLines(await readNewestLines(this.file(group), this.maxWindows), (line) => {
      const { e, w } = JSON.parse(line) as { e: string | null; w: string };
      return { episodeId: typeof e === 'string' ? e : null, window: decodeWindow(Buffer.from(w, 'base64')) };
    });
  }

  private file(group: string): string {
    return join(this.dir, `${group}.ndjson`);
  }
}
