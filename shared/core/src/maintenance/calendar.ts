import { CronExpressionParser } from 'cron-parser';
import { WEEKDAYS, instantMs, type MaintenancePeriod } from '../config/maintenance-config';
import { globToRegExp } from '../windowing/group-matcher';

/** Where a period came from: the config file, or `hourglass maintenance add` (Redis). */
export type MaintenanceSource = 'config' | 'runtime';

/** A period with its id and source, as the calendar and `maintenance list` show it. */
export interface NamedPeriod {
  readonly id: string;
  readonly source: MaintenanceSource;
  readonly period: MaintenancePeriod;
}

/** Series ids whose covering periods are remembered per group; the cache is dropped beyond this. */
const SERIES_CACHE_MAX = 50_000;

/**
 * The maintenance periods in force, compiled for the scorer's hot path. A window is in maintenance
 * when its span [start, end] overlaps a period that covers its series: a window that holds any
 * point of the maintenance is kept out of episodes and the buffer, not only one that ends inside.
 * Times are the windows' event times, so a replay or `hourglass run` over a file decides alike.
 * Pure: no clock, no I/O.
 */
export class MaintenanceCalendar {
  private readonly compiled: readonly CompiledPeriod[];
  private readonly byGroup = new Map<string, GroupMaintenance | null>();

  constructor(readonly periods: readonly NamedPeriod[]) {
    this.compiled = periods.map(compile);
  }

  /** The group's view, or null when no period can cover any of its series (then the scorer does no per-window work). */
  forGroup(group: string): GroupMaintenance | null {
    let view = this.byGroup.get(group);
    if (view === undefined) {
      const applicable = this.compiled.filter((p) => p.groups === null || p.groups.has(group));
      view = applicable.length === 0 ? null : new GroupMaintenance(applicable);
      this.byGroup.set(group, view);
    }
    return view;
  }

  /** The periods covering `series` of `group` whose span overlaps [startMs, endMs]. */
  covering(group: string, series: string, startMs: number, endMs: number): NamedPeriod[] {
    return this.compiled.filter((p) => (p.groups === null || p.groups.has(group)) && (p.series === null || p.series.test(series)) && p.overlaps(startMs, endMs)).map((p) => p.named);
  }
}

/** The periods that can apply to one group, with the per-series filter cached. */
export class GroupMaintenance {
  private readonly perSeries = new Map<string, readonly CompiledPeriod[]>();

  constructor(private readonly periods: readonly CompiledPeriod[]) {}

  /** The first period covering `series` that overlaps [startMs, endMs], or undefined. */
  covering(series: string, startMs: number, endMs: number): NamedPeriod | undefined {
    let mine = this.perSeries.get(series);
    if (mine === undefined) {
      if (this.perSeries.size >= SERIES_CACHE_MAX) this.perSeries.clear();
      mine = this.periods.filter((p) => p.series === null || p.series.test(series));
      this.perSeries.set(series, mine);
    }
    for (const p of mine) if (p.overlaps(startMs, endMs)) return p.named;
    return undefined;
  }
}

interface CompiledPeriod {
  readonly named: NamedPeriod;
  readonly groups: ReadonlySet<string> | null;
  readonly series: RegExp | null;
  overlaps(startMs: number, endMs: number): boolean;
}

function compile(named: NamedPeriod): CompiledPeriod {
  const p = named.period;
  const base = { named, groups: p.groups ? new Set(p.groups) : null, series: p.series !== undefined ? globToRegExp(p.series) : null };
  if (p.cron !== undefined) return { ...base, overlaps: recurring(p.cron, p.durationMs ?? 0, p.timezone) };
  if (p.weekly !== undefined) {
    const { expression, durationMs } = weeklyAsCron(p.weekly);
    return { ...base, overlaps: recurring(expression, durationMs, p.timezone) };
  }
  const from = instantMs(p.from, p.timezone) ?? Number.POSITIVE_INFINITY;
  const to = instantMs(p.to, p.timezone) ?? Number.NEGATIVE_INFINITY;
  return { ...base, overlaps: (startMs, endMs) => startMs < to && endMs >= from };
}

/** A weekly period as the cron expression of its starts and the length of each. */
export function weeklyAsCron(weekly: NonNullable<MaintenancePeriod['weekly']>): { expression: string; durationMs: number } {
  const minutes = (clock: string) => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5));
  const start = minutes(weekly.start);
  const length = (minutes(weekly.end) - start + 1440) % 1440 || 1440;
  const days = [...new Set(weekly.days.map((d) => WEEKDAYS.indexOf(d)))].sort((a, b) => a - b);
  return { expression: `${start % 60} ${Math.floor(start / 60)} * * ${days.join(',')}`, durationMs: length * 60_000 };
}

/**
 * Overlap with a recurring period: the latest start at or before the window's end, if it lasts
 * past the window's start. The occurrence around the last query is cached, since windows arrive
 * in time order and most queries fall between the same two starts.
 */
function recurring(expression: string, durationMs: number, tz: string): (startMs: number, endMs: number) => boolean {
  let cached: { prev: number; next: number } | null = null;
  const around = (t: number): { prev: number; next: number } => {
    if (cached && cached.prev <= t && t < cached.next) return cached;
    const back = CronExpressionParser.parse(expression, { currentDate: new Date(t + 1), tz });
    const prev = back.hasPrev() ? back.prev().getTime() : Number.NEGATIVE_INFINITY;
    const forward = CronExpressionParser.parse(expression, { currentDate: new Date(Number.isFinite(prev) ? prev : t), tz });
    const next = forward.hasNext() ? forward.next().getTime() : Number.POSITIVE_INFINITY;
    cached = { prev, next: Math.max(next, t + 1) };
    return cached;
  };
  return (startMs, endMs) => around(endMs).prev + durationMs > startMs;
}
