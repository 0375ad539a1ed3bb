import type { Window } from '@hourglass/core';

/** Windows of a channel set that a fit left out, for the log, the report and /readyz. */
export interface LeftOutChannels {
  readonly channels: readonly string[];
  readonly windows: number;
  /** A few of the series that have this channel set (at most 5). */
  readonly series: readonly string[];
}

/** The windows one model can be fitted on, and what was left out. */
export interface ChannelSelection {
  readonly channels: readonly string[];
  readonly kept: Window[];
  readonly leftOut: readonly LeftOutChannels[];
}

/**
 * One model takes one channel set (and W), but a group's glob can match univariate and
 * multivariate series alike. The fit keeps the windows of one set: the current model's when there
 * is one (so the series it scores stay scorable), else the set with the most windows (ties: the
 * set whose names sort first). The other windows are left out and reported; the scorer counts
 * them as unscorable. Giving such series their own group (or fixing `window.channels`) is the cure.
 */
export function selectChannelSet(windows: readonly Window[], modelChannels?: readonly string[]): ChannelSelection {
  const sets = new Map<string, { channels: readonly string[]; windows: Window[]; series: Set<string> }>();
  for (const w of windows) {
    const key = w.channels.join('\u0000');
    let set = sets.get(key);
    if (!set) sets.set(key, (set = { channels: w.channels, windows: [], series: new Set() }));
    set.windows.push(w);
    set.series.add(w.series);
  }
  // Windows keep their order (oldest first) within a set: the fit's time split depends on it.
  const ranked = [...sets.entries()].sort(([ka, a], [kb, b]) => b.windows.length - a.windows.length || (ka < kb ? -1 : ka > kb ? 1 : 0));
  const chosenKey = modelChannels !== undefined ? modelChannels.join('\u0000') : ranked[0]?.[0];
  const leftOut = ranked
    .filter(([key]) => key !== chosenKey)
    .map(([, set]) => ({ channels: set.channels, windows: set.windows.length, series: [...set.series].slice(0, 5) }));
  const chosen = chosenKey === undefined ? undefined : sets.get(chosenKey);
  return { channels: modelChannels ?? chosen?.channels ?? [], kept: chosen?.windows ?? [], leftOut };
}

/** "300 windows of host-1 with [cpu, mem, net]; 20 of db-2 with [a, b]", for logs and reasons. */
export function describeLeftOut(leftOut: readonly LeftOutChannels[]): string {
  return leftOut.map((l) => `${l.windows} of ${l.series.join(', ')}${l.series.length === 5 ? ', ...' : ''} with [${l.channels.join(', ')}]`).join('; ');
}
