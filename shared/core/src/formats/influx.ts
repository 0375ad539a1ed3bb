import type { ParseConfig } from '../config/ingest-config';
import { checkValue, MAX_POINT_TEXT, type DecodedMessage, type PointRefusal, type Sample } from './sample';

/**
 * InfluxDB line protocol (what Telegraf's Kafka output writes), many lines per message:
 * `measurement[,tag=value...] field=value[,field=value...] [timestamp]`.
 * Escapes: `\,` and `\ ` in the measurement; `\,`, `\=` and `\ ` in tag keys, tag values and
 * field keys; `\"` and `\\` in string field values (which may hold newlines). Field values: floats,
 * integers `12i`, unsigned `12u`, booleans (`t`, `true`, `F`, ...; read as 1 and 0) and strings
 * (metadata, not points: skipped). The timestamp is an integer in `timestampPrecision` (default ns);
 * a line without one is refused, since windows need event time. `#` starts a comment line.
 * Each numeric field is one point; a line that does not parse is one refused point.
 */
export function decodeInflux(value: Uint8Array | null, config: ParseConfig): DecodedMessage {
  if (value === null || value.byteLength === 0) return { ok: false, reason: 'malformed_line', detail: 'empty message (tombstone)' };
  if (value.byteLength > config.maxMessageBytes) return { ok: false, reason: 'oversize', detail: `${value.byteLength} bytes > maxMessageBytes ${config.maxMessageBytes}` };
  let text: string;
  try {
    text = utf8.decode(value);
  } catch {
    return { ok: false, reason: 'malformed_line', detail: 'not UTF-8' };
  }
  const samples: Sample[] = [];
  const refusals: PointRefusal[] = [];
  const scale = PRECISION_TO_MS[config.timestampPrecision];
  const parser = new LineParser(text);
  let index = 0;
  while (parser.nextLine()) {
    const start = parser.pos;
    const line = parser.parseLine();
    const lineText = () => text.slice(start, parser.pos).replace(/\r?\n$/, '').slice(0, MAX_POINT_TEXT);
    if (typeof line === 'string') {
      parser.skipLine();
      refusals.push({ index: index++, reason: 'malformed_line', detail: line, text: lineText() });
      continue;
    }
    let timestampMs = Number.NaN;
    let timeProblem: string | undefined = 'no timestamp (Hourglass needs event time; Telegraf always writes one)';
    if (line.timestamp !== undefined) {
      timestampMs = scale < 1 ? Number(line.timestamp) * 1000 : Number(line.timestamp) / scale;
      timeProblem = Number.isFinite(timestampMs) && Math.abs(timestampMs) <= MAX_TIME_MS ? undefined : `timestamp ${line.timestamp.slice(0, 40)} out of range in ${config.timestampPrecision}`;
    }
    const numeric = line.fields.filter((f): f is [string, number] => typeof f[1] === 'number');
    const t = lineText();
    const kept: Sample[] = [];
    for (const [key, v] of numeric) {
      if (timeProblem) refusals.push({ index: index++, reason: 'bad_timestamp', detail: timeProblem, text: t });
      else if (checkValue(v)) refusals.push({ index: index++, reason: 'non_finite_value', detail: `field '${key.slice(0, 64)}' is not finite as a 32-bit float (windows hold float32)`, text: t });
      else kept.push({ name: [line.measurement, key], labels: line.tags, timestampMs, value: v, kind: 'gauge', startMs: 0, index: index++, text: () => t, endsLine: false });
    }
    // Under channels: fields the line's last kept field completes its point.
    if (kept.length > 0) kept[kept.length - 1] = { ...kept[kept.length - 1]!, endsLine: true };
    samples.push(...kept);
  }
  if (samples.length === 0 && refusals.length === 0) return { ok: false, reason: 'missing_value', detail: 'no numeric field in any line' };
  return { ok: true, samples, refusals };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const MAX_TIME_MS = 8.64e15;
/** Divisors to ms (s multiplies): dividing by 1e6 is exact where multiplying by 1e-6 is not. */
const PRECISION_TO_MS = { ns: 1e6, us: 1e3, ms: 1, s: 1 / 1000 } as const;
const INTEGER = /^[-+]?\d+i$/;
const UNSIGNED = /^\d+u$/;
const FLOAT = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const TIMESTAMP = /^-?\d+$/;
const TRUE = new Set(['t', 'T', 'true', 'True', 'TRUE']);
const FALSE = new Set(['f', 'F', 'false', 'False', 'FALSE']);

interface Line {
  readonly measurement: string;
  readonly tags: [string, string][];
  /** Numbers (floats, integers, booleans as 1/0) or strings. */
  readonly fields: [string, number | string][];
  readonly timestamp: string | undefined;
}

/** A cursor over a whole message; each method says what is wrong as a string, or returns the part. */
class LineParser {
  pos = 0;
  constructor(private readonly s: string) {}

  /** Skips blank and comment lines; false at the end. */
  nextLine(): boolean {
    const s = this.s;
    for (;;) {
      while (this.pos < s.length && (s[this.pos] === ' ' || s[this.pos] === '\t' || s[this.pos] === '\r' || s[this.pos] === '\n')) this.pos++;
      if (this.pos >= s.length) return false;
      if (s[this.pos] !== '#') return true;
      this.skipLine();
    }
  }

  /** After an error: to the start of the next line. */
  skipLine(): void {
    const nl = this.s.indexOf('\n', this.pos);
    this.pos = nl < 0 ? this.s.length : nl + 1;
  }

  parseLine(): Line | string {
    const measurement = this.token(MEASUREMENT_STOP, MEASUREMENT_ESCAPES);
    if (measurement.length === 0) return 'empty measurement';
    const tags: [string, string][] = [];
    while (this.s[this.pos] === ',') {
      this.pos++;
      const key = this.token(KEY_STOP, KEY_ESCAPES);
      if (key.length === 0 || this.s[this.pos] !== '=') return `bad tag key after '${measurement.slice(0, 64)}' (a tag is key=value)`;
      this.pos++;
      const value = this.token(KEY_STOP, KEY_ESCAPES);
      if (value.length === 0) return `empty value of tag '${key.slice(0, 64)}'`;
      if (this.s[this.pos] === '=') return `unescaped '=' in the value of tag '${key.slice(0, 64)}'`;
      tags.push([key, value]);
    }
    if (this.s[this.pos] !== ' ') return this.pos >= this.s.length || this.s[this.pos] === '\n' || this.s[this.pos] === '\r' ? 'no fields' : `unexpected '${this.s[this.pos]}' after the tags`;
    this.skipSpaces();
    const fields: [string, number | string][] = [];
    for (;;) {
      const key = this.token(KEY_STOP, KEY_ESCAPES);
      if (key.length === 0 || this.s[this.pos] !== '=') return key.length === 0 ? 'empty field key' : `field '${key.slice(0, 64)}' has no '=value'`;
      this.pos++;
      const value = this.fieldValue();
      if (typeof value === 'object') return value.error.replace('%s', key.slice(0, 64));
      fields.push([key, value]);
      if (this.s[this.pos] === ',') {
        this.pos++;
        continue;
      }
      break;
    }
    let timestamp: string | undefined;
    if (this.s[this.pos] === ' ') {
      this.skipSpaces();
      if (!this.atLineEnd()) {
        const start = this.pos;
        while (this.pos < this.s.length && !WHITESPACE.has(this.s[this.pos]!)) this.pos++;
        timestamp = this.s.slice(start, this.pos);
        if (!TIMESTAMP.test(timestamp)) return `bad timestamp '${timestamp.slice(0, 40)}' (an integer)`;
        this.skipSpaces();
      }
    }
    if (!this.atLineEnd()) return `unexpected '${this.s[this.pos]}' at the end of the line`;
    if (this.s[this.pos] === '\r') this.pos++;
    if (this.s[this.pos] === '\n') this.pos++;
    return { measurement, tags, fields, timestamp };
  }

  private atLineEnd(): boolean {
    const c = this.s[this.pos];
    return c === undefined || c === '\n' || (c === '\r' && (this.s[this.pos + 1] === '\n' || this.pos + 1 >= this.s.length));
  }

  private skipSpaces(): void {
    while (this.s[this.pos] === ' ' || this.s[this.pos] === '\t') this.pos++;
  }

  /** Reads up to an unescaped stop character; `\x` for x in `escapes` is its mapping, any other backslash stays. */
  private token(stop: ReadonlySet<string>, escapes: ReadonlyMap<string, string>): string {
    const s = this.s;
    let out = '';
    let from = this.pos;
    while (this.pos < s.length) {
      const c = s[this.pos]!;
      if (c === '\\' && this.pos + 1 < s.length && escapes.has(s[this.pos + 1]!)) {
        out += s.slice(from, this.pos) + escapes.get(s[this.pos + 1]!)!;
        this.pos += 2;
        from = this.pos;
        continue;
      }
      if (stop.has(c)) break;
      this.pos++;
    }
    return out + s.slice(from, this.pos);
  }

  private fieldValue(): number | string | { error: string } {
    const s = this.s;
    if (s[this.pos] === '"') {
      this.pos++;
      let out = '';
      let from = this.pos;
      while (this.pos < s.length) {
        const c = s[this.pos]!;
        if (c === '\\' && (s[this.pos + 1] === '"' || s[this.pos + 1] === '\\')) {
          out += s.slice(from, this.pos) + s[this.pos + 1];
          this.pos += 2;
          from = this.pos;
          continue;
        }
        if (c === '"') {
          out += s.slice(from, this.pos);
          this.pos++;
          return out;
        }
        this.pos++;
      }
      return { error: "unterminated string in field '%s'" };
    }
    const start = this.pos;
    while (this.pos < s.length && !FIELD_VALUE_STOP.has(s[this.pos]!)) this.pos++;
    const raw = s.slice(start, this.pos);
    if (raw.length === 0) return { error: "field '%s' has no value" };
    if (FLOAT.test(raw)) return Number(raw);
    if (INTEGER.test(raw) || UNSIGNED.test(raw)) return Number(raw.slice(0, -1));
    if (TRUE.has(raw)) return 1;
    if (FALSE.has(raw)) return 0;
    return { error: `field '%s' has a value that is no float, integer (i), unsigned (u), boolean or string: '${raw.slice(0, 40)}'` };
  }
}

const WHITESPACE = new Set([' ', '\t', '\r', '\n']);
const MEASUREMENT_STOP = new Set([',', ' ', '\n', '\r']);
// Telegraf's and influxdb-client's escapers also write tabs, newlines, form feeds and carriage
// returns as `\t`, `\n`, `\f`, `\r`. They do not escape a backslash, so one before any other
// character is literal: the tag value `a\,b` is written `a\\,b` and read back left to right.
const CONTROL_ESCAPES: [string, string][] = [['t', '\t'], ['n', '\n'], ['f', '\f'], ['r', '\r']];
const MEASUREMENT_ESCAPES = new Map<string, string>([[',', ','], [' ', ' '], ...CONTROL_ESCAPES]);
const KEY_STOP = new Set([',', '=', ' ', '\n', '\r']);
const KEY_ESCAPES = new Map<string, string>([[',', ','], ['=', '='], [' ', ' '], ...CONTROL_ESCAPES]);
const FIELD_VALUE_STOP = new Set([',', ' ', '\n', '\r']);
