import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Window, modelConfigSchema } from '@hourglass/core';
import { fitModel, loadModel } from './index';
import { createRng } from './random';
import { fitSeasonality, profileAt } from './seasonality';

/**
 * Seasonality beyond one window: the cycles are found in the training windows (a day, a week),
 * refused where there is none (noise, a trend) or too little data, and a model given them tells a
 * Friday night from a Tuesday night, which a 16-step window alone cannot.
 */

const HALF_HOUR = 1_800_000;
const DAY = 86_400_000;
const W = 16;
// 2026-11-02 is a Monday (UTC).
const MONDAY = Date.UTC(2026, 10, 2);

/** Stride-1 windows of W steps over `values`, one series, every value observed. */
function windowsOf(values: readonly number[], startMs: number, intervalMs = HALF_HOUR, series = 's'): Window[] {
  const out: Window[] = [];
  for (let end = W - 1; end < values.length; end += 1) {
    const v = Float32Array.from(values.slice(end - W + 1, end + 1));
    out.push({ formatVersion: 1, series, group: 'g', startMs: startMs + (end - W + 1) * intervalMs, endMs: startMs + end * intervalMs, intervalMs, channels: ['value'], values: v, mask: new Uint8Array(W).fill(1), ingestedAtMs: 0 });
  }
  return out;
}

/**
 * Half-hourly traffic of a service: a daily swell (low at night, high by day), and on Friday and
 * Saturday nights (22:00 to 04:00) a surge of twice the daytime level. `surgeOn` moves the surge to
 * other days (the anomaly of the last test).
 */
function weeklyTraffic(weeks: number, seed: number, surgeOn: (day: number) => boolean = (d) => d === 4 || d === 5): number[] {
  const rng = createRng(seed);
  const steps = weeks * 7 * 48;
  return Array.from({ length: steps }, (_, t) => {
    const ms = t * HALF_HOUR;
    const day = Math.floor(ms / DAY) % 7; // 0 = Monday
    const hour = (ms % DAY) / 3_600_000;
    const swell = 10 + 4 * Math.sin((2 * Math.PI * (hour - 9)) / 24);
    // The night of day d runs from 22:00 on d to 04:00 on d + 1.
    const night = (hour >= 22 && surgeOn(day)) || (hour < 4 && surgeOn((day + 6) % 7));
    return swell + (night ? 14 : 0) + 0.4 * rng.normal();
  });
}

const WEEK = 7 * DAY;
const config = (periodMs: 'auto' | 'off' | number) => modelConfigSchema.parse({ seasonality: { periodMs } }).seasonality;
const identity = (_: number, v: number) => v;
const periodOf = (periodMs: 'auto' | 'off' | number, windows: Window[]) => fitSeasonality(config(periodMs), windows, identity).periodMs;

test('auto finds the week in a weekly-cycled series that spans two, says how strongly, and learns its profile', () => {
  const chosen = fitSeasonality(config('auto'), windowsOf(weeklyTraffic(3, 1), MONDAY), identity);
  assert.equal(chosen.periodMs, WEEK);
  assert.ok(chosen.autocorrelation !== null && chosen.autocorrelation > 0.5, `autocorrelation ${chosen.autocorrelation}`);
  assert.equal(chosen.binMs, HALF_HOUR);
  assert.equal(chosen.profile[0]!.length, 336);
  // Friday 23:00 (the surge) against Tuesday 23:00, and Tuesday 15:00 (the day's high) against 03:00.
  const at = (day: number, hour: number) => profileAt(chosen, 0, MONDAY + day * DAY + hour * 3_600_000);
  assert.ok(at(4, 23) - at(1, 23) > 10, `Friday night ${at(4, 23)}, Tuesday night ${at(1, 23)}`);
  assert.ok(at(1, 15) - at(1, 3) > 5, `Tuesday 15:00 ${at(1, 15)}, 03:00 ${at(1, 3)}`);
});

