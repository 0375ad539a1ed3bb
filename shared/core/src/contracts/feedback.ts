import { z } from 'zod';
import type { ConfigIssue } from '../errors';

/** An operator's verdict on an anomaly episode (`hourglass feedback`, or the `hourglass.feedback` topic). */
export type FeedbackVerdict = 'false-positive' | 'confirmed';

export const FEEDBACK_VERDICTS: readonly FeedbackVerdict[] = ['false-positive', 'confirmed'];

/**
 * One message of the feedback topic, and what `hourglass feedback` builds from its flags: which
 * event, the verdict, and optionally a note, who and when (the recorder fills those in).
 */
export const feedbackRequestSchema = z
  .object({
    /** An anomaly event's `episodeId` (its open event's id), or the id of any event of the episode that the scorer stored (its peak). */
    event: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'an event id: letters, digits, . _ : -, at most 128'),
    verdict: z.enum(['false-positive', 'confirmed']),
    note: z.string().max(2000).optional(),
    /** Who gave the verdict. Default: the CLI's $USER, `unknown` on the topic. */
    by: z.string().min(1).max(200).optional(),
    /** When, ISO-8601 or epoch ms. Default: when it was recorded. */
    at: z.union([z.string().datetime({ offset: true }), z.number().int().nonnegative()]).optional(),
  })
  .strict();

export type FeedbackRequest = z.infer<typeof feedbackRequestSchema>;

/**
 * A stored verdict (Redis hash `hourglass:feedback:<group>`, field = episode id; embedded mode:
 * `<state-dir>/feedback/<group>.ndjson`). A later verdict on the same episode replaces it.
 */
export interface Feedback {
  readonly v: 1;
  readonly episodeId: string;
  /** The id the operator gave (the episode's, or one of its events'). */
  readonly eventId: string;
  readonly group: string;
  readonly series: string;
  readonly verdict: FeedbackVerdict;
  readonly note: string | null;
  readonly by: string;
  /** When the verdict was given, ISO-8601. */
  readonly at: string;
  readonly source: 'cli' | 'topic';
  /** How many of the episode's windows were found and stored with it (0: none were held any more). */
  readonly windows: number;
}

/** A feedback message's text as a request, or every problem with it, each with its field's path. */
export function parseFeedbackRequest(text: string): { ok: true; request: FeedbackRequest } | { ok: false; issues: ConfigIssue[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, issues: [{ path: '', message: `not JSON: ${(error as Error).message}` }] };
  }
  const parsed = feedbackRequestSchema.safeParse(raw);
  if (parsed.success) return { ok: true, request: parsed.data };
  return { ok: false, issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) };
}
