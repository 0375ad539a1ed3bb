import { ConfigError, HourglassError, MaintenanceCalendar, maintenancePeriodSchema, type HourglassConfig, type MaintenancePeriod, type MaintenancePeriodInput } from '@hourglass/core';
import { RedisMaintenanceStore, redisKeys } from '@hourglass/redis';
import { withRedis } from './redis-session';

/** What `hourglass maintenance add` takes (flags as the command line parsed them). */
export interface MaintenanceAddOptions {
  readonly id?: string;
  readonly group?: readonly string[];
  readonly series?: string;
  readonly from?: string;
  readonly to?: string;
  readonly cron?: string;
  /** `90m`, `2h`, `1d`, `45s` or plain milliseconds. */
  readonly duration?: string;
  /** `sat,sun 02:00-04:00`. */
  readonly weekly?: string;
  readonly timezone?: string;
  readonly reason?: string;
  /** Who adds it (the command line fills in $USER). */
  readonly by: string;
  readonly now: Date;
}

/** One period as `maintenance list` shows it: where it comes from and whether it covers now. */
export interface ListedPeriod {
  readonly id: string;
  readonly source: 'config' | 'runtime';
  readonly activeNow: boolean;
  readonly period: MaintenancePeriod;
}

async function withStore<T>(config: HourglassConfig, fn: (store: RedisMaintenanceStore) => Promise<T>): Promise<T> {
  return withRedis(config, (redis) => fn(new RedisMaintenanceStore(redis, redisKeys(config.redis.keyPrefix))));
}

/**
 * `hourglass maintenance add`: validates the period as the config would (every bad field with its
 * name) and stores it in Redis; running scorers pick it up within `scorer.maintenancePollMs`.
 */
export async function addMaintenance(config: HourglassConfig, options: MaintenanceAddOptions): Promise<MaintenancePeriod & { id: string }> {
  const input = periodFromFlags(options);
  const parsed = maintenancePeriodSchema.safeParse(input);
  const issues = parsed.success ? [] : parsed.error.issues.map((i) => ({ path: flagOf(i.path.join('.')), message: i.message }));
  const groups = new Set(config.groups.map((g) => g.name));
  for (const g of options.group ?? []) if (!groups.has(g)) issues.push({ path: '--group', message: `no model group '${g}' in the config (groups: ${[...groups].join(', ')})` });
  if (issues.length > 0) throw new ConfigError(issues, 'maintenance period');
  return withStore(config, (store) => store.add(input));
}

/** `hourglass maintenance list`: the config's periods and the run-time ones, each with whether it covers now. */
export function listMaintenance(config: HourglassConfig, now: Date): Promise<{ periods: ListedPeriod[]; invalid: string[] }> {
  return withStore(config, async (store) => {
    const { periods, invalid } = await store.list();
    const named = [
      ...config.maintenance.map((period, i) => ({ id: period.id ?? `config-${i}`, source: 'config' as const, period })),
      ...periods.map((period) => ({ id: period.id, source: 'runtime' as const, period })),
    ];
    const t = now.getTime();
    return {
      periods: named.map((n) => ({ ...n, activeNow: activeAt(n, t) })),
      invalid,
    };
  });
}

/** `hourglass maintenance remove --id ID`: config periods cannot be removed here (edit the file). */
export async function removeMaintenance(config: HourglassConfig, id: string): Promise<boolean> {
  if (config.maintenance.some((p, i) => (p.id ?? `config-${i}`) === id)) throw new HourglassError('USAGE', `'${id}' is a period of the config file; remove it there (and restart the scorers)`);
  return withStore(config, (store) => store.remove(id));
}

/** One line per period, for the terminal. */
export function formatPeriods(periods: readonly ListedPeriod[]): string {
  if (periods.length === 0) return 'no maintenance periods';
  return periods
    .map(({ id, source, activeNow, period: p }) => {
      const when = p.cron !== undefined ? `cron '${p.cron}' for ${p.durationMs} ms` : p.weekly ? `weekly ${p.weekly.days.join(',')} ${p.weekly.start}-${p.weekly.end}` : `${String(p.from)} to ${String(p.to)}`;
      const who = [p.groups ? `groups ${p.groups.join(',')}` : null, p.series !== undefined ? `series ${p.series}` : null].filter(Boolean).join(', ');
      return `${activeNow ? '*' : ' '} ${id.padEnd(14)} ${source.padEnd(7)} ${who}; ${when} (${p.timezone})${p.reason ? ` - ${p.reason}` : ''}${p.createdBy ? ` [${p.createdBy}, ${p.createdAt ?? ''}]` : ''}`;
    })
    .join('\n');
}

/** Whether a period covers instant t for any series it names (list's "active now" column). */
function activeAt(n: { id: string; source: 'config' | 'runtime'; period: MaintenancePeriod }, t: number): boolean {
  // A period's series filter does not matter for "is it on now": drop it and ask for its first group (or any).
  const unfiltered: MaintenancePeriod = { ...n.period, series: '*' };
  return new MaintenanceCalendar([{ ...n, period: unfiltered }]).covering(n.period.groups?.[0] ?? '', 'x', t, t).length > 0;
}

function periodFromFlags(o: MaintenanceAddOptions): MaintenancePeriodInput {
  const weekly = o.weekly === undefined ? undefined : parseWeekly(o.weekly);
  return {
    ...(o.id ? { id: o.id } : {}),
    ...(o.group && o.group.length > 0 ? { groups: [...o.group] } : {}),
    ...(o.series !== undefined ? { series: o.series } : {}),
    ...(o.from !== undefined ? { from: o.from } : {}),
    ...(o.to !== undefined ? { to: o.to } : {}),
    ...(o.cron !== undefined ? { cron: o.cron } : {}),
    ...(o.duration !== undefined ? { durationMs: parseDuration(o.duration) } : {}),
    // The schema checks the day names; the cast only lets unchecked text reach it.
    ...(weekly !== undefined ? { weekly: weekly as MaintenancePeriodInput['weekly'] } : {}),
    ...(o.timezone !== undefined ? { timezone: o.timezone } : {}),
    ...(o.reason !== undefined ? { reason: o.reason } : {}),
    createdBy: o.by,
    createdAt: o.now.toISOString(),
  };
}

/** `sat,sun 02:00-04:00` as the schema's weekly object (the schema then checks each part). */
function parseWeekly(text: string): { days: string[]; start: string; end: string } {
  const m = /^\s*([a-z,]+)\s+(\S+)-(\S+)\s*$/i.exec(text);
  if (!m) throw new ConfigError([{ path: '--weekly', message: `'${text}' is not 'DAYS HH:MM-HH:MM' (e.g. 'sat,sun 02:00-04:00')` }], 'maintenance period');
  return { days: m[1]!.toLowerCase().split(',').filter(Boolean), start: m[2]!, end: m[3]! };
}

/** `90m`, `2h`, `1d`, `45s` or milliseconds; NaN (refused by the schema) when it is none of them. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!m) return Number.NaN;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 'ms') as 'ms'];
  return Math.round(Number(m[1]) * unit);
}

/** The command-line flag of a schema path, so errors name what the operator typed. */
function flagOf(path: string): string {
  const flags: Record<string, string> = { durationMs: '--duration', groups: '--group', 'weekly.days': '--weekly', 'weekly.start': '--weekly', 'weekly.end': '--weekly' };
  const head = path.split('.').filter((p) => !/^\d+$/.test(p)).join('.');
  return flags[head] ?? (head === '' ? '(period)' : `--${head}`);
}
