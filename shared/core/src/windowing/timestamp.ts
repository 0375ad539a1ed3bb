/**
 * Text timestamps: ISO-8601 date-times with or without a zone, and bare dates. A zone-less one is a
 * wall-clock time in a configured IANA zone (UTC unless told otherwise), because spreadsheet and
 * database exports (NAB's `2014-07-01 00:00:00`, for one) carry no zone and mean one fixed zone.
 */

/** What the parsers accept, for refusal messages: one list, so the CLI and dead letters agree. */
export const TIMESTAMP_FORMATS = 'epoch ms or s (number or digits), ISO-8601 with a zone (2024-01-02T03:04:05Z, +02:00), or zone-less 2024-01-02 03:04:05[.sss] or 2024-01-02 (read as UTC unless a timezone is configured)';

// Groups: year, month, day, then optionally hour, minute, second, fraction, and the zone.
const ISO_LIKE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;
const DAY_MS = 86_400_000;

/** True for a time zone name the runtime knows (IANA names such as `Europe/Berlin`, or `UTC`). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/**
 * Epoch ms of an ISO-8601-like text, or undefined when it is not one or names an impossible date
 * (2023-02-30, 25:00). A zone in the text wins; otherwise the wall-clock time is read in `timeZone`.
 */
export function parseTimestampText(text: string, timeZone: string): number | undefined {
  const m = ISO_LIKE.exec(text.trim());
  if (!m) return undefined;
  const [year, month, day, hour = 0, minute = 0, second = 0] = m.slice(1, 7).map((g) => (g === undefined ? undefined : Number(g))) as number[];
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  // Date.UTC reads years below 100 as 19xx; no time series starts in the first century.
  if (year! < 100 || month! < 1 || month! > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  const wallMs = Date.UTC(year!, month! - 1, day!, hour, minute, second, ms);
  // Date.UTC rolls 2023-02-30 over into March; a rolled-over day is not the date written.
  if (new Date(wallMs).getUTCDate() !== day) return undefined;
  const zone = m[8];
  if (zone !== undefined) return wallMs - zoneOffsetMs(zone);
  return wallClockToEpochMs(wallMs, timeZone);
}

/** `Z`, `+02`, `+0200` or `+02:00` as ms east of UTC. */
function zoneOffsetMs(zone: string): number {
  if (zone.toUpperCase() === 'Z') return 0;
  const digits = zone.slice(1).replace(':', '');
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0');
  return (zone[0] === '-' ? -1 : 1) * minutes * 60_000;
}

const formats = new Map<string, Intl.DateTimeFormat>();

/**
 * The instant whose wall clock in `timeZone` reads `wallMs` (a wall time encoded as if it were UTC).
 * Around a DST change it resolves like Temporal's `compatible`: a repeated hour takes its earlier
 * instant, a skipped hour moves forward by the gap, so every text maps to exactly one instant.
 */
export function wallClockToEpochMs(wallMs: number, timeZone: string): number {
  if (timeZone === 'UTC') return wallMs;
  const before = offsetAt(wallMs - DAY_MS, timeZone);
  const after = offsetAt(wallMs + DAY_MS, timeZone);
  const candidates = [wallMs - before, wallMs - after].filter((t) => offsetAt(t, timeZone) === wallMs - t);
  if (candidates.length > 0) return Math.min(...candidates);
  return wallMs - before; // in a gap: the offset before it carries the wall time past the jump
}

/** The zone's offset from UTC (ms east) at an instant, from Intl (the runtime's tz database). */
function offsetAt(epochMs: number, timeZone: string): number {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formats.set(timeZone, format);
  }
  const part: Record<string, number> = {};
  for (const p of format.formatToParts(epochMs)) if (p.type !== 'literal') part[p.type] = Number(p.value);
  const wholeSecond = Math.floor(epochMs / 1000) * 1000;
  return Date.UTC(part.year!, part.month! - 1, part.day!, part.hour!, part.minute!, part.second!) - wholeSecond;
}
