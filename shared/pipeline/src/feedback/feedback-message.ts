import { HourglassError, parseFeedbackRequest, type Feedback } from '@hourglass/core';
import type { FeedbackRecorder } from './recorder';

/** What one message of the feedback topic came to: recorded, or refused with a dead-letter reason. */
export type FeedbackMessageOutcome =
  | { readonly outcome: 'recorded'; readonly feedback: Feedback; readonly codeVerdictError: string | null }
  | { readonly outcome: 'invalid_feedback' | 'unknown_episode'; readonly detail: string };

/**
 * Handles one message of `topics.feedback`: a valid verdict on a known episode is recorded as
 * `hourglass feedback` would record it (who: the message's `by`, else `unknown`). A message that
 * is not a valid verdict, or names no episode Hourglass knows, is refused (the caller dead-letters
 * it). Anything else (the store is down) is thrown, so the consumer retries the message and
 * commits nothing meanwhile.
 */
export async function handleFeedbackMessage(text: string, recorder: FeedbackRecorder): Promise<FeedbackMessageOutcome> {
  const parsed = parseFeedbackRequest(text);
  if (!parsed.ok) return { outcome: 'invalid_feedback', detail: parsed.issues.map((i) => `${i.path || '(message)'}: ${i.message}`).join('; ') };
  try {
    const { feedback, codeVerdictError } = await recorder.record(parsed.request, 'topic', 'unknown');
    return { outcome: 'recorded', feedback, codeVerdictError };
  } catch (error) {
    if (error instanceof HourglassError && error.code === 'EPISODE_UNKNOWN') return { outcome: 'unknown_episode', detail: error.message };
    throw error;
  }
}
