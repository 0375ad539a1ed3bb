import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../errors';
import { compileConfig } from '../config/config';
import { maintenancePeriodSchema, type MaintenancePeriodInput } from '../config/maintenance-config';
import { MaintenanceCalendar, weeklyAsCron } from './calendar';

const MIN = 60_000;
const HOUR = 60 * MIN;

function calendar(...periods: MaintenancePeriodInput[]): MaintenanceCalendar {
  return new MaintenanceCalendar(periods.map((p, i) => ({ id: `p${i}`, source: 'config', period: maintenancePeriodSchema.parse(p) })));
}

test('a one-off period covers the windows that overlap it, for its groups and series glob only', () => {
  const from = Date.parse('2026-12-01T02:00:00Z');
  const cal = calendar({ groups: ['db'], series: 'db-*', from: '2026-12-01T02:00:00Z', to: '2026-12-01T04:00:00Z' });
  const db = cal.forGroup('db')!;
  assert.ok(db);
  assert.equal(cal.forGroup('web'), null, 'a group no period names has no per-window work');
  assert.equal(db.covering('db-1', from - HOUR, from - 1), undefined, 'a window that ends before it');
  assert.equal(db.covering('db-1', from - HOUR, from)?.id, 'p0', 'a window whose newest point is in it');
  assert.equal(db.covering('db-1', from + 2 * HOUR - 1, from + 3 * HOUR)?.id, 'p0', 'a window that still holds a point of it');
  assert.equal(db.covering('db-1', from + 2 * HOUR, from + 3 * HOUR), undefined, '`to` is exclusive');
  assert.equal(db.covering('cache-1', from, from + MIN), undefined, 'a series outside the glob');
});

test('cron and weekly periods recur in their time zone; the cached occurrence follows the stream both ways', () => {
  // Saturdays 02:00-04:00 in Berlin (UTC+1 in December): 01:00-03:00 UTC.
  const cron = calendar({ series: '*', cron: '0 2 * * 6', durationMs: 2 * HOUR, timezone: 'Europe/Berlin' }).forGroup('any')!;
  const weekly = calendar({ series: '*', weekly: { days: ['sat'], start: '02:00', end: '04:00' }, timezone: 'Europe/Berlin' }).forGroup('any')!;
  const sat = Date.parse('2026-12-05T01:00:00Z');
  for (const view of [cron, weekly]) {
    const at = (t: number) => view.covering('s', t, t) !== undefined;
    assert.deepEqual([sat - 1, sat, sat + 2 * HOUR - 1, sat + 2 * HOUR].map(at), [false, true, true, false]);
    assert.deepEqual([sat + 7 * 24 * HOUR + HOUR, sat - 7 * 24 * HOUR + HOUR, sat + 3 * 24 * HOUR].map(at), [true, true, false], 'the next week, the one before, a weekday');
  }
});

test('weekly times past midnight wrap into the next day', () => {
  assert.deepEqual(weeklyAsCron({ days: ['sun', 'fri'], start: '23:30', end: '01:00' }), { expression: '30 23 * * 0,5', durationMs: 90 * MIN });
  assert.deepEqual(weeklyAsCron({ days: ['mon'], start: '00:00', end: '00:00' }), { expression: '0 0 * * 1', durationMs: 24 * HOUR });
});

test('the config refuses bad periods with the path of every bad field', () => {
  let error: ConfigError | undefined;
  try {
    compileConfig({
      groups: [{ name: 'db', match: { glob: '*' } }],
      maintenance: [
        { groups: ['dbb'], from: '2026-12-01T04:00:00Z', to: '2026-12-01T02:00:00Z' },
        { series: 'x', cron: '61 2 * * *' },
        { series: 'x', cron: '0 2 * *', durationMs: 1000, timezone: 'Mars/Olympus' },
        { from: 'yesterday', to: 5, weekly: { days: ['sat'], start: '25:00', end: '01:00' } },
      ],
    });
  } catch (e) {
    error = e as ConfigError;
  }
  assert.ok(error instanceof ConfigError);
  const paths = error.issues.map((i) => i.path);
  for (const expected of ['maintenance.0.to', 'maintenance.0.groups.0', 'maintenance.1.cron', 'maintenance.1.durationMs', 'maintenance.2.cron', 'maintenance.2.timezone', 'maintenance.3', 'maintenance.3.from', 'maintenance.3.weekly.start']) {
    assert.ok(paths.includes(expected), `${expected} in ${paths.join(', ')}`);
  }
  assert.match(error.message, /no model group 'dbb'/);
  assert.match(error.message, /one of from\/to, cron or weekly/);
  assert.match(error.message, /give groups, series/);
});

test('a valid config keeps its periods', () => {
  const config = compileConfig({ maintenance: [{ id: 'backup', groups: ['default'], from: 1000, to: 2000, reason: 'nightly backup' }] });
  assert.equal(config.maintenance[0]?.id, 'backup');
  assert.equal(config.maintenance[0]?.timezone, 'UTC');
  assert.deepEqual(compileConfig({}).maintenance, []);
});
