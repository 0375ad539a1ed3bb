/**
 * How the fault run tells *late* from *lost*. A window still uncommitted on the windows topic is
 * late: Kafka holds it and the scorer group will be handed it again, so nothing is lost yet. Only
 * what the pipeline has finished with and still lacks is lost: a window that never reached the topic
 * once ingest stopped producing, a committed normal window missing from the clean buffer beyond the
 * drops the scorer counted, or a spike whose windows were all committed without an episode.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Where one window first appeared on the windows topic. */
export interface TopicPosition {
  readonly partition: number;
  readonly offset: number;
}

/** The scorer group's committed offset per partition: everything below it is done. */
export type Committed = ReadonlyMap<number, number>;

export function isCommitted(position: TopicPosition | undefined, committed: Committed): boolean {
  return position !== undefined && position.offset < (committed.get(position.partition) ?? 0);
}

export interface DrainResult {
  /** True when `done` held; false when progress stopped for `stallMs` or the cap was reached. */
  readonly ended: boolean;
  readonly seconds: number;
  readonly why?: string;
}

/**
 * Waits until `done` holds for as long as the work keeps moving: it gives up only when `progress`
 * has not changed for `stallMs` (the stage is stuck), or after `capMs` in all. A loaded machine that
 * scores slowly is waited for; a scorer that stopped is not.
 */
export async function drainUntil(o: { done: () => Promise<boolean>; progress: () => Promise<number>; stallMs: number; capMs: number; intervalMs?: number }): Promise<DrainResult> {
  const t0 = Date.now();
  let last = Number.NaN;
  let lastChange = t0;
  for (;;) {
    if (await o.done().catch(() => false)) return { ended: true, seconds: (Date.now() - t0) / 1000 };
    const now = Date.now();
    const p = await o.progress().catch(() => last);
    if (p !== last) {
      last = p;
      lastChange = now;
    }
    if (now - lastChange > o.stallMs) return { ended: false, seconds: (now - t0) / 1000, why: `no progress for ${o.stallMs / 1000} s` };
    if (now - t0 > o.capMs) return { ended: false, seconds: (now - t0) / 1000, why: `still going after ${o.capMs / 1000} s` };
    await sleep(o.intervalMs ?? 500);
  }
}

/** The fault a lost item is closest to, in points produced: the first place to look. */
export function nearestFault(faults: readonly { kind: string; at: number; pointsProducedAt: number }[], pointsAt: number): string {
  let best: (typeof faults)[number] | undefined;
  for (const f of faults) if (!best || Math.abs(f.pointsProducedAt - pointsAt) < Math.abs(best.pointsProducedAt - pointsAt)) best = f;
  if (!best) return 'no fault injected';
  const delta = pointsAt - best.pointsProducedAt;
  return `${best.kind} at ${best.at} s (${best.pointsProducedAt} points produced; this item ${delta >= 0 ? '+' : ''}${delta} points from it)`;
}
