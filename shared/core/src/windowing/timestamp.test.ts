import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isTimeZone, parseTimestampText } from './timestamp';

const utc = (...parts: [number, number, number, number?, number?, number?, number?]) => Date.UTC(...parts);

/** The wall clock of an instant in a zone, as `YYYY-MM-DD HH:MM:SS` (what a zone-less export writes). */
function wallText(epochMs: number, timeZone: string): string {
  const f = new Intl.DateTimeFormat('en-CA', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const p = Object.fromEntries(f.formatToParts(epochMs).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

test('zone-less date-times and bare dates are wall-clock times in the zone given (UTC by default)', () => {
  assert.equal(parseTimestampText('2014-07-01 00:00:00', 'UTC'), utc(2014, 6, 1));
  assert.equal(parseTimestampText('2014-07-01T00:00', 'UTC'), utc(2014, 6, 1));
  assert.equal(parseTimestampText('2014-07-01', 'UTC'), utc(2014, 6, 1));
  assert.equal(parseTimestampText(' 2014-07-01 12:30:15.25 ', 'UTC'), utc(2014, 6, 1, 12, 30, 15, 250));
  assert.equal(parseTimestampText('2014-07-01 12:30:15.123456789', 'UTC'), utc(2014, 6, 1, 12, 30, 15, 123));
  assert.equal(parseTimestampText('2024-01-02 03:04:05', 'Europe/Berlin'), utc(2024, 0, 2, 2, 4, 5), 'CET is UTC+1 in winter');
  assert.equal(parseTimestampText('2024-07-02 03:04:05', 'Europe/Berlin'), utc(2024, 6, 2, 1, 4, 5), 'CEST is UTC+2 in summer');
  assert.equal(parseTimestampText('2024-07-02 03:04:05', 'America/New_York'), utc(2024, 6, 2, 7, 4, 5));
});

test('a zone in the text wins over the configured one', () => {
  for (const zone of ['UTC', 'Asia/Tokyo']) {
    assert.equal(parseTimestampText('2024-01-02T03:04:05Z', zone), utc(2024, 0, 2, 3, 4, 5));
    assert.equal(parseTimestampText('2024-01-02 05:04:05+02:00', zone), utc(2024, 0, 2, 3, 4, 5));
    assert.equal(parseTimestampText('2024-01-02T00:04:05-0300', zone), utc(2024, 0, 2, 3, 4, 5));
    assert.equal(parseTimestampText('2024-01-02T05:04:05+02', zone), utc(2024, 0, 2, 3, 4, 5));
  }
});

test('DST: a repeated hour takes its earlier instant, a skipped hour moves forward by the gap', () => {
  // New York fell back at 2024-11-03 02:00 EDT: 01:30 happened at 05:30Z (EDT) and at 06:30Z (EST).
  assert.equal(parseTimestampText('2024-11-03 01:30:00', 'America/New_York'), utc(2024, 10, 3, 5, 30));
  // It sprang forward at 2024-03-10 02:00 EST: 02:30 never happened; it reads as 03:30 EDT.
  assert.equal(parseTimestampText('2024-03-10 02:30:00', 'America/New_York'), utc(2024, 2, 10, 7, 30));
});

test('impossible dates and other text are not timestamps', () => {
  for (const text of ['2023-02-30 00:00:00', '2024-13-01', '2024-01-01 24:00:00', '2024-01-01 10:60', '0099-01-01', 'yesterday', '2024-01-01 10', '', '2024/01/01 00:00:00']) {
    assert.equal(parseTimestampText(text, 'UTC'), undefined, text);
  }
});

test('property: every ISO string that Date prints parses back to its instant, in any configured zone', () => {
  const date = fc.date({ min: new Date(Date.UTC(100, 0, 1)), max: new Date(Date.UTC(9999, 11, 31)), noInvalidDate: true });
  fc.assert(fc.property(date, fc.constantFrom('UTC', 'Europe/Berlin', 'Australia/Lord_Howe'), (d, zone) => parseTimestampText(d.toISOString(), zone) === d.getTime()), { numRuns: 1000 });
});

test('property: a zone-less export of an instant reads back to the same wall clock, at most the DST shift away', () => {
  const zones = ['Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata', 'America/Sao_Paulo'];
  const instant = fc.integer({ min: Date.UTC(1990, 0, 1) / 1000, max: Date.UTC(2040, 0, 1) / 1000 }).map((s) => s * 1000);
  fc.assert(fc.property(instant, fc.constantFrom(...zones), (t, zone) => {
    const text = wallText(t, zone);
    const back = parseTimestampText(text, zone)!;
    assert.equal(wallText(back, zone), text);
    assert.ok(back <= t && t - back <= 3_600_000, `${text} in ${zone}: ${back} vs ${t}`);
  }), { numRuns: 2000 });
});

test('isTimeZone knows IANA names and refuses others', () => {
  for (const name of ['UTC', 'Europe/Berlin', 'America/Argentina/Buenos_Aires']) assert.ok(isTimeZone(name), name);
  for (const name of ['Mars/Olympus', 'CEST+', '']) assert.ok(!isTimeZone(name), name);
});
