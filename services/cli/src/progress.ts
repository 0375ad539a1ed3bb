/**
 * The progress bar of `hourglass run` and `eval nab`. Kept our own rather than cli-progress: it is
 * one line redrawn with `\r` at most every 100 ms, on a terminal only, and this file (tested in
 * progress.test.ts) is smaller than that library's options; its features (multi-bars, ETA
 * formatting, themes) would buy nothing here, and it would add a dependency with its own.
 */

/** Where the bar is drawn: stderr in the CLI; anything with `isTTY` and `write` in tests. */
export interface ProgressOutput {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

export interface ProgressBar {
  /** Redraws with `share` in [0, 1] and an optional text after the percentage; throttled. */
  update(share: number, suffix?: string): void;
  /** Clears the bar's line, so what is printed next starts on a clean line. */
  done(): void;
}

const WIDTH = 30;
const REDRAW_MS = 100;

/** One frame: `[#########                     ]  30%  suffix`. */
export function renderBar(share: number, suffix = ''): string {
  const s = Number.isFinite(share) ? Math.min(1, Math.max(0, share)) : 0;
  return `[${'#'.repeat(Math.round(s * WIDTH)).padEnd(WIDTH)}] ${(s * 100).toFixed(0).padStart(3)}%${suffix ? `  ${suffix}` : ''}`;
}

/** A bar on `out` when it is a terminal; silent otherwise, so logs and pipes get no control characters. */
export function progressBar(out: ProgressOutput, now: () => number = Date.now): ProgressBar {
  const tty = out.isTTY === true;
  let lastDraw = Number.NEGATIVE_INFINITY;
  let drawn = false;
  return {
    update(share, suffix) {
      if (!tty || now() - lastDraw < REDRAW_MS) return;
      lastDraw = now();
      drawn = true;
      // \x1b[K clears what a longer earlier suffix left behind.
      out.write(`\r${renderBar(share, suffix)}\x1b[K`);
    },
    done() {
      if (drawn) out.write('\r\x1b[K');
    },
  };
}
