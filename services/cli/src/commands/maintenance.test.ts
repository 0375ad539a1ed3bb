import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, compileConfig } from '@hourglass/core';
import { addMaintenance, formatPeriods, parseDuration, removeMaintenance } from './maintenance';

// Redis on a port nothing listens on: every case below must be refused before a connection is tried.
const config = compileConfig({ redis: { url: 'redis://127.0.0.1:1' }, groups: [{ name: 'db', match: { glob: 'db-*' } }], maintenance: [{ id: 'nightly', groups: ['db'], cron: '0 2 * * *', durationMs: 3_600_000 }] });
const base = { by: 'oncall', now: new Date(0) };

async function issues(options: Parameters<typeof addMaintenance>[1]): Promise<Record<string, string>> {
  try {
    await addMaintenance(config, options);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return Object.fromEntries(error.issues.map((i) => [i.path, i.message]));
  }
  return assert.fail('expected a refusal');
}

test('maintenance add: every bad flag is named as the operator typed it, before Redis is asked', async () => {
  const bad = await issues({ ...base, group: ['dbx'], cron: '0 2 * *', weekly: 'sat 02:00-04:00', timezone: 'Mars/Olympus' });
  assert.match(bad['--group']!, /no model group 'dbx'/);
  assert.match(bad['--cron']!, /4 fields/);
  assert.match(bad['--timezone']!, /IANA/);
  assert.match(bad['(period)']!, /one of from\/to, cron or weekly/);
  assert.match((await issues({ ...base, series: 'db-1', cron: '0 2 * * *', duration: 'two hours' }))['--duration']!, /number/);
  assert.match((await issues({ ...base, series: 'db-1', from: '2026-12-01T04:00:00Z', to: '2026-12-01T02:00:00Z' }))['--to']!, /after from/);
  assert.match((await issues({ ...base, series: 'db-1', weekly: 'sat,sunday 02:00-04:00' }))['--weekly']!, /sun/);
  await assert.rejects(addMaintenance(config, { ...base, series: 'db-1', weekly: 'every saturday' }), /DAYS HH:MM-HH:MM/);
});

test('maintenance: durations, config periods are not removable at run time, and the list format', async () => {
  assert.deepEqual(['90m', '2h', '1d', '45s', '1500', '1.5h'].map(parseDuration), [5_400_000, 7_200_000, 86_400_000, 45_000, 1500, 5_400_000]);
  assert.ok(Number.isNaN(parseDuration('soon')));
  await assert.rejects(removeMaintenance(config, 'nightly'), /period of the config file/);
  const line = formatPeriods([{ id: 'nightly', source: 'config', activeNow: true, period: config.maintenance[0]! }]);
  assert.equal(line, `* nightly        config  groups db; cron '0 2 * * *' for 3600000 ms (UTC)`);
});

test('hourglass run honours the config\'s maintenance periods: the covered series publishes no event, the others still do', { timeout: 180_000 }, async () => {
  const { spawnSync } = await import('node:child_process');
  const { mkdtempSync, readFileSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'hourglass-run-maintenance-'));
  const file = join(dir, 'config.json');
  // The demo's web.latency_ms is in maintenance for its whole run (event times from 2026 on).
  writeFileSync(file, JSON.stringify({ maintenance: [{ series: 'web.latency_ms', from: '2020-01-01T00:00:00Z', to: '2099-01-01T00:00:00Z', reason: 'test' }] }));
  const events = join(dir, 'events.ndjson');
  const run = spawnSync(process.execPath, [join(__dirname, '..', 'main.js'), 'run', '--demo', '--config', file, '--events', events, '--state-dir', dir, '--json'], { encoding: 'utf8', env: { ...process.env, HOURGLASS_REQUIRE_NATIVE: '' } });
  assert.equal(run.status, 0, run.stderr);
  const series = readFileSync(events, 'utf8').trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { series: string }).series);
  assert.ok(series.length > 0, 'the other series still publish events');
  assert.ok(!series.includes('web.latency_ms'), `no event for the series in maintenance: ${[...new Set(series)].join(', ')}`);
});
