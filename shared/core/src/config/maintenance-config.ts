import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';
import { isTimeZone, parseTimestampText } from '../windowing/timestamp';

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "a time of day 'HH:MM' (00:00 to 23:59)");
/** An instant: epoch ms, or ISO-8601 text (a zone-less one is read in the period's `timezone`). */
const instant = z.union([z.number().int().nonnegative(), z.string().min(1)]);

/**
 * One maintenance period (docs/scorer.md, "Maintenance windows"): which series it covers (model
 * groups, a series glob, or both, which must then both match) and when: once (`from`, `to`), or
 * recurring, by a cron expression with a duration or by weekdays and a time of day. While a window
 * overlaps one, the scorer still scores and exports it, but it opens or moves no episode, so no
 * event is published, and it never enters the clean buffer.
 */
export const maintenancePeriodSchema = z
  .object({
    /** A name to list and remove it by: letters, digits, `_ . -`. Config periods default to `config-<index>`. */
    id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - only, at most 64').optional(),
    /** Model groups covered (every series of each). */
    groups: z.array(z.string().min(1)).min(1).optional(),
    /** Series covered: a glob over series ids (`*` any run, `?` one character), anchored. */
    series: z.string().min(1).optional(),
    /** Start of a one-off period (inclusive): epoch ms or ISO-8601. */
    from: instant.optional(),
    /** End of a one-off period (exclusive). */
    to: instant.optional(),
    /** Recurring: a cron expression (5 fields, or 6 with seconds first) for each period's start... */
    cron: z.string().min(1).optional(),
    /** ...and how long each lasts. */
    durationMs: z.number().int().positive().optional(),
    /** Recurring: on these weekdays, from `start` to `end` (an `end` not after `start` runs past midnight). */
    weekly: z
      .object({ days: z.array(z.enum(WEEKDAYS)).min(1), start: clock, end: clock })
      .strict()
      .optional(),
    /** IANA zone of zone-less `from`/`to`, the cron expression and the weekly times. Default UTC. */
    timezone: z.string().refine(isTimeZone, 'an IANA time zone name such as UTC or Europe/Berlin').default('UTC'),
    /** Why: shown by `hourglass maintenance list`. */
    reason: z.string().max(500).optional(),
    /** Who added it (`hourglass maintenance add` fills it in). */
    createdBy: z.string().max(200).optional(),
    /** When it was added, ISO-8601 (filled in by `hourglass maintenance add`). */
    createdAt: z.string().optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, path, message });
    if (p.groups === undefined && p.series === undefined) issue([], 'give groups, series (a glob), or both: which series the period covers');
    const kinds = [p.from !== undefined || p.to !== undefined ? 'from/to' : null, p.cron !== undefined ? 'cron' : null, p.weekly !== undefined ? 'weekly' : null].filter(Boolean);
    if (kinds.length === 0) issue([], 'give from and to (once), cron with durationMs, or weekly (recurring)');
    if (kinds.length > 1) issue([], `a period is one of from/to, cron or weekly; this one has ${kinds.join(' and ')}`);
    if (p.from !== undefined || p.to !== undefined) {
      const from = instantMs(p.from, p.timezone);
      const to = instantMs(p.to, p.timezone);
      if (p.from === undefined) issue(['from'], 'a one-off period needs from as well as to');
      else if (from === undefined) issue(['from'], `'${p.from}' is not epoch ms or an ISO-8601 time`);
      if (p.to === undefined) issue(['to'], 'a one-off period needs to as well as from');
      else if (to === undefined) issue(['to'], `'${p.to}' is not epoch ms or an ISO-8601 time`);
      if (from !== undefined && to !== undefined && to <= from) issue(['to'], 'must be after from');
    }
    if (p.cron !== undefined) {
      const problem = cronProblem(p.cron, p.timezone);
      if (problem) issue(['cron'], problem);
      if (p.durationMs === undefined) issue(['durationMs'], 'a cron period needs durationMs: how long each occurrence lasts');
    } else if (p.durationMs !== undefined) issue(['durationMs'], 'durationMs goes with cron only');
  });

export type MaintenancePeriodInput = z.input<typeof maintenancePeriodSchema>;
export type MaintenancePeriod = z.infer<typeof maintenancePeriodSchema>;

/** The `maintenance` section: periods from the config file (more are added at run time with `hourglass maintenance add`). */
export const maintenanceConfigSchema = z.array(maintenancePeriodSchema).superRefine((periods, ctx) => {
  const seen = new Set<string>();
  periods.forEach((p, i) => {
    if (p.id === undefined) return;
    if (seen.has(p.id)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i, 'id'], message: `duplicate maintenance id '${p.id}'` });
    seen.add(p.id);
  });
});

/** Epoch ms of a period bound, or undefined when it is neither epoch ms nor ISO-8601. */
export function instantMs(value: number | string | undefined, timezone: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return value;
  return /^\d+$/.test(value.trim()) ? Number(value.trim()) : parseTimestampText(value, timezone);
}

/** Why a cron expression is refused, or undefined. Exactly 5 or 6 fields: cron-parser fills in missing ones silently. */
function cronProblem(expression: string, timezone: string): string | undefined {
  const fields = expression.trim().split(/\s+/).length;
  if (!expression.trim().startsWith('@') && fields !== 5 && fields !== 6) return `'${expression}' has ${fields} fields; a cron expression has 5 (minute hour day month weekday) or 6 (seconds first)`;
  try {
    CronExpressionParser.parse(expression, { tz: timezone, strict: false });
    return undefined;
  } catch (error) {
    return `'${expression}' is not a cron expression: ${(error as Error).message}`;
  }
}
