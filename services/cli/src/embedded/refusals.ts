import { HourglassError, TIMESTAMP_FORMATS } from '@hourglass/core';
import type { Logger } from '@hourglass/runtime';

/** When an input counts as not what Hourglass reads, and how many refusals are logged one by one. */
export interface RefusalPolicy {
  /** Refusals logged with their line; later ones are only counted. Default 5. */
  readonly logFirst: number;
  /** Share of refused lines at which the input is judged unreadable. Default 0.9. */
  readonly nearlyAll: number;
  /** Lines read before judging mid-stream (a shorter input is judged at its end). Default 100. */
  readonly judgeAfter: number;
}

export const REFUSAL_POLICY: RefusalPolicy = { logFirst: 5, nearlyAll: 0.9, judgeAfter: 100 };

interface Refusal {
  readonly line: number;
  readonly reason: string;
  readonly detail: string;
}

/**
 * Refused input lines of `hourglass run`: the first few are logged with line, reason and detail,
 * the rest counted, and one summary names the count. When nearly every line is refused (a wrong
 * delimiter, a timestamp format it does not read, not a CSV at all), the run stops with one error
 * naming a line and the accepted formats instead of a warning per line. The first warnings wait
 * until that judgement, so an unreadable file prints only the error.
 */
export class InputRefusals {
  private seen = 0;
  private refused = 0;
  private readonly held: Refusal[] = [];
  private released = false;
  private first: Refusal | undefined;
  private readonly byReason = new Map<string, number>();

  constructor(
    private readonly source: string,
    private readonly log: Logger,
    private readonly policy: RefusalPolicy = REFUSAL_POLICY,
  ) {}

  accept(): void {
    this.seen++;
    this.judge(false);
  }

  refuse(refusal: Refusal): void {
    this.seen++;
    this.refused++;
    this.byReason.set(refusal.reason, (this.byReason.get(refusal.reason) ?? 0) + 1);
    this.first ??= refusal;
    if (this.refused <= this.policy.logFirst) this.held.push(refusal);
    this.judge(false);
    if (this.released) this.release();
  }

  /** At the end of the input: the last judgement, then the count of refusals not logged one by one. */
  finish(): { refused: number; lines: number } {
    this.judge(true);
    this.release();
    if (this.refused > this.policy.logFirst) {
      this.log.warn({ refused: this.refused, lines: this.seen, byReason: Object.fromEntries(this.byReason) }, `${this.refused - this.policy.logFirst} more input lines refused (only the first ${this.policy.logFirst} are logged)`);
    }
    return { refused: this.refused, lines: this.seen };
  }

  /** Judged at every line once enough are read, so good lines first do not hide a file that turns to garbage. */
  private judge(atEnd: boolean): void {
    if (!atEnd && this.seen < this.policy.judgeAfter) return;
    if (this.seen > 0 && this.refused / this.seen >= this.policy.nearlyAll) {
      const first = this.first!;
      throw new HourglassError('INPUT_INVALID', `${this.source}: ${this.refused} of ${atEnd ? 'its' : 'the first'} ${this.seen} lines were refused, so the run stopped. ` +
        `Line ${first.line}: ${first.reason} (${first.detail}). Timestamps accepted: ${TIMESTAMP_FORMATS}. Values must be numbers; check the delimiter (--delimiter) and the time zone (--timezone).`);
    }
    if (!this.released) {
      this.released = true;
      this.release();
    }
  }

  private release(): void {
    for (const r of this.held.splice(0)) this.log.warn({ line: r.line, reason: r.reason, detail: r.detail }, 'input line refused');
  }
}