test('auto takes no week from less than two weeks of data, but the day from two days', () => {
  assert.equal(periodOf('auto', windowsOf(weeklyTraffic(1, 2), MONDAY)), DAY);
  assert.equal(periodOf('auto', windowsOf(weeklyTraffic(1, 2).slice(0, 90), MONDAY)), null, 'under two days: no day either');
});

test('auto finds no cycle in noise, in a trend or in a random walk; off and an explicit period are taken as written', () => {
  const rng = createRng(9);
  const noise = Array.from({ length: 4 * 7 * 48 }, () => rng.normal());
  const trend = noise.map((v, t) => t / 10 + 0.1 * v);
  let level = 0;
  const walk = noise.map((v) => (level += v));
  for (const [name, values] of [['noise', noise], ['trend', trend], ['random walk', walk]] as const) {
    assert.equal(periodOf('auto', windowsOf(values, MONDAY)), null, name);
  }
  const cycled = windowsOf(weeklyTraffic(3, 1), MONDAY);
  assert.equal(periodOf('off', cycled), null);
  const hourly = fitSeasonality(config(3_600_000), cycled, identity);
  assert.equal(hourly.periodMs, 3_600_000);
  assert.equal(hourly.autocorrelation, null);
  assert.equal(hourly.profile[0]!.length, 2);
});

test('a model with seasonality learns the weekend-night surge, flags the surge on a Tuesday, and keeps its context through the artifact', async () => {
  const train = windowsOf(weeklyTraffic(4, 4), MONDAY);
  const weekStart = MONDAY + 4 * 7 * DAY;
  const normalWeek = windowsOf(weeklyTraffic(1, 5), weekStart);
  // A surge on Tuesday night instead: nothing about it is unusual within 8 hours, only its day is.
  const tuesdaySurge = windowsOf(weeklyTraffic(1, 5, (d) => d === 1), weekStart).filter((w) => {
    const day = Math.floor((w.endMs - MONDAY) / DAY) % 7;
    const hour = ((w.endMs - MONDAY) % DAY) / 3_600_000;
    return (day === 1 && hour >= 23) || (day === 2 && hour < 4);
  });
  const rate = (m: Awaited<ReturnType<typeof fitModel>>, ws: Window[]) => m.score(ws).filter((s) => s.anomalous).length / ws.length;
  const seasonal = await fitModel({ seasonality: { periodMs: 'auto' }, seed: 3 }, train);
  const plain = await fitModel({ seasonality: { periodMs: 'off' }, seed: 3 }, train);
  try {
    assert.equal(seasonal.manifest.seasonality?.periodMs, WEEK);
    assert.equal(plain.manifest.seasonality?.periodMs, null);
    const falseAlarms = rate(seasonal, normalWeek);
    const caught = rate(seasonal, tuesdaySurge);
    const caughtPlain = rate(plain, tuesdaySurge);
    assert.ok(falseAlarms < 0.05, `a normal week: ${(100 * falseAlarms).toFixed(1)} % of windows flagged with seasonality`);
    assert.ok(caught > 0.5, `the Tuesday surge: ${(100 * caught).toFixed(1)} % of its windows flagged with seasonality`);
    assert.ok(caughtPlain < caught / 2, `without seasonality ${(100 * caughtPlain).toFixed(1)} % of the Tuesday surge is flagged, with it ${(100 * caught).toFixed(1)} %`);
    const loaded = await loadModel(seasonal.toArtifact());
    try {
      assert.deepEqual(loaded.manifest.seasonality, seasonal.manifest.seasonality);
      assert.deepEqual(loaded.score(tuesdaySurge.slice(0, 4)).map((s) => s.rawError), seasonal.score(tuesdaySurge.slice(0, 4)).map((s) => s.rawError));
    } finally {
      loaded.dispose();
    }
  } finally {
    seasonal.dispose();
    plain.dispose();
  }
});
