import { Gauge, type Registry } from 'prom-client';

/**
 * `hourglass_series_anomaly_score{series,group}`: the latest score of a bounded set of series,
 * so Grafana can plot score against threshold per series without unbounded label cardinality.
 * Allowlisted series always get one; the rest of the cap goes to the top scores at scrape time.
 */
export class SeriesScoreGauges {
  private readonly latest = new Map<string, { series: string; group: string; score: number; maintenance: boolean }>();
  private readonly allow: ReadonlySet<string>;

  constructor(
    registry: Registry,
    private readonly options: { readonly allowlist: readonly string[]; readonly topK: number; readonly hardCap: number; readonly trackedMax: number },
  ) {
    this.allow = new Set(options.allowlist);
    const selected = (): { series: string; group: string; score: number; maintenance: boolean }[] => this.selected();
    new Gauge({
      name: 'hourglass_series_maintenance',
      help: '1 while the newest scored window of a series with a score gauge is in a maintenance period (no events; shade the score), else 0.',
      labelNames: ['series', 'group'],
      registers: [registry],
      collect() {
        this.reset();
        for (const s of selected()) this.set({ series: s.series, group: s.group }, s.maintenance ? 1 : 0);
      },
    });
    new Gauge({
      name: 'hourglass_series_anomaly_score',
      help: `Latest calibrated score per series, for an allowlist plus the top ${options.topK} (at most ${options.hardCap} series).`,
      labelNames: ['series', 'group'],
      registers: [registry],
      collect() {
        this.reset();
        for (const s of selected()) this.set({ series: s.series, group: s.group }, s.score);
      },
    });
  }

  /** True for a series of the allowlist: it always gets a gauge. */
  allowlisted(series: string): boolean {
    return this.allow.has(series);
  }

  /** The hard cap: the most series that get a gauge at once. */
  get capacity(): number {
    return this.options.hardCap;
  }

  /** Records a series' newest score (and whether its window is in maintenance). Memory is bounded by `trackedMax` entries. */
  observe(series: string, group: string, score: number, maintenance = false): void {
    const key = `${group}\u0000${series}`;
    this.latest.delete(key);
    this.latest.set(key, { series, group, score, maintenance });
    if (this.latest.size > this.options.trackedMax) {
      // Drop the least recently updated non-allowlisted entry (Map keeps insertion order).
      for (const [k, v] of this.latest) {
        if (!this.allow.has(v.series)) {
          this.latest.delete(k);
          break;
        }
      }
    }
  }

  /**
   * The series that get a gauge now: allowlisted first, then the highest scores, within the hard
   * cap. A selection of the top K, not a sort of every tracked series: the band gauges ask once
   * per batch (ExpectedBands.gaugedNow).
   */
  selected(): { series: string; group: string; score: number; maintenance: boolean }[] {
    type Entry = { series: string; group: string; score: number; maintenance: boolean };
    const allowed: Entry[] = [];
    const top: Entry[] = [];
    const k = this.options.topK;
    for (const s of this.latest.values()) {
      if (this.allow.has(s.series)) {
        allowed.push(s);
        continue;
      }
      if (k === 0 || (top.length === k && !(s.score > (top[k - 1] as Entry).score))) continue;
      let at = top.length === k ? k - 1 : top.length;
      while (at > 0 && s.score > (top[at - 1] as Entry).score) {
        top[at] = top[at - 1] as Entry;
        at -= 1;
      }
      top[at] = s;
    }
    return [...allowed, ...top].slice(0, this.options.hardCap);
  }
}
